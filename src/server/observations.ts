/**
 * POST /v1/observations: where Push checkers and Http checkers that answer later report verdicts
 * (DESIGN.md section 4). It changes state, so it is always authenticated (a bearer token,
 * TokenReview) and authorized (RBAC on expectations/observations, through a SubjectAccessReview);
 * nothing anonymous (authorizedPost.ts, shared with POST /v1/leases/renew).
 *
 *   {"namespace": "ns", "expectation": "name",
 *    "results": [{"key": "date=2026-01-01/campaign=1", "state": "satisfied", "message": "..."}]}
 *
 * Answers: 202 {received, accepted, ignored, ignoredKeys}; 400 Invalid with field paths; 401; 403;
 * 404 (no such Expectation); 413 (over 1 MiB); 415 (not JSON); 429 (too many at once); 503.
 */
import { Ajv } from 'ajv';
import { type CheckerResult, MAX_MESSAGE_LENGTH } from '../checkers/protocol.js';
import type { Logger } from '../runtime/log.js';
import type { ObservationAuth, ObservationTarget } from './auth.js';
import { authorizedPost, fieldError, invalid, MAX_LISTED_ERRORS, parseJson, problem, type Reply, TARGET_PROPERTIES } from './authorizedPost.js';
import type { ControllerMetrics } from './metrics.js';
import type { Route } from './route.js';

export { bearerToken, MAX_BODY_BYTES } from './authorizedPost.js';

export const OBSERVATIONS_PATH = '/v1/observations';
/** At most this many results per request. */
export const MAX_RESULTS = 10_000;

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

/** The observation endpoint's one route. */
export function observationRoutes(options: ObservationOptions, context: ObservationContext): Route[] {
  const { log, metrics } = context;
  return [
    authorizedPost({
      path: OBSERVATIONS_PATH,
      auth: options.auth,
      subresource: 'observations',
      what: 'observation',
      log,
      ...(options.maxInFlight !== undefined ? { maxInFlight: options.maxInFlight } : {}),
      parse: (body) => {
        const parsed = parseObservations(body);
        return parsed.ok ? { ok: true, target: parsed.target, value: parsed.results } : parsed;
      },
      serve: ({ caller, target, value: results }) => deliver(options, log, caller.username, target, results),
      onReply: (reply) => {
        metrics?.observationRequests.inc({ code: String(reply.status) });
        for (const [state, count] of reply.delivered ?? []) metrics?.observationResults.inc({ state }, count);
      },
    }),
  ];
}

async function deliver(options: ObservationOptions, log: Logger, user: string, target: ObservationTarget, results: CheckerResult[]): Promise<Reply> {
  const delivery = await options.deliver(target, results);
  if (delivery.status === 'notFound') return problem(404, 'NotFound', delivery.message);
  if (delivery.status === 'unavailable') return problem(503, 'ServiceUnavailable', delivery.message, { 'Retry-After': '5' });
  log.info({ user, ...target, received: results.length, accepted: delivery.accepted, ignored: delivery.ignored.length }, 'observations received');
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
    ...TARGET_PROPERTIES,
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
  const parsed = parseJson(body);
  if (!parsed.ok) return parsed;
  const json = parsed.json;
  if (!validate(json)) {
    return { ok: false, reply: invalid('invalid observations', (validate.errors ?? []).map((e) => fieldError(e, json, 'an observation', wording))) };
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
  if (errors.length > 0) return { ok: false, reply: invalid('invalid observations', errors) };
  return { ok: true, target: { namespace: input.namespace, expectation: input.expectation }, results };
}

/** The keywords an observation words its own way. */
function wording(keyword: string): string | undefined {
  switch (keyword) {
    case 'enum':
      return `must be ${STATES.slice(0, -1).join(', ')} or ${STATES.at(-1)}`;
    case 'maxItems':
      return `must have at most ${MAX_RESULTS} results`;
    case 'minItems':
      return 'must have at least one result';
    default:
      return undefined;
  }
}
