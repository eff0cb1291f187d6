import { describe, expect, it } from '@jest/globals';
import { clientAddress, tokenBucket } from '../../src/server/rateLimit.js';

describe('tokenBucket', () => {
  const clock = () => {
    let now = 0;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  };

  it('lets an address make `burst` reviews at once, then refuses with the seconds until the next token', () => {
    const { now } = clock();
    const limiter = tokenBucket({ burst: 3, perSecond: 0.5, now });
    expect([1, 2, 3].map(() => limiter.take('10.0.0.1').ok)).toEqual([true, true, true]);
    expect(limiter.take('10.0.0.1')).toEqual({ ok: false, retryAfterSeconds: 2 });
  });

  it('refills perSecond tokens a second, never above burst', () => {
    const { now, advance } = clock();
    const limiter = tokenBucket({ burst: 2, perSecond: 1, now });
    limiter.take('a');
    limiter.take('a');
    expect(limiter.take('a').ok).toBe(false);
    advance(1_000);
    expect(limiter.take('a').ok).toBe(true);
    expect(limiter.take('a').ok).toBe(false);
    advance(60_000);
    expect([1, 2, 3].map(() => limiter.take('a').ok)).toEqual([true, true, false]);
  });

  it('keeps a bucket per address: one address out of tokens does not limit another', () => {
    const limiter = tokenBucket({ burst: 1, perSecond: 1, now: () => 0 });
    expect(limiter.take('10.0.0.1').ok).toBe(true);
    expect(limiter.take('10.0.0.1').ok).toBe(false);
    expect(limiter.take('10.0.0.2').ok).toBe(true);
  });

  it('remembers at most maxClients addresses, forgetting the least recently seen', () => {
    const limiter = tokenBucket({ burst: 1, perSecond: 1, maxClients: 2, now: () => 0 });
    limiter.take('a');
    limiter.take('b');
    expect(limiter.take('a').ok).toBe(false); // a is now the most recently seen
    limiter.take('c'); // b is forgotten
    expect(limiter.take('a').ok).toBe(false);
    expect(limiter.take('b').ok).toBe(true);
  });

  it('refuses a limit that would let nothing through', () => {
    expect(() => tokenBucket({ burst: 0 })).toThrow(/burst must be at least 1/);
    expect(() => tokenBucket({ perSecond: 0 })).toThrow(/perSecond above 0/);
  });
});

describe('clientAddress', () => {
  it('writes an IPv4-mapped IPv6 address as IPv4, so both forms share a bucket', () => {
    expect(clientAddress('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(clientAddress('10.1.2.3')).toBe('10.1.2.3');
    expect(clientAddress('fd00::1')).toBe('fd00::1');
    expect(clientAddress(undefined)).toBe('unknown');
  });
});
