/**
 * What the endpoints that change something share (POST /v1/observations, POST /v1/leases/renew):
 * a bearer token reviewed by TokenReview, a bounded JSON body validated with field paths, RBAC on
 * one subresource of the named Expectation through a SubjectAccessReview, a cap on requests in
 * flight, and one place where each answer is decided, counted and sent. Nothing anonymous.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorObject } from 'ajv';
import { formatPath, pointerSegments } from '../api/fieldPath.js';
import type { Logger } from '../runtime/log.js';
import type { Limited, ObservationAuth, ObservationTarget, Subresource } from './auth.js';
import { clientAddress } from './rateLimit.js';
import { type Problem, type Route, sendJson } from './route.js';

/** Bodies larger than this are refused (413) before or while they are read. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** At most this many field errors are listed in a 400. */
export const MAX_LISTED_ERRORS = 20;

/** An answer, decided before it is sent (and counted) in one place. */
export interface Reply {
  status: number;
  body: Problem | Record<string, unknown>;
  headers?: Record<string, string>;
  /** On 202 from the observation endpoint: how many results of each state were handed over. */
  delivered?: Map<string, number>;
}

/** A parsed body: the Expectation it is about and what it says, or the 400 to answer. */
export type Parsed<T> = { ok: true; target: ObservationTarget; value: T } | { ok: false; reply: Reply };

export interface AuthorizedPostOptions<T> {
  path: string;
  auth: ObservationAuth;
  /** The subresource of `expectations` the caller needs `create` on. */
  subresource: Subresource;
  /** What a request is called in logs and 429s, e.g. `observation`. */
  what: string;
  parse: (body: Buffer) => Parsed<T>;
  /** Called with an authorized request; decides the answer. Throwing is a bug (500). */
  serve: (request: { caller: { username: string }; target: ObservationTarget; value: T }) => Reply | Promise<Reply>;
  /** Requests served at once; more get 429. Defaults to 32. */
  maxInFlight?: number;
  log: Logger;
  /** Every answer, once decided (metrics). */
  onReply?: (reply: Reply) => void;
}

/** One POST route: 429 beyond maxInFlight, then authenticate, read, parse, authorize, serve. */
export function authorizedPost<T>(options: AuthorizedPostOptions<T>): Route {
  const maxInFlight = options.maxInFlight ?? 32;
  let inFlight = 0;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    let reply: Reply;
    const read = { complete: false };
    if (inFlight >= maxInFlight) {
      reply = problem(429, 'TooManyRequests', `more than ${maxInFlight} ${options.what} requests at once; retry shortly`, { 'Retry-After': '1' });
    } else {
      inFlight++;
      try {
        reply = await authorizeAndServe(req, read, options);
      } catch (error) {
        options.log.error({ err: error }, `${options.what} request: serving it failed`);
        reply = problem(500, 'InternalError', 'internal error; see the controller log');
      } finally {
        inFlight--;
      }
    }
    options.onReply?.(reply);
    // A body left unread would be drained by Node after the answer, whatever its size: close instead.
    const headers = read.complete ? reply.headers : { ...reply.headers, Connection: 'close' };
    sendJson(res, reply.status, reply.body, headers);
  };
  return { method: 'POST', path: options.path, handle };
}

async function authorizeAndServe<T>(req: IncomingMessage, read: { complete: boolean }, options: AuthorizedPostOptions<T>): Promise<Reply> {
  const { auth, log, what } = options;
  // 1. Cheap refusals first: no token, too large, not JSON; no API call for those.
  const token = bearerToken(req.headers.authorization);
  if (token === undefined) return unauthorized('a bearer token is required: Authorization: Bearer TOKEN');
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > MAX_BODY_BYTES) return tooLarge();
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') return problem(415, 'UnsupportedMediaType', `the body must be application/json${type !== '' ? `, not ${type}` : ''}`);

  // 2. Who is it? Before reading the body: nobody anonymous makes us parse a megabyte.
  const client = clientAddress(req.socket.remoteAddress);
  const authn = await auth.authenticate(token, client);
  if (authn.status === 'limited') {
    log.info({ client }, `${what} request: too many token reviews from this address`);
    return tooMany(authn);
  }
  if (authn.status === 'unavailable') {
    log.warn({ reason: authn.reason }, `${what} request: cannot authenticate the caller`);
    return problem(503, 'ServiceUnavailable', 'cannot authenticate the caller now; retry later', { 'Retry-After': '5' });
  }
  if (authn.status === 'rejected') {
    log.info({ reason: authn.reason }, `${what} request: the token is not valid`);
    return unauthorized('the token is not valid');
  }
  const caller = authn.caller;

  // 3. What does it say?
  const body = await readBody(req, MAX_BODY_BYTES);
  if (body === 'tooLarge') return tooLarge();
  if (body === 'aborted') return problem(400, 'BadRequest', 'the request body was cut off');
  read.complete = true;
  const parsed = options.parse(body);
  if (!parsed.ok) return parsed.reply;
  const { target, value } = parsed;

  // 4. May this caller do it for this Expectation?
  const authz = await auth.authorize(caller, target, options.subresource, client);
  if (authz.status === 'limited') {
    log.info({ client, user: caller.username }, `${what} request: too many access reviews from this address`);
    return tooMany(authz);
  }
  if (authz.status === 'unavailable') {
    log.warn({ reason: authz.reason }, `${what} request: cannot authorize the caller`);
    return problem(503, 'ServiceUnavailable', 'cannot authorize the caller now; retry later', { 'Retry-After': '5' });
  }
  if (authz.status === 'denied') {
    log.info({ user: caller.username, ...target }, `${what} request: forbidden`);
    return problem(
      403,
      'Forbidden',
      `User ${JSON.stringify(caller.username)} cannot create resource "expectations/${options.subresource}" in API group "homeostat.dev" for expectation ${JSON.stringify(target.expectation)} in the namespace ${JSON.stringify(target.namespace)}${authz.reason !== '' ? `: ${authz.reason}` : ''}`,
    );
  }

  // 5. Hand it over.
  return options.serve({ caller, target, value });
}

