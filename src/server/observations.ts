/**
 * POST /v1/observations: where Push checkers and Http checkers that answer later report verdicts
 * (DESIGN.md section 4). The only endpoint that changes anything, so it is always authenticated
 * (a bearer token, TokenReview) and authorized (RBAC on expectations/observations, through a
 * SubjectAccessReview); nothing anonymous.
 *
 *   {"namespace": "ns", "expectation": "name",
 *    "results": [{"key": "date=2026-01-01/campaign=1", "state": "satisfied", "message": "..."}]}
 *
 * Answers: 202 {received, accepted, ignored, ignoredKeys}; 400 Invalid with field paths; 401; 403;
 * 404 (no such Expectation); 413 (over 1 MiB); 415 (not JSON); 429 (too many at once); 503.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Ajv, type ErrorObject } from 'ajv';
import { formatPath, pointerSegments } from '../api/fieldPath.js';
import { type CheckerResult, MAX_MESSAGE_LENGTH } from '../checkers/protocol.js';
import type { Logger } from '../runtime/log.js';
import type { ObservationAuth, ObservationTarget } from './auth.js';
import type { ControllerMetrics } from './metrics.js';
import { type Problem, type Route, sendJson } from './route.js';

export const OBSERVATIONS_PATH = '/v1/observations';
/** Bodies larger than this are refused (413) before or while they are read. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** At most this many results per request. */
export const MAX_RESULTS = 10_000;
/** At most this many field errors are listed in a 400. */
const MAX_LISTED_ERRORS = 20;

/** What the controller made of the results it was handed. */
export type Delivery =
  /** Taken: `ignored` lists the keys that are not partitions of the Expectation. */
  | { status: 'accepted'; accepted: number; ignored: string[] }
  /** No such Expectation (404). */
  | { status: 'notFound'; message: string }
  /** Cannot take them now (not the leader, caches not synced): 503, the caller retries. */
  | { status: 'unavailable'; message: string };

/**
 * Hands authorized results to the controller. Results are valid (known states, each key once,
 * messages cut to MAX_MESSAGE_LENGTH). Should only enqueue (DESIGN rule 5) and answer quickly;
 * throwing is a bug (500).
 */
export type Deliver = (target: ObservationTarget, results: CheckerResult[]) => Delivery | Promise<Delivery>;

export interface ObservationOptions {
  auth: ObservationAuth;
  deliver: Deliver;
  /** Requests served at once; more get 429. Bounds memory to about this many bodies. Defaults to 32. */
  maxInFlight?: number;
}

export interface ObservationContext {
  log: Logger;
  metrics?: Pick<ControllerMetrics, 'observationRequests' | 'observationResults'>;
}

/** An answer, decided before it is sent (and counted) in one place. */
interface Reply {
  status: number;
  body: Problem | Record<string, unknown>;
  headers?: Record<string, string>;
  /** On 202: how many results of each state were handed over. */
  delivered?: Map<string, number>;
}

/** The observation endpoint's one route. */
export function observationRoutes(options: ObservationOptions, context: ObservationContext): Route[] {
  const maxInFlight = options.maxInFlight ?? 32;
  let inFlight = 0;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    let reply: Reply;
    const read = { complete: false };
    if (inFlight >= maxInFlight) {
      reply = problem(429, 'TooManyRequests', `more than ${maxInFlight} observation requests at once; retry shortly`, { 'Retry-After': '1' });
    } else {
      inFlight++;
      try {
        reply = await serve(req, read, options, context.log);
      } catch (error) {
        context.log.error({ err: error }, 'serving observations failed');
        reply = problem(500, 'InternalError', 'internal error; see the controller log');
      } finally {
        inFlight--;
      }
    }
    context.metrics?.observationRequests.inc({ code: String(reply.status) });
    // A body left unread would be drained by Node after the answer, whatever its size: close instead.
    const headers = read.complete ? reply.headers : { ...reply.headers, Connection: 'close' };
    sendJson(res, reply.status, reply.body, headers);
    for (const [state, count] of reply.delivered ?? []) context.metrics?.observationResults.inc({ state }, count);
  };
  return [{ method: 'POST', path: OBSERVATIONS_PATH, handle }];
}

