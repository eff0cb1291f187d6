import { beforeEach, describe, expect, it } from '@jest/globals';
import type { KubernetesObject } from '@kubernetes/client-node';
import { combinedFactory, ResilientInformer } from '../../src/kube/resilientInformer.js';
import { silentLogger } from '../../src/runtime/log.js';
import { FakeClock, FakeCore, flush } from './fakes.js';

const obj = (name: string, rv: string): KubernetesObject => ({ metadata: { namespace: 'ns', name, resourceVersion: rv } });

describe('ResilientInformer', () => {
  let clock: FakeClock;
  let server: Map<string, KubernetesObject>;
  let cores: FakeCore<KubernetesObject>[];
  let events: string[];
  let informer: ResilientInformer<KubernetesObject>;
  let restartsSeen: number;

  const make = (options: { watchdogMs?: number; resyncMs?: number } = {}) => {
    informer = new ResilientInformer<KubernetesObject>({
      resource: 'things',
      log: silentLogger(),
      clock,
      factory: (activity) => {
        const core = new FakeCore(server, activity);
        cores.push(core);
        return core;
      },
      onRestart: () => restartsSeen++,
      ...options,
    });
    for (const e of ['add', 'update', 'delete'] as const) informer.on(e, (o) => events.push(`${e} ${o.metadata?.name}@${o.metadata?.resourceVersion}`));
  };
  const put = (o: KubernetesObject) => server.set(`ns/${o.metadata?.name}`, o);
  const core = () => cores.at(-1) as FakeCore<KubernetesObject>;

  beforeEach(() => {
    clock = new FakeClock();
    server = new Map();
    cores = [];
    events = [];
    restartsSeen = 0;
  });

  it('is synced once the first list is in, and reports the listed objects as added', async () => {
    put(obj('a', '1'));
    make();
    expect(informer.synced).toBe(false);
    informer.start();
    await informer.whenSynced();
    expect(informer.synced).toBe(true);
    expect(events).toEqual(['add a@1']);
    expect(informer.lastEventAt).toBe(clock.now());
    await informer.stop();
  });

  it('lists the objects of one namespace or of all, finds one by namespace and name, and forgets one deleted while it was not watching', async () => {
    const at = (namespace: string, name: string): KubernetesObject => ({ metadata: { namespace, name, resourceVersion: '1' } });
    for (const o of [at('a', 'x'), at('b', 'x'), at('b', 'y')]) server.set(`${o.metadata?.namespace}/${o.metadata?.name}`, o);
    make();
    informer.start();
    await informer.whenSynced();
    const names = (list: KubernetesObject[]) => list.map((o) => `${o.metadata?.namespace}/${o.metadata?.name}`).sort();
    expect(names(informer.list())).toEqual(['a/x', 'b/x', 'b/y']);
    expect(names(informer.list('b'))).toEqual(['b/x', 'b/y']);
    expect(informer.list('c')).toEqual([]);
    expect(informer.get('b', 'x')?.metadata?.namespace).toBe('b');
    expect(informer.get('a', 'y')).toBeUndefined();
    server.delete('b/x');
    informer.relist('test');
    await flush();
    expect(names(informer.list())).toEqual(['a/x', 'b/y']);
    expect(events).toContain('delete x@1');
    await informer.stop();
  });

  it('tells an update listener the version the update replaces', async () => {
    put(obj('a', '1'));
    make();
    const seen: string[] = [];
    informer.on('update', (o, previous) => seen.push(`${o.metadata?.resourceVersion} after ${previous?.metadata?.resourceVersion}`));
    informer.start();
    await informer.whenSynced();
    core().event('update', obj('a', '2'));
    core().event('update', obj('a', '3'));
    expect(seen).toEqual(['2 after 1', '3 after 2']);
    await informer.stop();
  });

  it('a new version of an object shares what it did not change with the previous one, and has what it changed', async () => {
    const version = (rv: string, ready: string): KubernetesObject & { spec: unknown; status: unknown } => ({
      metadata: { namespace: 'ns', name: 'a', resourceVersion: rv, labels: { team: 'data' } },
      spec: { checker: { ref: 'table' }, action: { args: ['--fix'] } },
      status: { partitions: { total: 1 }, conditions: [{ type: 'Ready', status: ready }] },
    });
    put(version('1', 'False'));
    make();
    informer.start();
    await informer.whenSynced();
    const first = informer.get('ns', 'a') as ReturnType<typeof version>;
    // A status write: a fresh object from the watch, its spec equal to the one held.
    core().event('update', version('2', 'True'));
    await flush();
    const second = informer.get('ns', 'a') as ReturnType<typeof version> & { status: { partitions: unknown; conditions: unknown } };
    expect(second).toEqual(version('2', 'True'));
    expect(second.spec).toBe(first.spec);
    expect(second.metadata?.labels).toBe(first.metadata?.labels);
    expect(second.status.partitions).toBe((first.status as { partitions: unknown }).partitions);
    expect(second.status.conditions).not.toBe((first.status as { conditions: unknown }).conditions);
    expect(events).toEqual(['add a@1', 'update a@2']);
    await informer.stop();
  });

  it('restarts a watch that stopped with an error, backing off 1 s, 2 s, 4 s ... up to 30 s', async () => {
    make();
    informer.start();
    await informer.whenSynced();
    const c = core();
    c.failStarts = Array.from({ length: 7 }, () => new Error('connect ECONNREFUSED'));
    c.fail(new Error('socket hang up'));
    const waits: number[] = [];
    let last = clock.now();
    for (let i = 0; i < 7; i++) {
      const before = c.starts;
      while (c.starts === before) await clock.advance(250);
      waits.push(clock.now() - last);
      last = clock.now();
    }
    expect(waits).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
    // The eighth start goes through: the next failure backs off from 1 s again.
    await clock.advance(30_000);
    expect(c.starts).toBe(9);
    expect(informer.restarts).toBe(8);
    expect(restartsSeen).toBe(8);
    c.fail(new Error('again'));
    const before = c.starts;
    await clock.advance(999);
    expect(c.starts).toBe(before);
    await clock.advance(1);
    expect(c.starts).toBe(before + 1);
    await informer.stop();
  });

  it('sees objects changed while the watch was down once it is back', async () => {
    put(obj('a', '1'));
    make();
    informer.start();
    await informer.whenSynced();
    core().failStarts = [new Error('503')];
    core().fail(new Error('stream ended'));
    put(obj('b', '5'));
    put(obj('a', '6'));
    await clock.advance(3_000);
    expect(events).toEqual(['add a@1', 'update a@6', 'add b@5']);
    await informer.stop();
  });

  it('relists through a fresh core when nothing was heard for the watchdog period, reporting only real changes', async () => {
    put(obj('a', '1'));
    put(obj('b', '1'));
    make({ watchdogMs: 60_000 });
    informer.start();
    await informer.whenSynced();
    // Missed by a silent watch: b deleted, c added, a unchanged.
    server.delete('ns/b');
    put(obj('c', '2'));
    await clock.advance(59_000);
    expect(cores).toHaveLength(1);
    await clock.advance(1_000);
    expect(cores).toHaveLength(2);
    expect(cores[0]?.stopped).toBe(true);
    expect(events).toEqual(['add a@1', 'add b@1', 'add c@2', 'delete b@1']);
    expect(informer.restarts).toBe(1);
    await informer.stop();
  });

  it('a bookmark (or any event) keeps the watchdog quiet', async () => {
    make({ watchdogMs: 60_000 });
    informer.start();
    await informer.whenSynced();
    for (let i = 0; i < 5; i++) {
      await clock.advance(50_000);
      core().activity();
    }
    expect(cores).toHaveLength(1);
    expect(informer.lastEventAt).toBe(clock.now());
    await informer.stop();
  });

  it('does not relist on the watchdog while a restart is backing off', async () => {
    make({ watchdogMs: 5_000 });
    informer.start();
    await informer.whenSynced();
    core().failStarts = Array.from({ length: 5 }, () => new Error('down'));
    core().fail(new Error('down'));
    await clock.advance(20_000);
    expect(cores).toHaveLength(1);
    await informer.stop();
  });

  it('relists periodically as a safety net', async () => {
    put(obj('a', '1'));
    make({ resyncMs: 3_600_000, watchdogMs: 10 * 3_600_000 });
    informer.start();
    await informer.whenSynced();
    put(obj('a', '2'));
    await clock.advance(3_600_000);
    expect(cores).toHaveLength(2);
    expect(informer.relists).toBe(1);
    expect(informer.restarts).toBe(0);
    expect(events).toEqual(['add a@1', 'update a@2']);
    await informer.stop();
  });

  it('ignores events of a replaced core', async () => {
    make({ resyncMs: 1_000 });
    informer.start();
    await informer.whenSynced();
    const old = core();
    await clock.advance(1_000);
    old.event('add', obj('ghost', '9'));
    expect(events).toEqual([]);
    expect(informer.list()).toEqual([]);
    await informer.stop();
  });

  it('a listener that throws does not break the others', async () => {
    put(obj('a', '1'));
    make();
    informer.on('add', () => {
      throw new Error('bug');
    });
    const seen: string[] = [];
    informer.on('add', (o) => seen.push(o.metadata?.name ?? ''));
    informer.start();
    await informer.whenSynced();
    expect(seen).toEqual(['a']);
    await informer.stop();
  });

  it('stop() stops the core and every timer', async () => {
    make();
    informer.start();
    await informer.whenSynced();
    await informer.stop();
    expect(core().stopped).toBe(true);
    await flush();
    expect(clock.pending).toBe(0);
  });
});

