import { describe, expect, it } from '@jest/globals';
import type { Expectation, StateChecker } from '../../src/api/types.js';
import { type ActionLaunch, type CheckRequest, emptyWorld, type EngineSnapshot, type Lease } from '../../src/engine/index.js';
import { convergence } from '../../src/runtime/convergence.js';
import { silentLogger } from '../../src/runtime/log.js';
import { type ActionEnd, type CheckAnswer, type ObjectRef, type Ports, systemClock } from '../../src/runtime/ports.js';
import { Reconciler } from '../../src/runtime/reconciler.js';

const meta = (name: string) => ({ name, namespace: 'default', generation: 1 });
const CHECKER: StateChecker = { apiVersion: 'homeostat.dev/v1alpha1', kind: 'StateChecker', metadata: meta('files'), spec: { mode: 'Job', command: ['check'], timeout: '1m' } };
const report = (partitions?: Expectation['spec']['partitions']): Expectation => ({
  apiVersion: 'homeostat.dev/v1alpha1',
  kind: 'Expectation',
  metadata: meta('report'),
  spec: {
    checker: { ref: 'files' },
    ...(partitions !== undefined ? { partitions } : {}),
    action: { job: { template: { spec: { containers: [{ name: 'build', image: 'x', command: ['build'] }] } } } },
    workingTimeout: '10m',
    retry: { limit: 3, backoff: { initial: '1s', max: '1s' } },
  },
});

/**
 * Ports over an in-memory world: data is a set of node ids that hold; a launch makes its node
 * hold and ends at once. `journal` records the calls in order; failures can be injected.
 */
class FakeWorld {
  readonly data = new Set<string>();
  readonly journal: string[] = [];
  readonly launches: ActionLaunch[] = [];
  readonly saved: EngineSnapshot[] = [];
  readonly statuses = new Map<string, Record<string, unknown>>();
  failSaves = 0;
  failLaunches = 0;
  private ended: (end: ActionEnd) => void = () => undefined;
  private answer: (answer: CheckAnswer) => void = () => undefined;

  readonly ports: Ports = {
    clock: systemClock,
    actions: {
      onEnded: (listener) => void (this.ended = listener),
      launch: async (launch) => {
        this.journal.push(`launch ${launch.lease.action}`);
        if (this.failLaunches > 0 && this.failLaunches--) throw new Error('API server unavailable');
        this.launches.push(launch);
        this.data.add(launch.node);
        setImmediate(() => this.ended({ node: launch.node, attempt: launch.lease.attempt, action: launch.lease.action, outcome: 'succeeded' }));
      },
      cancel: async (cancel) => void this.journal.push(`cancel ${cancel.action}`),
      adopt: async (leases: readonly Lease[]) => void this.journal.push(`adopt ${leases.map((l) => l.action).join(',')}`),
    },
    checks: {
      onAnswer: (listener) => void (this.answer = listener),
      request: async (request: CheckRequest) => {
        this.journal.push(`check ${request.items.length}`);
        setImmediate(() => this.answer({ request, verdicts: request.items.map((i) => ({ node: i.node, verdict: this.data.has(i.node) ? 'satisfied' : 'unsatisfied' })), unanswered: [] }));
      },
    },
    state: {
      load: async () => this.saved.at(-1),
      save: async (snapshot) => {
        this.journal.push(`save ${snapshot.leases.filter((l) => l.outcome === undefined).map((l) => l.action).join(',')}`);
        if (this.failSaves > 0 && this.failSaves--) throw new Error('disk full');
        this.saved.push(structuredClone(snapshot));
      },
    },
    status: {
      writeStatus: async (o: ObjectRef, status) => void this.statuses.set(`${o.kind}/${o.name}`, status),
      writeRun: async () => undefined,
      removeRun: async () => undefined,
      recordEvent: () => undefined,
    },
  };
}