async function serve(req: IncomingMessage, read: { complete: boolean }, options: ObservationOptions, log: Logger): Promise<Reply> {
  // 1. Cheap refusals first: no token, too large, not JSON; no API call for those.
  const token = bearerToken(req.headers.authorization);
  if (token === undefined) return unauthorized('a bearer token is required: Authorization: Bearer TOKEN');
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > MAX_BODY_BYTES) return tooLarge();
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') return problem(415, 'UnsupportedMediaType', `the body must be application/json${type !== '' ? `, not ${type}` : ''}`);

  // 2. Who is it? Before reading the body: nobody anonymous makes us parse a megabyte.
  const authn = await options.auth.authenticate(token);
  if (authn.status === 'unavailable') {
    log.warn({ reason: authn.reason }, 'cannot authenticate an observation request');
    return problem(503, 'ServiceUnavailable', 'cannot authenticate the caller now; retry later', { 'Retry-After': '5' });
  }
  if (authn.status === 'rejected') {
    log.info({ reason: authn.reason }, 'observation request with an invalid token');
    return unauthorized('the token is not valid');
  }
  const caller = authn.caller;

  // 3. What does it say?
  const body = await readBody(req, MAX_BODY_BYTES);
  if (body === 'tooLarge') return tooLarge();
  if (body === 'aborted') return problem(400, 'BadRequest', 'the request body was cut off');
  read.complete = true;
  const parsed = parseObservations(body);
  if (!parsed.ok) return parsed.reply;
  const { target, results } = parsed;

  // 4. May this caller report on this Expectation?
  const authz = await options.auth.authorize(caller, target);
  if (authz.status === 'unavailable') {
    log.warn({ reason: authz.reason }, 'cannot authorize an observation request');
    return problem(503, 'ServiceUnavailable', 'cannot authorize the caller now; retry later', { 'Retry-After': '5' });
  }
  if (authz.status === 'denied') {
    log.info({ user: caller.username, ...target }, 'observation request forbidden');
    return problem(
      403,
      'Forbidden',
      `User ${JSON.stringify(caller.username)} cannot create resource "expectations/observations" in API group "homeostat.dev" for expectation ${JSON.stringify(target.expectation)} in the namespace ${JSON.stringify(target.namespace)}${authz.reason !== '' ? `: ${authz.reason}` : ''}`,
    );
  }

  // 5. Hand it over.
  const delivery = await options.deliver(target, results);
  if (delivery.status === 'notFound') return problem(404, 'NotFound', delivery.message);
  if (delivery.status === 'unavailable') return problem(503, 'ServiceUnavailable', delivery.message, { 'Retry-After': '5' });
  log.info({ user: caller.username, ...target, received: results.length, accepted: delivery.accepted, ignored: delivery.ignored.length }, 'observations received');
  const delivered = new Map<string, number>();
  for (const r of results) delivered.set(r.state, (delivered.get(r.state) ?? 0) + 1);
  return {
    status: 202,
    body: { received: results.length, accepted: delivery.accepted, ignored: delivery.ignored.length, ignoredKeys: delivery.ignored.slice(0, MAX_LISTED_ERRORS) },
    delivered,
  };
}

// ---- parsing --------------------------------------------------------------------------------

const STATES = ['satisfied', 'unsatisfied', 'unrecoverable'] as const;

