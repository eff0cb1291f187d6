/**
 * Who may post observations: the port the observation endpoint asks, and a cache in front of it.
 * The real adapter (kubeAuth.ts) asks the API server; tests inject a fake.
 */
import { createHash } from 'node:crypto';
import type { RateLimiter } from './rateLimit.js';

/** An authenticated caller, as the API server describes it (TokenReview status.user). */
export interface Caller {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

/** The Expectation a caller posts observations for. */
export interface ObservationTarget {
  namespace: string;
  expectation: string;
}

/**
 * What a caller asks to do to an Expectation, as a subresource of `expectations` it needs verb
 * `create` on: post observations, or renew the lease of an action (a heartbeat).
 */
export type Subresource = 'observations' | 'heartbeats';

/** Expected outcomes are values: a bad token or a missing role is not an exception. */
export type Authentication =
  | { status: 'authenticated'; caller: Caller }
  /** The token is not valid (unknown, expired, wrong audience): 401. */
  | { status: 'rejected'; reason: string }
  /** The reviewer could not decide (API server unreachable or too slow, reviewer lacks RBAC): 503. */
  | { status: 'unavailable'; reason: string }
  /** Not reviewed: the caller's address made too many reviews lately (429). */
  | Limited;

/** Too many reviews from one address: retry after this many seconds (429 with Retry-After). */
export interface Limited {
  status: 'limited';
  retryAfterSeconds: number;
}

export type Authorization =
  | { status: 'allowed' }
  /** 403; `reason` is the authorizer's, possibly empty. */
  | { status: 'denied'; reason: string }
  | { status: 'unavailable'; reason: string }
  | Limited;

/**
 * Authenticates bearer tokens and authorizes callers to post observations (or heartbeats) for one
 * Expectation.
 * Never rejects its promise for a bad token or a denied caller; a rejection is a bug (500).
 * Implementations never log the token.
 */
export interface ObservationAuth {
  /** `client`: the caller's address, which rate limits are kept by (see cachedAuth). */
  authenticate(token: string, client?: string): Promise<Authentication>;
  /** `subresource` defaults to observations. */
  authorize(caller: Caller, target: ObservationTarget, subresource?: Subresource, client?: string): Promise<Authorization>;
}

export interface AuthCacheOptions {
  /** How long a positive answer is reused. Defaults to 60 s. */
  ttlMs?: number;
  /** How long a rejected token stays rejected without another TokenReview. Defaults to 10 s. */
  rejectedTtlMs?: number;
  /** At most this many answers of each kind are kept; the oldest go first. Defaults to 10,000. */
  maxEntries?: number;
  /**
   * Charged once for every review the cache cannot answer, by the caller's address; an address
   * out of tokens gets `limited` (429) and costs the API server nothing. None: unlimited.
   */
  limiter?: RateLimiter;
  /** Epoch milliseconds; injected by tests. Defaults to Date.now. */
  now?: () => number;
}

/**
 * Reuses answers for a short while, keyed by a SHA-256 of the token (the token itself is never
 * kept), and shares one review between concurrent requests with the same token:
 * - authenticated and allowed: for `ttlMs`. The price: a revoked token or role keeps working for
 *   up to `ttlMs`.
 * - a rejected token: for `rejectedTtlMs`, so replaying one bad token costs one TokenReview per
 *   period. A token does not turn valid later (a new one is minted), so this costs nobody.
 * - denied access is never cached: a caller just granted a role is let in on its next try. Only a
 *   caller with a valid token can be denied, and the limiter bounds how often.
 * - unavailable and limited answers are never cached.
 * Rejected tokens are kept apart from valid ones: a flood of bad tokens cannot evict good callers.
 */
export function cachedAuth(inner: ObservationAuth, options: AuthCacheOptions = {}): ObservationAuth {
  const ttlMs = options.ttlMs ?? 60_000;
  const rejectedTtlMs = options.rejectedTtlMs ?? 10_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const limiter = options.limiter;
  const authenticated = new AnswerCache<Authentication>(maxEntries, now);
  const rejected = new AnswerCache<Authentication>(maxEntries, now);
  const allowed = new AnswerCache<Authorization>(maxEntries, now);
  const pendingAuthentications = new Map<string, Promise<Authentication>>();
  const pendingAuthorizations = new Map<string, Promise<Authorization>>();

  /** The limiter's word for `client`, or undefined when it may review. */
  const limited = (client: string | undefined): { status: 'limited'; retryAfterSeconds: number } | undefined => {
    if (limiter === undefined || client === undefined) return undefined;
    const admission = limiter.take(client);
    return admission.ok ? undefined : { status: 'limited', retryAfterSeconds: admission.retryAfterSeconds };
  };

  return {
    authenticate(token, client) {
      const key = sha256(token);
      const hit = authenticated.get(key) ?? rejected.get(key);
      if (hit !== undefined) return Promise.resolve(hit);
      return shared(pendingAuthentications, key, () => limited(client), () => inner.authenticate(token, client), (answer) => {
        if (answer.status === 'authenticated') authenticated.set(key, answer, ttlMs);
        else if (answer.status === 'rejected') rejected.set(key, answer, rejectedTtlMs);
      });
    },
    authorize(caller, target, subresource = 'observations', client) {
      // Everything the decision depends on: the same name in other groups may be allowed differently.
      const key = sha256(JSON.stringify([caller.username, caller.uid ?? '', [...(caller.groups ?? [])].sort(), sortedExtra(caller.extra), target.namespace, target.expectation, subresource]));
      const hit = allowed.get(key);
      if (hit !== undefined) return Promise.resolve(hit);
      return shared(pendingAuthorizations, key, () => limited(client), () => inner.authorize(caller, target, subresource, client), (answer) => {
        if (answer.status === 'allowed') allowed.set(key, answer, ttlMs);
      });
    },
  };
}

/**
 * One review per key at a time: a request arriving while its key is reviewed waits for that
 * answer (and is not charged); otherwise `refuse` may answer instead (the limiter), else `review`.
 */
function shared<T>(pending: Map<string, Promise<T>>, key: string, refuse: () => T | undefined, review: () => Promise<T>, remember: (answer: T) => void): Promise<T> {
  const waiting = pending.get(key);
  if (waiting !== undefined) return waiting;
  const refused = refuse();
  if (refused !== undefined) return Promise.resolve(refused);
  const started = review()
    .then((answer) => {
      remember(answer);
      return answer;
    })
    .finally(() => pending.delete(key));
  pending.set(key, started);
  return started;
}

/** Answers by key until they expire; at most `maxEntries`, the oldest forgotten first. */
class AnswerCache<T> {
  private readonly entries = new Map<string, { value: T; expires: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number,
  ) {}

  get(key: string): T | undefined {
    const hit = this.entries.get(key);
    if (hit === undefined) return undefined;
    if (hit.expires > this.now()) return hit.value;
    this.entries.delete(key);
    return undefined;
  }

  set(key: string, value: T, ttlMs: number): void {
    if (ttlMs <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, { value, expires: this.now() + ttlMs });
    // Maps iterate in insertion order: the first keys are the oldest.
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
    }
  }
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const sortedExtra = (extra: Record<string, string[]> | undefined) =>
  Object.entries(extra ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => [k, [...v].sort()]);
