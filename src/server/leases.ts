/**
 * POST /v1/leases/renew: an action's heartbeat (DESIGN: "An action may renew its lease to work
 * longer than the timeout"). Authenticated and authorized like /v1/observations (authorizedPost.ts),
 * against RBAC on expectations/heartbeats (verb create) for the named Expectation.
 *
 *   {"namespace": "ns", "expectation": "name", "key": "date=2026-01-01", "attempt": 3}
 *
 * `key` and `attempt` are the action's HOMEOSTAT_PARTITION and HOMEOSTAT_ATTEMPT. Answers: 200
 * {expiresAt} (RFC 3339); 400 Invalid with field paths; 401; 403; 404 (no live lease of that
 * attempt); 413; 415; 429; 503.
 */
import { Ajv } from 'ajv';
import type { Logger } from '../runtime/log.js';
import type { ObservationAuth, ObservationTarget } from './auth.js';
import { authorizedPost, fieldError, invalid, type Parsed, parseJson, problem, type Reply, TARGET_PROPERTIES } from './authorizedPost.js';
import type { Route } from './route.js';

export const LEASE_RENEW_PATH = '/v1/leases/renew';

/** What the controller made of a renewal. */
export type Renewal =
  /** The lease now ends at `expiresAt` (epoch milliseconds). */
  | { status: 'renewed'; expiresAt: number }
  /** No live lease of this attempt for that partition (ended, expired, superseded, unknown): 404. */
  | { status: 'notFound'; message: string }
  /** Cannot renew now (starting, stopping): 503, the action retries. */
  | { status: 'unavailable'; message: string };

/** Renews the lease of `attempt` on partition `key` of the Expectation. Throwing is a bug (500). */
export type Renew = (target: ObservationTarget, key: string, attempt: number) => Renewal | Promise<Renewal>;

export interface LeaseOptions {
  auth: ObservationAuth;
  renew: Renew;
  /** Requests served at once; more get 429. Defaults to 32. */
  maxInFlight?: number;
}

export interface LeaseRenewal {
  key: string;
  attempt: number;
}

/** The lease endpoint's one route. */
export function leaseRoutes(options: LeaseOptions, context: { log: Logger }): Route[] {
  const { log } = context;
  return [
    authorizedPost<LeaseRenewal>({
      path: LEASE_RENEW_PATH,
      auth: options.auth,
      subresource: 'heartbeats',
      what: 'lease renewal',
      log,
      ...(options.maxInFlight !== undefined ? { maxInFlight: options.maxInFlight } : {}),
      parse: parseRenewal,
      serve: async ({ caller, target, value: { key, attempt } }): Promise<Reply> => {
        const renewal = await options.renew(target, key, attempt);
        if (renewal.status === 'notFound') return problem(404, 'NotFound', renewal.message);
        if (renewal.status === 'unavailable') return problem(503, 'ServiceUnavailable', renewal.message, { 'Retry-After': '5' });
        const expiresAt = new Date(renewal.expiresAt).toISOString();
        log.debug({ user: caller.username, ...target, key, attempt, expiresAt }, 'lease renewed');
        return { status: 200, body: { ...target, key, attempt, expiresAt } };
      },
    }),
  ];
}

const SCHEMA = {
  type: 'object',
  required: ['namespace', 'expectation', 'key', 'attempt'],
  additionalProperties: false,
  properties: {
    ...TARGET_PROPERTIES,
    // Empty for an unpartitioned Expectation.
    key: { type: 'string', maxLength: 4096 },
    attempt: { type: 'integer', minimum: 1 },
  },
} as const;

const validate = new Ajv({ allErrors: true, strict: true }).compile(SCHEMA);

/** Parses and validates a renewal; errors name the field, like `attempt`. */
export function parseRenewal(body: Buffer | string): Parsed<LeaseRenewal> {
  const parsed = parseJson(body);
  if (!parsed.ok) return parsed;
  const json = parsed.json;
  if (!validate(json)) {
    const wording = (keyword: string) => (keyword === 'type' || keyword === 'minimum' ? 'must be a positive integer (HOMEOSTAT_ATTEMPT)' : undefined);
    const errors = (validate.errors ?? []).map((e) => (e.instancePath === '/attempt' ? fieldError(e, json, 'a lease renewal', wording) : fieldError(e, json, 'a lease renewal')));
    return { ok: false, reply: invalid('invalid lease renewal', errors) };
  }
  const input = json as { namespace: string; expectation: string; key: string; attempt: number };
  return { ok: true, target: { namespace: input.namespace, expectation: input.expectation }, value: { key: input.key, attempt: input.attempt } };
}