describe('combinedFactory (one informer over several namespaces)', () => {
  const obj2 = (namespace: string, name: string): KubernetesObject => ({ metadata: { namespace, name, resourceVersion: '1' } });

  it('lists the objects of every namespace, and restarts only the namespace whose watch failed', async () => {
    const clock = new FakeClock();
    const servers = [new Map([['a/x', obj2('a', 'x')]]), new Map([['b/y', obj2('b', 'y')]])];
    const cores: FakeCore<KubernetesObject>[] = [];
    const informer = new ResilientInformer<KubernetesObject>({
      resource: 'things',
      log: silentLogger(),
      clock,
      factory: combinedFactory(
        servers.map((server) => (activity: () => void) => {
          const core = new FakeCore(server, activity);
          cores.push(core);
          return core;
        }),
      ),
    });
    informer.start();
    await informer.whenSynced();
    expect(informer.list().map((o) => `${o.metadata?.namespace}/${o.metadata?.name}`).sort()).toEqual(['a/x', 'b/y']);
    const [inA, inB] = cores as [FakeCore<KubernetesObject>, FakeCore<KubernetesObject>];
    expect([inA.starts, inB.starts]).toEqual([1, 1]);

    inB.fail(new Error('socket hang up'));
    while (inB.starts === 1) await clock.advance(250);
    await flush();
    // A running ListWatch aborts its watch when started again: the healthy one is left alone.
    expect([inA.starts, inB.starts]).toEqual([1, 2]);
    expect(informer.get('b', 'y')).toBeDefined();
    await informer.stop();
    expect([inA.stopped, inB.stopped]).toEqual([true, true]);
  });
});
