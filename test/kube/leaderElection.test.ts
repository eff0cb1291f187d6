import { afterEach, describe, expect, it } from '@jest/globals';
import { ApiException, type V1Lease } from '@kubernetes/client-node';
import { checkTimings, heldByAnother, heldSpec, LeaderElector, type LeaseApi, type ObservedLease, observe, releasedSpec, type StopReason } from '../../src/kube/leaderElection.js';
import { silentLogger } from '../../src/runtime/log.js';
import { FakeClock, flush } from './fakes.js';

const lease = (holder: string | undefined, resourceVersion: string, leaseDurationSeconds = 15): V1Lease => ({
  metadata: { name: 'l', namespace: 'ns', resourceVersion },
  spec: { ...(holder !== undefined ? { holderIdentity: holder } : {}), leaseDurationSeconds },
});

describe('heldByAnother: whether a replica must keep off the Lease', () => {
  const seen = (holder: string | undefined): ObservedLease => ({ holder, durationMs: 15_000, resourceVersion: '1', observedAt: 100_000 });
  it.each([
    ['nobody holds it', seen(undefined), 'me', 100_001, false],
    ['it is held by me', seen('me'), 'me', 100_001, false],
    ['another holds it and it has not expired', seen('other'), 'me', 114_999, true],
    ['another holds it and leaseDuration has passed since it last changed', seen('other'), 'me', 115_000, false],
  ])('%s', (_name, observed, identity, now, expected) => {
    expect(heldByAnother(observed, identity, now)).toBe(expected);
  });
});

describe('observe: expiry counts from when the record was seen to change, by our clock', () => {
  it('an unchanged record keeps the time it was first seen; a changed one is seen anew', () => {
    const first = observe(undefined, lease('other', '7'), 1_000);
    expect(first).toEqual({ holder: 'other', durationMs: 15_000, resourceVersion: '7', observedAt: 1_000 });
    expect(observe(first, lease('other', '7'), 9_000).observedAt).toBe(1_000);
    expect(observe(first, lease('other', '8'), 9_000).observedAt).toBe(9_000);
  });

  it('a released Lease (empty holder) is held by nobody', () => {
    expect(observe(undefined, lease('', '3', 1), 0)).toMatchObject({ holder: undefined, durationMs: 1_000 });
  });
});

describe('heldSpec and releasedSpec', () => {
  const t0 = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
  it('a new Lease: held from now, no transitions, times in microseconds', () => {
    expect(heldSpec(undefined, 'me', t0, 15_000)).toEqual({ holderIdentity: 'me', leaseDurationSeconds: 15, acquireTime: '2026-01-02T03:04:05.678000Z', renewTime: '2026-01-02T03:04:05.678000Z', leaseTransitions: 0 });
  });

  it('a renewal keeps acquireTime and the transitions', () => {
    const spec = heldSpec({ holderIdentity: 'me', acquireTime: 'then' as unknown as Date, leaseTransitions: 4 }, 'me', t0, 3_000);
    expect(spec).toMatchObject({ acquireTime: 'then', leaseTransitions: 4, leaseDurationSeconds: 3 });
  });

  it('a takeover sets acquireTime and counts one transition', () => {
    expect(heldSpec({ holderIdentity: 'other', acquireTime: 'then' as unknown as Date, leaseTransitions: 4 }, 'me', t0, 15_000)).toMatchObject({ holderIdentity: 'me', acquireTime: '2026-01-02T03:04:05.678000Z', leaseTransitions: 5 });
  });

  it('a release clears the holder and asks for one second', () => {
    const spec = releasedSpec({ holderIdentity: 'me', leaseTransitions: 2 }, t0);
    expect(spec.holderIdentity).toBeUndefined();
    expect(spec).toMatchObject({ leaseDurationSeconds: 1, leaseTransitions: 2 });
  });
});

describe('checkTimings', () => {
  it.each([
    ['the defaults', { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }, undefined],
    ['a renewDeadline as long as the lease', { leaseDurationMs: 10_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }, /renewDeadline must be shorter/],
    ['a retryPeriod near the renewDeadline', { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 9_000 }, /retryPeriod/],
    ['a sub-second lease', { leaseDurationMs: 900, renewDeadlineMs: 500, retryPeriodMs: 100 }, /at least 1s/],
  ])('%s', (_name, timings, expected) => {
    const problem = checkTimings(timings);
    if (expected === undefined) expect(problem).toBeUndefined();
    else expect(problem).toMatch(expected);
  });
});

