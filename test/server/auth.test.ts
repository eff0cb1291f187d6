import { describe, expect, it } from '@jest/globals';
import { type Authentication, type Authorization, cachedAuth, type Caller, type ObservationAuth, type ObservationTarget } from '../../src/server/auth.js';

/** An ObservationAuth that counts its reviews; `answer` decides them. */
class CountingAuth implements ObservationAuth {
  authentications = 0;
  authorizations = 0;
  authenticated = true;
  allowed = true;
  gate: Promise<void> = Promise.resolve();

  async authenticate(_token: string): Promise<Authentication> {
    this.authentications++;
    await this.gate;
    return this.authenticated ? { status: 'authenticated', caller: { username: 'alice', groups: ['a', 'b'] } } : { status: 'rejected', reason: 'unknown token' };
  }

  async authorize(_caller: Caller, _target: ObservationTarget): Promise<Authorization> {
    this.authorizations++;
    return this.allowed ? { status: 'allowed' } : { status: 'denied', reason: '' };
  }
}

const setup = (options: { maxEntries?: number } = {}) => {
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

  it('never caches a rejected token or a denied access: a new role works at once', async () => {
    const { inner, auth } = setup();
    inner.authenticated = false;
    inner.allowed = false;
    await auth.authenticate('t1');
    await auth.authorize(alice, target);
    inner.authenticated = true;
    inner.allowed = true;
    expect(await auth.authenticate('t1')).toMatchObject({ status: 'authenticated' });
    expect(await auth.authorize(alice, target)).toEqual({ status: 'allowed' });
    expect([inner.authentications, inner.authorizations]).toEqual([2, 2]);
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