// ---- parsing --------------------------------------------------------------------------------

/** The schema of the two fields every body has: the Expectation's namespace and name. */
export const TARGET_PROPERTIES = {
  // An RFC 1123 label and an RFC 1123 subdomain, as Kubernetes names namespaces and objects.
  namespace: { type: 'string', maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' },
  expectation: { type: 'string', maxLength: 253, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$' },
} as const;

/** The JSON of a body, or the 400 to answer. */
export function parseJson(body: Buffer | string): { ok: true; json: unknown } | { ok: false; reply: Reply } {
  try {
    return { ok: true, json: JSON.parse(typeof body === 'string' ? body : body.toString('utf8')) };
  } catch (error) {
    return { ok: false, reply: problem(400, 'BadRequest', `the body is not JSON: ${(error as Error).message}`) };
  }
}

/**
 * One ajv error as a path and a sentence. `noun` names the body (`an observation`); `special`
 * words the keywords a body has of its own (return undefined for the generic wording).
 */
export function fieldError(error: ErrorObject, root: unknown, noun: string, special?: (keyword: string, here: string) => string | undefined): { path: string; message: string } {
  const segments = pointerSegments(error.instancePath, root);
  const params = error.params as Record<string, unknown>;
  const at = (name: unknown) => formatPath([...segments, String(name)]);
  const here = formatPath(segments);
  const worded = special?.(error.keyword, here);
  if (worded !== undefined) return { path: here, message: worded };
  switch (error.keyword) {
    case 'required':
      return { path: at(params.missingProperty), message: 'is required' };
    case 'additionalProperties':
      return { path: at(params.additionalProperty), message: `is not a field of ${noun}` };
    case 'pattern':
      return { path: here, message: here === 'namespace' ? 'must be a namespace name (lower case letters, digits and dashes)' : 'must be an object name (lower case letters, digits, dashes and dots)' };
    default:
      return { path: here, message: error.message ?? error.keyword };
  }
}

/** 400 Invalid: `summary` names what was invalid (`invalid observations`), then the fields. */
export function invalid(summary: string, errors: { path: string; message: string }[]): Reply {
  const listed = errors.slice(0, MAX_LISTED_ERRORS);
  const more = errors.length - listed.length;
  const text = listed.map((e) => (e.path === '' ? e.message : `${e.path}: ${e.message}`)).join('; ');
  return problem(400, 'Invalid', `${summary}: ${text}${more > 0 ? ` (and ${more} more)` : ''}`, {}, listed);
}

// ---- HTTP details ---------------------------------------------------------------------------

/** The token of `Authorization: Bearer TOKEN` (the scheme in any case), or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer +([^\s]+) *$/i.exec(header ?? '');
  return match?.[1];
}

/** The body, unless it exceeds `limit` bytes (then reading stops) or the client went away (the re-run route reads with it too). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'tooLarge' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (value: Buffer | 'tooLarge' | 'aborted') => {
      req.off('data', onData).off('end', onEnd).off('error', onAbort).off('close', onAbort);
      // Read no further: the answer closes the connection (see `read.complete`).
      if (value === 'tooLarge') req.pause();
      resolve(value);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) settle('tooLarge');
      else chunks.push(chunk);
    };
    const onEnd = () => settle(Buffer.concat(chunks, size));
    const onAbort = () => settle('aborted');
    req.on('data', onData).on('end', onEnd).on('error', onAbort).on('close', onAbort);
  });
}

export const problem = (status: number, reason: string, message: string, headers: Record<string, string> = {}, errors?: Problem['errors']): Reply => ({
  status,
  body: { reason, message, ...(errors !== undefined ? { errors } : {}) },
  headers,
});

const unauthorized = (message: string) => problem(401, 'Unauthorized', message, { 'WWW-Authenticate': 'Bearer realm="homeostat"' });

const tooMany = (limited: Limited) =>
  problem(429, 'TooManyRequests', `too many requests from this address need a review by the API server; retry in ${limited.retryAfterSeconds} s`, { 'Retry-After': String(limited.retryAfterSeconds) });

const tooLarge = () => problem(413, 'RequestEntityTooLarge', `the body is larger than ${MAX_BODY_BYTES} bytes`);