async function settled(reconciler: Reconciler, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(reconciler.idle() && convergence(reconciler.engine).converged)) {
    if (Date.now() > deadline) throw new Error(`not settled: ${JSON.stringify(convergence(reconciler.engine).unsatisfied)}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const start = (world: FakeWorld) => Reconciler.start(world.ports, { holder: 'test', log: silentLogger(), retryInitialMs: 10, retryMaxMs: 20 });
const declare = (reconciler: Reconciler, expectation: Expectation) =>
  reconciler.setDeclared({ world: { ...emptyWorld(), checkers: [CHECKER], expectations: [expectation] }, side: { checkers: [CHECKER], dagDependencies: [], dagRuns: [] } });

describe('the reconciler', () => {
  it('saves the lease before it launches the action (DESIGN rule 2)', async () => {
    const world = new FakeWorld();
    const reconciler = await start(world);
    declare(reconciler, report());
    await settled(reconciler);
    await reconciler.stop();

    const [launch] = world.launches;
    const launchAt = world.journal.indexOf(`launch ${launch?.lease.action}`);
    const saveAt = world.journal.findIndex((e) => e === `save ${launch?.lease.action}`);
    expect(saveAt).toBeGreaterThanOrEqual(0);
    expect(saveAt).toBeLessThan(launchAt);
    expect(world.statuses.get('Expectation/report')).toMatchObject({ phase: 'Satisfied', satisfied: '1/1' });
  });

  it('launches nothing while the state cannot be saved, then retries', async () => {
    const world = new FakeWorld();
    world.failSaves = 3;
    const reconciler = await start(world);
    declare(reconciler, report());
    await settled(reconciler);
    await reconciler.stop();

    const firstLaunch = world.journal.findIndex((e) => e.startsWith('launch'));
    expect(world.saved.length).toBeGreaterThan(0);
    expect(world.journal.slice(0, firstLaunch).filter((e) => e.startsWith('save'))).toHaveLength(4); // three failures, then the one that holds
    expect(world.launches).toHaveLength(1);
  });

  it('retries a launch the outside world refused, under the same action name', async () => {
    const world = new FakeWorld();
    world.failLaunches = 2;
    const reconciler = await start(world);
    declare(reconciler, report());
    await settled(reconciler);
    await reconciler.stop();

    const attempts = world.journal.filter((e) => e.startsWith('launch'));
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts).size).toBe(1);
  });

  it('coalesces a burst of answers into few passes', async () => {
    const world = new FakeWorld();
    const reconciler = await start(world);
    declare(reconciler, report({ day: { values: Array.from({ length: 200 }, (_, i) => String(i)) } }));
    await settled(reconciler);
    await reconciler.stop();
    expect(world.launches).toHaveLength(200);
    // 200 checks, 200 launches, 200 ends and 200 verifications: far fewer passes than events.
    expect(reconciler.passCount).toBeLessThan(60);
  });

  it('hands leases held before a restart to the runner to adopt, and launches nothing for them', async () => {
    const world = new FakeWorld();
    world.ports.actions.launch = async (launch) => void (world.journal.push(`launch ${launch.lease.action}`), world.launches.push(launch)); // never ends
    const first = await start(world);
    declare(first, report());
    while (world.launches.length === 0) await new Promise((r) => setTimeout(r, 5));
    await first.stop();

    const second = await start(world);
    declare(second, report());
    await new Promise((r) => setTimeout(r, 50));
    await second.stop();
    const action = world.launches[0]?.lease.action;
    expect(world.journal.filter((e) => e.startsWith('launch'))).toEqual([`launch ${action}`]);
    expect(world.journal).toContain(`adopt ${action}`);
  });

  it('relaunches an adopted action that never started after a fresh check, saying ActionNotStarted and counting no attempt', async () => {
    const world = new FakeWorld();
    const launch = world.ports.actions.launch;
    world.ports.actions.launch = async (l) => void (world.journal.push(`launch ${l.lease.action}`), world.launches.push(l)); // the controller stops before the Job exists
    const first = await start(world);
    declare(first, report());
    while (world.launches.length === 0) await new Promise((r) => setTimeout(r, 5));
    await first.stop();

    const events: string[] = [];
    world.ports.status.recordEvent = (e) => void events.push(`${e.type}/${e.reason}`);
    world.ports.actions.launch = launch;
    let ended: (end: ActionEnd) => void = () => undefined;
    const onEnded = world.ports.actions.onEnded;
    world.ports.actions.onEnded = (listener) => (onEnded(listener), (ended = listener));
    world.ports.actions.adopt = async (leases) => {
      for (const l of leases) setImmediate(() => ended({ node: l.node, attempt: l.attempt, action: l.action, outcome: 'notStarted', message: `no Job ${l.action} exists` }));
    };
    const second = await start(world);
    declare(second, report());
    await settled(second);
    expect(second.engine.retry(world.launches[0]?.node ?? '')).toBeUndefined();
    await second.stop();

    expect(world.launches.map((l) => l.lease.attempt)).toEqual([1, 1]);
    expect(events).toContain('Normal/ActionNotStarted');
    expect(events.filter((e) => e.startsWith('Warning'))).toEqual([]);
  });
});

/** Instruments that remember what they were told (the shape of prom-client's). */
class FakeInstruments {
  readonly passes: string[] = [];
  readonly durations: { result: string; seconds: number }[] = [];
  readonly depths: number[] = [];
  readonly metrics = {
    reconcilePasses: { inc: (labels: { result: string }) => void this.passes.push(labels.result) },
    reconcileDuration: {
      observe: (labels: { result: string }, seconds: number) => void this.durations.push({ result: labels.result, seconds }),
      startTimer: () => () => 0,
    },
    queueDepth: { set: (value: number) => void this.depths.push(value), inc: () => undefined, dec: () => undefined },
  };
}

describe('the reconciler: per-pass metrics', () => {
  it('counts each pass by result, observes its duration and sets the queue depth', async () => {
    const world = new FakeWorld();
    world.failLaunches = 1;
    const fake = new FakeInstruments();
    const reconciler = await Reconciler.start(world.ports, { holder: 'test', log: silentLogger(), retryInitialMs: 10, retryMaxMs: 20, metrics: fake.metrics });
    declare(reconciler, report());
    await settled(reconciler);
    await reconciler.stop();

    expect(fake.passes).toHaveLength(reconciler.passCount);
    expect(fake.passes).toContain('ok');
    expect(fake.passes).toContain('retry'); // the refused launch
    expect(fake.durations.map((d) => d.result)).toEqual(fake.passes);
    expect(fake.durations.every((d) => d.seconds >= 0 && d.seconds < 5)).toBe(true);
    expect(fake.depths).toHaveLength(reconciler.passCount);
    expect(fake.depths.at(-1)).toBe(0);
  });

  it('counts a pass that threw as error', async () => {
    const world = new FakeWorld();
    const fake = new FakeInstruments();
    world.ports.status.writeStatus = () => {
      throw new Error('a bug');
    };
    const reconciler = await Reconciler.start(world.ports, { holder: 'test', log: silentLogger(), retryInitialMs: 10, retryMaxMs: 20, metrics: fake.metrics });
    declare(reconciler, report());
    while (!fake.passes.includes('error')) await new Promise((r) => setTimeout(r, 5));
    await reconciler.stop();
    expect(fake.durations.some((d) => d.result === 'error')).toBe(true);
  });
});

describe('the reconciler: lease renewals (heartbeats)', () => {
  const running = async () => {
    const world = new FakeWorld();
    world.ports.actions.launch = async (launch) => void world.launches.push(launch); // never ends
    const reconciler = await start(world);
    declare(reconciler, report());
    while (world.launches.length === 0) await new Promise((r) => setTimeout(r, 5));
    return { world, reconciler, launch: world.launches[0]! };
  };

  it('renews a live lease in a pass, and saves the new expiry', async () => {
    const { world, reconciler, launch } = await running();
    const until = launch.lease.expiresAt + 60_000;
    const saves = world.saved.length;
    expect(await reconciler.renewLease(launch.node, launch.lease.attempt, until)).toEqual({ status: 'renewed', expiresAt: until });
    expect(reconciler.engine.lease(launch.node)?.expiresAt).toBe(until);
    while (world.saved.length === saves) await new Promise((r) => setTimeout(r, 5));
    expect(world.saved.at(-1)?.leases.find((l) => l.node === launch.node)?.expiresAt).toBe(until);
    await reconciler.stop();
  });

  it('answers notFound for another attempt or an unknown node, and stopped once stopped', async () => {
    const { reconciler, launch } = await running();
    expect(await reconciler.renewLease(launch.node, launch.lease.attempt + 1, Date.now() + 60_000)).toEqual({ status: 'notFound' });
    expect(await reconciler.renewLease('Expectation/default/nothere|', 1, Date.now() + 60_000)).toEqual({ status: 'notFound' });
    await reconciler.stop();
    expect(await reconciler.renewLease(launch.node, launch.lease.attempt, Date.now() + 60_000)).toEqual({ status: 'stopped' });
  });
});