/** One Lease in memory, with the API server's create and resourceVersion-guarded replace. */
class FakeLeases implements LeaseApi {
  stored: V1Lease | undefined;
  private version = 0;
  /** While set, every call waits forever (a partitioned network), except through other(). */
  hang = false;
  /** The next calls fail with HTTP 500. */
  failing = 0;

  get(): Promise<V1Lease | undefined> {
    return this.read(false);
  }

  create(_namespace: string, body: V1Lease): Promise<V1Lease> {
    return this.add(body, false);
  }

  replace(_namespace: string, _name: string, body: V1Lease): Promise<V1Lease> {
    return this.put(body, false);
  }

  /** The same Lease, through a connection of its own (which `hang` does not cut). */
  other(): LeaseApi {
    return { get: () => this.read(true), create: (_ns, body) => this.add(body, true), replace: (_ns, _name, body) => this.put(body, true) };
  }

  private async gate(own: boolean): Promise<void> {
    if (this.hang && !own) await new Promise<never>(() => undefined);
    if (this.failing > 0) {
      this.failing--;
      throw new ApiException(500, 'boom', '{"message":"etcd is sad"}', {});
    }
  }

  private async read(own: boolean): Promise<V1Lease | undefined> {
    await this.gate(own);
    return this.stored === undefined ? undefined : structuredClone(this.stored);
  }

  private async add(body: V1Lease, own: boolean): Promise<V1Lease> {
    await this.gate(own);
    if (this.stored !== undefined) throw new ApiException(409, 'AlreadyExists', '{}', {});
    return this.store(body);
  }

  private async put(body: V1Lease, own: boolean): Promise<V1Lease> {
    await this.gate(own);
    if (body.metadata?.resourceVersion !== this.stored?.metadata?.resourceVersion) throw new ApiException(409, 'Conflict', '{}', {});
    return this.store(body);
  }

  private store(body: V1Lease): V1Lease {
    this.stored = structuredClone({ ...body, metadata: { ...body.metadata, resourceVersion: String(++this.version) } });
    return structuredClone(this.stored);
  }
}

