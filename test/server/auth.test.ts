import { describe, expect, it } from '@jest/globals';
import { type AuthCacheOptions, type Authentication, type Authorization, cachedAuth, type Caller, type ObservationAuth, type ObservationTarget } from '../../src/server/auth.js';
import { tokenBucket } from '../../src/server/rateLimit.js';

/** An ObservationAuth that counts its reviews; `answer` decides them. */
class CountingAuth implements ObservationAuth {
  authentications = 0;
  authorizations = 0;
  authenticated = true;
  unavailable = false;
  allowed = true;
  gate: Promise<void> = Promise.resolve();

  async authenticate(_token: string): Promise<Authentication> {
    this.authentications++;
    await this.gate;
    if (this.unavailable) return { status: 'unavailable', reason: 'connect ECONNREFUSED' };
    return this.authenticated ? { status: 'authenticated', caller: { username: 'alice', groups: ['a', 'b'] } } : { status: 'rejected', reason: 'unknown token' };
  }

  async authorize(_caller: Caller, _target: ObservationTarget): Promise<Authorization> {
    this.authorizations++;
    return this.allowed ? { status: 'allowed' } : { status: 'denied', reason: '' };
  }
}

const setup = (options: AuthCacheOptions = {}) => {
  const inner = new CountingAuth();
  let now = 1_000_000;
  const auth = cachedAuth(inner, { ttlMs: 60_000, now: () => now, ...options });
  return { inner, auth, advance: (ms: number) => (now += ms) };
};
const alice: Caller = { username: 'alice', groups: ['a', 'b'] };
const target: ObservationTarget = { namespace: 'data', expectation: 'campaign-results' };

