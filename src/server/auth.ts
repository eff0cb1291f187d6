/**
 * Who may post observations: the port the observation endpoint asks, and a cache in front of it.
 * The real adapter (kubeAuth.ts) asks the API server; tests inject a fake.
 */
import { createHash } from 'node:crypto';

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
  /** The reviewer could not decide (API server unreachable, reviewer lacks RBAC): 503. */
  | { status: 'unavailable'; reason: string };

export type Authorization =
  | { status: 'allowed' }
  /** 403; `reason` is the authorizer's, possibly empty. */
  | { status: 'denied'; reason: string }
  | { status: 'unavailable'; reason: string };

/**
 * Authenticates bearer tokens and authorizes callers to post observations (or heartbeats) for one
 * Expectation.
 * Never rejects its promise for a bad token or a denied caller; a rejection is a bug (500).
 * Implementations never log the token.
 */
export interface ObservationAuth {
  authenticate(token: string): Promise<Authentication>;
  /** `subresource` defaults to observations. */
  authorize(caller: Caller, target: ObservationTarget, subresource?: Subresource): Promise<Authorization>;
}

export interface AuthCacheOptions {
  /** How long a positive answer is reused. Defaults to 60 s. */
  ttlMs?: number;
  /** At most this many answers of each kind are kept; the oldest go first. Defaults to 10,000. */
  maxEntries?: number;
  /** Epoch milliseconds; injected by tests. Defaults to Date.now. */
  now?: () => number;
}

/**
 * Reuses positive answers (authenticated, allowed) for a short while, keyed by a SHA-256 of the
 * token (the token itself is never kept), and shares one review between concurrent requests with
 * the same token. Negative answers are never cached: a caller just granted a role is let in on
 * its next try. The price: a revoked token or role keeps working for up to `ttlMs`.
 */
export function cachedAuth(inner: ObservationAuth, options: AuthCacheOptions = {}): ObservationAuth {
  const ttlMs = options.ttlMs ?? 60_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const authentications = new PositiveCache<Authentication>(ttlMs, maxEntries, now, (a) => a.status === 'authenticated');
  const authorizations = new PositiveCache<Authorization>(ttlMs, maxEntries, now, (a) => a.status === 'allowed');
  return {
    authenticate: (token) => authentications.get(sha256(token), () => inner.authenticate(token)),
    authorize: (caller, target, subresource = 'observations') =>
      // Everything the decision depends on: the same name in other groups may be allowed differently.
      authorizations.get(sha256(JSON.stringify([caller.username, caller.uid ?? '', [...(caller.groups ?? [])].sort(), sortedExtra(caller.extra), target.namespace, target.expectation, subresource])), () =>
        inner.authorize(caller, target, subresource),
      ),
  };
}

class PositiveCache<T> {
  private readonly entries = new Map<string, { value: T; expires: number }>();
  private readonly inFlight = new Map<string, Promise<T>>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number,
    private readonly positive: (value: T) => boolean,
  ) {}

  get(key: string, review: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit !== undefined && hit.expires > this.now()) return Promise.resolve(hit.value);
    if (hit !== undefined) this.entries.delete(key);
    const pending = this.inFlight.get(key);
    if (pending !== undefined) return pending;
    const started = review()
      .then((value) => {
        if (this.positive(value)) this.remember(key, value);
        return value;
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, started);
    return started;
  }

  private remember(key: string, value: T): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expires: this.now() + this.ttlMs });
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