describe('LeaderElector', () => {
  const timings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };
  const electors: LeaderElector[] = [];
  afterEach(async () => {
    for (const e of electors.splice(0)) await e.stop({ release: false });
  });

  const candidate = (api: LeaseApi, clock: FakeClock, identity: string) => {
    const events: string[] = [];
    const gauge = { value: -1, set: (v: number) => void (gauge.value = v) };
    const elector = new LeaderElector({
      api,
      namespace: 'ns',
      name: 'l',
      identity,
      timings,
      clock,
      log: silentLogger(),
      leader: gauge,
      onStartedLeading: () => events.push(`started at ${clock.now()}`),
      onStoppedLeading: (reason: StopReason) => events.push(`stopped (${reason}) at ${clock.now()}`),
    });
    electors.push(elector);
    const done = elector.run();
    return { elector, events, gauge, done };
  };

  it('a lone candidate creates the Lease and leads at once', async () => {
    const api = new FakeLeases();
    const clock = new FakeClock(0);
    const a = candidate(api, clock, 'a');
    await flush();
    expect(a.events).toEqual(['started at 0']);
    expect(a.elector.isLeader()).toBe(true);
    expect(a.gauge.value).toBe(1);
    expect(api.stored?.spec).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 15 });
  });

  it('a second candidate stands by while the leader renews, however long', async () => {
    const api = new FakeLeases();
    const clock = new FakeClock(0);
    const a = candidate(api, clock, 'a');
    await flush();
    const b = candidate(api, clock, 'b');
    await clock.advance(60_000);
    expect(b.events).toEqual([]);
    expect(b.elector.isLeader()).toBe(false);
    expect(b.gauge.value).toBe(0);
    expect(b.elector.holder).toBe('a');
    expect(a.elector.isLeader()).toBe(true);
  });

  it('a leader that cannot renew stops leading renewDeadline after it sent its last renewal, before anyone may take over', async () => {
    const api = new FakeLeases();
    const clock = new FakeClock(0);
    const a = candidate(api, clock, 'a');
    await flush();
    const b = candidate(api.other(), clock, 'b');
    await clock.advance(4_000); // a renewed at 2000 and 4000 (sent then); b saw each renewal
    const lastRenewal = 4_000;
    api.hang = true; // a's calls never come back
    await clock.advance(lastRenewal + 10_000 - 1 - clock.now());
    expect(a.elector.isLeader()).toBe(true);
    await clock.advance(1);
    expect(a.elector.isLeader()).toBe(false);
    expect(a.events).toEqual(['started at 0', 'stopped (lost) at 14000']);
    expect(a.gauge.value).toBe(0);
    api.hang = false;
    // b last saw a change at 4000 at the earliest, so it may not lead before 19000.
    await clock.advance(19_000 - 1 - clock.now());
    expect(b.events).toEqual([]);
    await clock.advance(10_000);
    expect(b.events).toHaveLength(1);
    expect(Number(/at (\d+)/.exec(b.events[0] ?? '')?.[1])).toBeGreaterThanOrEqual(19_000);
    await a.done; // a's loop ended for good
  });

  it('isLeader is false past the deadline even before the deadline timer fires (a stalled event loop)', async () => {
    const api = new FakeLeases();
    let now = 0;
    const timers: (() => void)[] = [];
    const stalled = { now: () => now, setTimer: (_at: number, fire: () => void) => (timers.push(fire), () => undefined) };
    const elector = new LeaderElector({ api, namespace: 'ns', name: 'l', identity: 'a', timings, clock: stalled, log: silentLogger(), onStartedLeading: () => undefined });
    void elector.run();
    await flush();
    expect(elector.isLeader()).toBe(true);
    now = 10_000;
    expect(elector.isLeader()).toBe(false);
    await elector.stop({ release: false });
  });

  it('stopping releases the Lease, and the standby leads at its next try', async () => {
    const api = new FakeLeases();
    const clock = new FakeClock(0);
    const a = candidate(api, clock, 'a');
    await flush();
    const b = candidate(api, clock, 'b');
    await clock.advance(5_000);
    await a.elector.stop();
    expect(a.events).toEqual(['started at 0', 'stopped (released) at 5000']);
    expect(api.stored?.spec?.holderIdentity).toBeUndefined();
    expect(api.stored?.spec?.leaseDurationSeconds).toBe(1);
    await clock.advance(2_400); // one retryPeriod plus its jitter
    expect(b.events).toEqual([expect.stringMatching(/^started at/)]);
    expect(api.stored?.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });

  it('abandoning (a crash) leaves the Lease held: the standby waits for leaseDuration', async () => {
    const api = new FakeLeases();
    const clock = new FakeClock(0);
    const a = candidate(api, clock, 'a');
    await flush();
    const b = candidate(api, clock, 'b');
    await clock.advance(3_000);
    const lastChange = 2_000;
    await a.elector.stop({ release: false });
    expect(a.events).toEqual(['started at 0', 'stopped (abandoned) at 3000']);
    expect(api.stored?.spec?.holderIdentity).toBe('a');
    await clock.advance(lastChange + 15_000 - clock.now());
    expect(b.events).toEqual([]);
    // b saw the last renewal at its first try after it (2,000-2,400 ms: retryPeriod with up to 20 %
    // jitter), so the Lease is free for b by 17,400 at the latest, and b's next try comes at most
    // 2,400 ms later.
    await clock.advance(2_800);
    expect(b.events).toHaveLength(1);
  });

  it('API errors never end the loop: the candidate tries again', async () => {
    const api = new FakeLeases();
    const clock = new FakeClock(0);
    api.failing = 3;
    const a = candidate(api, clock, 'a');
    await clock.advance(3 * 2_400);
    expect(a.events).toHaveLength(1);
    expect(a.elector.isLeader()).toBe(true);
  });

  it('a leader that finds another holder (its Lease expired and was taken) has lost', async () => {
    const api = new FakeLeases();
    const clock = new FakeClock(0);
    const a = candidate(api, clock, 'a');
    await flush();
    api.stored = { ...lease('thief', '99'), spec: { holderIdentity: 'thief', leaseDurationSeconds: 15 } };
    await clock.advance(2_000);
    expect(a.events).toEqual(['started at 0', 'stopped (lost) at 2000']);
    expect(api.stored.spec?.holderIdentity).toBe('thief');
  });

  it('refuses unsafe timings', () => {
    expect(() => new LeaderElector({ api: new FakeLeases(), namespace: 'ns', name: 'l', identity: 'a', timings: { renewDeadlineMs: 20_000 }, log: silentLogger(), onStartedLeading: () => undefined })).toThrow(/renewDeadline must be shorter/);
  });
});