describe('cachedAuth', () => {
  it('reuses a positive TokenReview for the same token until the TTL passes', async () => {
    const { inner, auth, advance } = setup();
    expect(await auth.authenticate('t1')).toMatchObject({ status: 'authenticated' });
    advance(59_999);
    await auth.authenticate('t1');
    expect(inner.authentications).toBe(1);
    advance(1);
    await auth.authenticate('t1');
    expect(inner.authentications).toBe(2);
  });

  it('reviews another token on its own', async () => {
    const { inner, auth } = setup();
    await auth.authenticate('t1');
    await auth.authenticate('t2');
    expect(inner.authentications).toBe(2);
  });

  it('never caches a denied access: a new role works at once', async () => {
    const { inner, auth } = setup();
    inner.allowed = false;
    await auth.authorize(alice, target);
    inner.allowed = true;
    expect(await auth.authorize(alice, target)).toEqual({ status: 'allowed' });
    expect(inner.authorizations).toBe(2);
  });

  it('answers a rejected token from the cache for rejectedTtlMs: replaying a bad token costs one TokenReview per period', async () => {
    const { inner, auth, advance } = setup({ rejectedTtlMs: 10_000 });
    inner.authenticated = false;
    for (let i = 0; i < 100; i++) expect(await auth.authenticate('bad')).toMatchObject({ status: 'rejected' });
    expect(inner.authentications).toBe(1);
    advance(10_000);
    await auth.authenticate('bad');
    expect(inner.authentications).toBe(2);
  });

  it('keeps rejected tokens apart: a flood of bad tokens does not evict a valid one', async () => {
    const { inner, auth } = setup({ maxEntries: 2 });
    await auth.authenticate('good');
    inner.authenticated = false;
    for (let i = 0; i < 10; i++) await auth.authenticate(`bad-${i}`);
    inner.authenticated = true;
    const before = inner.authentications;
    expect(await auth.authenticate('good')).toMatchObject({ status: 'authenticated' });
    expect(inner.authentications).toBe(before);
  });

  it('never caches an unavailable answer', async () => {
    const { inner, auth } = setup();
    inner.unavailable = true;
    expect(await auth.authenticate('t1')).toMatchObject({ status: 'unavailable' });
    inner.unavailable = false;
    expect(await auth.authenticate('t1')).toMatchObject({ status: 'authenticated' });
    expect(inner.authentications).toBe(2);
  });

  describe('with a limiter', () => {
    const limiter = (burst = 2) => tokenBucket({ burst, perSecond: 1, now: () => 0 });

    it('charges the address for each review, and answers limited without a review once it is out of tokens', async () => {
      const { inner, auth } = setup({ limiter: limiter() });
      inner.authenticated = false;
      expect(await auth.authenticate('bad-1', '10.0.0.1')).toMatchObject({ status: 'rejected' });
      expect(await auth.authenticate('bad-2', '10.0.0.1')).toMatchObject({ status: 'rejected' });
      expect(await auth.authenticate('bad-3', '10.0.0.1')).toEqual({ status: 'limited', retryAfterSeconds: 1 });
      expect(inner.authentications).toBe(2);
      // Another address has its own bucket.
      expect(await auth.authenticate('bad-3', '10.0.0.2')).toMatchObject({ status: 'rejected' });
      expect(inner.authentications).toBe(3);
    });

    it('never charges a cached answer: a known caller gets in while its address is out of tokens', async () => {
      const { inner, auth } = setup({ limiter: limiter(3) });
      await auth.authenticate('good', '10.0.0.1');
      await auth.authorize(alice, target, 'observations', '10.0.0.1');
      inner.authenticated = false;
      await auth.authenticate('bad-1', '10.0.0.1');
      expect(await auth.authenticate('bad-2', '10.0.0.1')).toMatchObject({ status: 'limited' });
      expect(await auth.authenticate('good', '10.0.0.1')).toMatchObject({ status: 'authenticated' });
      expect(await auth.authorize(alice, target, 'observations', '10.0.0.1')).toEqual({ status: 'allowed' });
      // A review not cached is charged too: a valid caller cannot make SubjectAccessReviews without end.
      expect(await auth.authorize(alice, { ...target, expectation: 'other' }, 'observations', '10.0.0.1')).toMatchObject({ status: 'limited' });
    });
  });

  it('shares one review between concurrent requests with the same token', async () => {
    const { inner, auth } = setup();
    let open: () => void = () => undefined;
    inner.gate = new Promise((resolve) => (open = resolve));
    const answers = Promise.all([auth.authenticate('t1'), auth.authenticate('t1'), auth.authenticate('t1')]);
    open();
    expect((await answers).map((a) => a.status)).toEqual(['authenticated', 'authenticated', 'authenticated']);
    expect(inner.authentications).toBe(1);
  });

  it('caches an allowed access per caller and Expectation', async () => {
    const { inner, auth, advance } = setup();
    await auth.authorize(alice, target);
    await auth.authorize({ username: 'alice', groups: ['b', 'a'] }, target);
    expect(inner.authorizations).toBe(1);
    await auth.authorize(alice, { ...target, expectation: 'other' });
    await auth.authorize(alice, { ...target, namespace: 'other' });
    // The same name with other groups is another caller as far as RBAC is concerned.
    await auth.authorize({ username: 'alice', groups: ['system:masters'] }, target);
    expect(inner.authorizations).toBe(4);
    advance(60_000);
    await auth.authorize(alice, target);
    expect(inner.authorizations).toBe(5);
  });

  it('caches observations and heartbeats apart: RBAC may allow one and not the other', async () => {
    const { inner, auth } = setup();
    await auth.authorize(alice, target);
    await auth.authorize(alice, target, 'observations');
    expect(inner.authorizations).toBe(1);
    await auth.authorize(alice, target, 'heartbeats');
    await auth.authorize(alice, target, 'heartbeats');
    expect(inner.authorizations).toBe(2);
  });

  it('keeps at most maxEntries answers, forgetting the oldest', async () => {
    const { inner, auth } = setup({ maxEntries: 2 });
    for (const token of ['t1', 't2', 't3']) await auth.authenticate(token);
    await auth.authenticate('t3');
    await auth.authenticate('t2');
    expect(inner.authentications).toBe(3);
    await auth.authenticate('t1');
    expect(inner.authentications).toBe(4);
  });
});
