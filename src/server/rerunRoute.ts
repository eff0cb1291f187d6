/**
 * POST /api/v1/rerun/{namespace}/{dag} with `{"period": "..."}`: the node page's "Re-run" button.
 * It creates a DagRun (spec.dag, spec.period, reason Manual) for the caller, who must be allowed
 * to create DagRuns themselves:
 *   1. the bearer token is reviewed (TokenReview, audience homeostat.dev), as the read routes do;
 *   2. each caller may ask a few re-runs at once, then one every few seconds (429 beyond);
 *   3. a SubjectAccessReview for the CALLER's identity, verb create, resource dagruns (group
 *      homeostat.dev) in the namespace: 403 otherwise, whatever the controller may do;
 *   4. the period must be one of the Dag's (400 saying what and where);
 *   5. the DagRun is created, annotated homeostat.dev/requested-by: <username>; 201 with its name.
 * With `auth: 'none'` (--ui-auth=none) the route refuses everything (403): an unauthenticated port
 * may show state, never change it. `auth: 'local'` is `homeostat dev`, on loopback, for its user.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../runtime/log.js';
import type { Caller, ObservationAuth } from './auth.js';
import { bearerToken, readBody } from './authorizedPost.js';
import { type RateLimiter, clientAddress, tokenBucket } from './rateLimit.js';
import type { ViewSource } from './readApi.js';
import { periodProblem } from './rerunPeriod.js';
import { type Route, sendJson, sendProblem } from './route.js';

// readApi.ts registers this route: its API_PREFIX is not imported back (a cycle).
export const RERUN_PREFIX = '/api/v1/rerun/';
/** A re-run body is one short field: anything bigger is refused (413) before it is read whole. */
export const MAX_RERUN_BODY_BYTES = 4096;

/** May `caller` create DagRuns in `namespace`? (A SubjectAccessReview for the caller: kubeAuth.ts.) */
export type CreateAuthorizer = (caller: Caller, namespace: string) => Promise<'allowed' | 'denied' | 'unavailable'>;

export interface RerunRequest {
  namespace: string;
  dag: string;
  period: string;
  /** The caller's username, for the homeostat.dev/requested-by annotation. */
  requestedBy: string;
}

export type RerunResult = { ok: true; name: string } | { ok: false; status: number; reason: string; message: string };

export interface RerunOptions {
  /** `token`: a reviewed bearer token and RBAC for the caller; 'none': refused; 'local': homeostat dev's own user. */
  auth: { authenticate: ObservationAuth['authenticate']; authorizeCreate: CreateAuthorizer } | 'none' | 'local';
  /** Who asks with `auth: 'local'` (the requested-by annotation). Defaults to `homeostat-dev`. */
  localUser?: string;
  source: Pick<ViewSource, 'objects' | 'engine' | 'now'>;
  /** Creates the DagRun (the controller's client, or the embedded world). Never rejects on an expected failure. */
  create(request: RerunRequest): Promise<RerunResult>;
  /** Re-runs per caller (username): defaults to 5 at once, then one every 5 s. */
  limiter?: RateLimiter;
  log?: Logger;
}

export function rerunRoute(options: RerunOptions): Route {
  const limiter = options.limiter ?? tokenBucket({ burst: 5, perSecond: 0.2 });
  return {
    method: 'POST',
    path: RERUN_PREFIX,
    prefix: true,
    async handle(req, res) {
      const target = targetOf(req);
      if (target === undefined) return refuse(res, 400, 'BadRequest', `expected POST ${RERUN_PREFIX}{namespace}/{dag}`);
      if (options.auth === 'none') return refuse(res, 403, 'Forbidden', 're-run needs --ui-auth=token: with --ui-auth=none nobody is authenticated, so the page may show state but never change it');
      let caller: Caller;
      if (options.auth === 'local') {
        const refused = localRefusal(req);
        if (refused !== undefined) return refuse(res, 403, 'Forbidden', refused);
        caller = { username: options.localUser ?? 'homeostat-dev' };
      } else {
        const token = bearerToken(req.headers.authorization);
        if (token === undefined) return refuse(res, 401, 'Unauthorized', 'send a bearer token issued for the audience homeostat.dev (kubectl create token NAME --audience homeostat.dev)', { 'WWW-Authenticate': 'Bearer' });
        const who = await options.auth.authenticate(token, clientAddress(req.socket.remoteAddress));
        if (who.status === 'rejected') return refuse(res, 401, 'Unauthorized', who.reason, { 'WWW-Authenticate': 'Bearer' });
        if (who.status === 'limited') return refuse(res, 429, 'TooManyRequests', 'too many token reviews from this address', { 'Retry-After': String(who.retryAfterSeconds) });
        if (who.status === 'unavailable') return refuse(res, 503, 'ServiceUnavailable', who.reason, { 'Retry-After': '5' });
        caller = who.caller;
      }
      const admitted = limiter.take(caller.username);
      if (!admitted.ok) return refuse(res, 429, 'TooManyRequests', `${caller.username} asked too many re-runs; retry in ${admitted.retryAfterSeconds} s`, { 'Retry-After': String(admitted.retryAfterSeconds) });

      const body = await bodyOf(req, res);
      if (body === undefined) return;
      if (options.auth !== 'local') {
        const allowed = await options.auth.authorizeCreate(caller, target.namespace);
        if (allowed === 'unavailable') return refuse(res, 503, 'ServiceUnavailable', 'the API server did not answer the SubjectAccessReview; try again', { 'Retry-After': '5' });
        if (allowed === 'denied') {
          options.log?.info({ user: caller.username, ...target }, 're-run refused: the caller may not create dagruns');
          return refuse(res, 403, 'Forbidden', `${caller.username} may not create dagruns (group homeostat.dev) in namespace ${target.namespace}: a re-run creates a DagRun as you, so you need that right yourself`);
        }
      }
      const dag = options.source.objects().dags.find((d) => d.metadata.name === target.dag && (d.metadata.namespace ?? 'default') === target.namespace);
      if (dag === undefined) return refuse(res, 404, 'NotFound', `Dag ${target.namespace}/${target.dag} does not exist`);
      const problem = periodProblem(dag, body.period, options.source.engine(), options.source.now());
      if (problem !== undefined) return refuse(res, 400, 'Invalid', problem, {}, [{ path: 'period', message: problem.replace(/^period: /, '') }]);

      const created = await options.create({ ...target, period: body.period, requestedBy: caller.username });
      if (!created.ok) return refuse(res, created.status, created.reason, created.message);
      options.log?.info({ user: caller.username, ...target, period: body.period, dagRun: created.name }, 're-run requested');
      sendJson(res, 201, { name: created.name, namespace: target.namespace, dag: target.dag, period: body.period, requestedBy: caller.username });
    },
  };
}