const SCHEMA = {
  type: 'object',
  required: ['namespace', 'expectation', 'results'],
  additionalProperties: false,
  properties: {
    // An RFC 1123 label and an RFC 1123 subdomain, as Kubernetes names namespaces and objects.
    namespace: { type: 'string', maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' },
    expectation: { type: 'string', maxLength: 253, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$' },
    results: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_RESULTS,
      items: {
        type: 'object',
        required: ['key', 'state'],
        additionalProperties: false,
        properties: {
          // Empty for an unpartitioned Expectation.
          key: { type: 'string', maxLength: 4096 },
          state: { enum: STATES },
          message: { type: 'string' },
        },
      },
    },
  },
} as const;

const validate = new Ajv({ allErrors: true, strict: true }).compile(SCHEMA);

export type ParsedObservations = { ok: true; target: ObservationTarget; results: CheckerResult[] } | { ok: false; reply: Reply };

/** Parses and validates a request body; errors name the field, like `results[3].state`. */
export function parseObservations(body: Buffer | string): ParsedObservations {
  let json: unknown;
  try {
    json = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch (error) {
    return { ok: false, reply: problem(400, 'BadRequest', `the body is not JSON: ${(error as Error).message}`) };
  }
  if (!validate(json)) {
    return { ok: false, reply: invalid((validate.errors ?? []).map((e) => fieldError(e, json))) };
  }
  const input = json as { namespace: string; expectation: string; results: { key: string; state: CheckerResult['state']; message?: string }[] };
  const first = new Map<string, number>();
  const errors: { path: string; message: string }[] = [];
  const results: CheckerResult[] = [];
  for (const [i, { key, state, message }] of input.results.entries()) {
    const seen = first.get(key);
    if (seen !== undefined) errors.push({ path: `results[${i}].key`, message: `partition ${JSON.stringify(key)} is reported twice (also results[${seen}])` });
    else first.set(key, i);
    results.push({ key, state, ...(message !== undefined && message !== '' ? { message: message.slice(0, MAX_MESSAGE_LENGTH) } : {}) });
  }
  if (errors.length > 0) return { ok: false, reply: invalid(errors) };
  return { ok: true, target: { namespace: input.namespace, expectation: input.expectation }, results };
}

function fieldError(error: ErrorObject, root: unknown): { path: string; message: string } {
  const segments = pointerSegments(error.instancePath, root);
  const params = error.params as Record<string, unknown>;
  const at = (name: unknown) => formatPath([...segments, String(name)]);
  const here = formatPath(segments);
  switch (error.keyword) {
    case 'required':
      return { path: at(params.missingProperty), message: 'is required' };
    case 'additionalProperties':
      return { path: at(params.additionalProperty), message: 'is not a field of an observation' };
    case 'enum':
      return { path: here, message: `must be ${STATES.slice(0, -1).join(', ')} or ${STATES.at(-1)}` };
    case 'pattern':
      return { path: here, message: here === 'namespace' ? 'must be a namespace name (lower case letters, digits and dashes)' : 'must be an object name (lower case letters, digits, dashes and dots)' };
    case 'maxItems':
      return { path: here, message: `must have at most ${MAX_RESULTS} results` };
    case 'minItems':
      return { path: here, message: 'must have at least one result' };
    default:
      return { path: here, message: error.message ?? error.keyword };
  }
}

function invalid(errors: { path: string; message: string }[]): Reply {
  const listed = errors.slice(0, MAX_LISTED_ERRORS);
  const more = errors.length - listed.length;
  const summary = listed.map((e) => (e.path === '' ? e.message : `${e.path}: ${e.message}`)).join('; ');
  return problem(400, 'Invalid', `invalid observations: ${summary}${more > 0 ? ` (and ${more} more)` : ''}`, {}, listed);
}

// ---- HTTP details ---------------------------------------------------------------------------

/** The token of `Authorization: Bearer TOKEN` (the scheme in any case), or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer +([^\s]+) *$/i.exec(header ?? '');
  return match?.[1];
}

/** The body, unless it exceeds `limit` bytes (then reading stops) or the client went away. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'tooLarge' | 'aborted'> {
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

const problem = (status: number, reason: string, message: string, headers: Record<string, string> = {}, errors?: Problem['errors']): Reply => ({
  status,
  body: { reason, message, ...(errors !== undefined ? { errors } : {}) },
  headers,
});

const unauthorized = (message: string) => problem(401, 'Unauthorized', message, { 'WWW-Authenticate': 'Bearer realm="homeostat"' });

const tooLarge = () => problem(413, 'RequestEntityTooLarge', `the body is larger than ${MAX_BODY_BYTES} bytes`);
