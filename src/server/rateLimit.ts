/**
 * A token bucket per client address: what keeps strangers from making the controller call the
 * API server (a TokenReview or SubjectAccessReview) as often as they like. Each address may make
 * `burst` reviews at once, then `perSecond` a second. Only reviews are charged (see cachedAuth):
 * a caller whose answer is cached costs nothing and is never limited.
 *
 * The map of buckets is bounded: beyond `maxClients` the least recently seen address is forgotten
 * (it comes back with a full bucket, which is what an address that stopped calling would have had).
 */

export interface RateLimitOptions {
  /** Reviews an address may make at once. Defaults to 20. */
  burst?: number;
  /** Reviews an address regains per second. Defaults to 5. */
  perSecond?: number;
  /** Addresses remembered at most. Defaults to 10,000. */
  maxClients?: number;
  /** Epoch milliseconds; injected by tests. Defaults to Date.now. */
  now?: () => number;
}

export type Admission = { ok: true } | { ok: false; retryAfterSeconds: number };

export interface RateLimiter {
  /** Takes one token from `client`'s bucket, or says when the next one is due. */
  take(client: string): Admission;
}

export function tokenBucket(options: RateLimitOptions = {}): RateLimiter {
  const burst = options.burst ?? 20;
  const perSecond = options.perSecond ?? 5;
  const maxClients = options.maxClients ?? 10_000;
  const now = options.now ?? Date.now;
  if (!(burst >= 1) || !(perSecond > 0)) throw new Error(`rate limit: burst must be at least 1 and perSecond above 0 (got ${burst} and ${perSecond})`);
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(client) {
      const t = now();
      const seen = buckets.get(client);
      const tokens = seen === undefined ? burst : Math.min(burst, seen.tokens + ((t - seen.at) / 1000) * perSecond);
      // Re-inserted on every call: the Map's first key is the least recently seen address.
      buckets.delete(client);
      if (tokens < 1) {
        buckets.set(client, { tokens, at: t });
        return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / perSecond)) };
      }
      buckets.set(client, { tokens: tokens - 1, at: t });
      for (const oldest of buckets.keys()) {
        if (buckets.size <= maxClients) break;
        buckets.delete(oldest);
      }
      return { ok: true };
    },
  };
}

/** The address a request came from, IPv4-mapped IPv6 (`::ffff:10.0.0.1`) written as IPv4. */
export function clientAddress(remoteAddress: string | undefined): string {
  if (remoteAddress === undefined) return 'unknown';
  return remoteAddress.startsWith('::ffff:') && remoteAddress.includes('.') ? remoteAddress.slice(7) : remoteAddress;
}