/**
 * `homeostat dev` authenticates nobody, so a re-run must come from its own machine, through a
 * page opened by an address (not a name another site could point at 127.0.0.1: DNS rebinding).
 * A cross-site form cannot send application/json without a CORS preflight, which is never answered.
 */
function localRefusal(req: IncomingMessage): string | undefined {
  const from = clientAddress(req.socket.remoteAddress);
  if (!(from === '::1' || from.startsWith('127.'))) return `re-run in homeostat dev is for its own machine; this request came from ${from}: use a controller with --ui-auth=token`;
  const host = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  if (!(host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host))) return `re-run in homeostat dev needs the page opened as http://127.0.0.1:PORT or http://localhost:PORT, not ${JSON.stringify(host)}`;
  return undefined;
}

function refuse(res: ServerResponse, status: number, reason: string, message: string, headers: Record<string, string> = {}, errors?: { path: string; message: string }[]): void {
  sendProblem(res, status, { reason, message, ...(errors !== undefined ? { errors } : {}) }, headers);
}

/** `{namespace}/{dag}` of the path, both Kubernetes names; undefined otherwise. */
function targetOf(req: IncomingMessage): { namespace: string; dag: string } | undefined {
  const path = new URL(req.url ?? '/', 'http://server.invalid').pathname.slice(RERUN_PREFIX.length);
  const parts = path.split('/').map((p) => decodeURIComponent(p));
  const [namespace, dag] = parts;
  if (parts.length !== 2 || namespace === undefined || dag === undefined) return undefined;
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace) || namespace.length > 63 || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(dag) || dag.length > 253) return undefined;
  return { namespace, dag };
}

/** The `{"period": "..."}` body, or undefined once the refusal was sent. */
async function bodyOf(req: IncomingMessage, res: ServerResponse): Promise<{ period: string } | undefined> {
  const close = { Connection: 'close' };
  if (Number(req.headers['content-length'] ?? 0) > MAX_RERUN_BODY_BYTES) return void refuse(res, 413, 'RequestEntityTooLarge', `the body is larger than ${MAX_RERUN_BODY_BYTES} bytes`, close);
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') return void refuse(res, 415, 'UnsupportedMediaType', `the body must be application/json${type !== '' ? `, not ${type}` : ''}`, close);
  const raw = await readBody(req, MAX_RERUN_BODY_BYTES);
  if (raw === 'tooLarge') return void refuse(res, 413, 'RequestEntityTooLarge', `the body is larger than ${MAX_RERUN_BODY_BYTES} bytes`, close);
  if (raw === 'aborted') return void refuse(res, 400, 'BadRequest', 'the request body was cut off', close);
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    return void refuse(res, 400, 'BadRequest', `the body is not JSON: ${(error as Error).message}`);
  }
  const period = (json as { period?: unknown } | null)?.period;
  const extra = json !== null && typeof json === 'object' && !Array.isArray(json) ? Object.keys(json).filter((k) => k !== 'period') : [];
  if (typeof period !== 'string' || extra.length > 0) {
    const errors = [...(typeof period !== 'string' ? [{ path: 'period', message: 'is required: the period to run again, as the Dag names it (e.g. 2026-03-09)' }] : []), ...extra.map((k) => ({ path: k, message: 'is not a field of a re-run request' }))];
    return void refuse(res, 400, 'Invalid', `invalid re-run request: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, {}, errors);
  }
  return { period };
}
