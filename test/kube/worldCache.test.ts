import { beforeEach, describe, expect, it } from '@jest/globals';
import type { KindName } from '../../src/api/types.js';
import { ResilientInformer } from '../../src/kube/resilientInformer.js';
import { type RawObject, WorldCache, type WorldState } from '../../src/kube/worldCache.js';
import { silentLogger } from '../../src/runtime/log.js';
import { FakeClock, FakeCore, flush } from './fakes.js';

const API = 'homeostat.dev/v1alpha1';
let uid = 0;
const object = (kind: KindName, name: string, spec: Record<string, unknown>, extra: { generation?: number; rv?: string; labels?: Record<string, string> } = {}): RawObject => ({
  apiVersion: API,
  kind,
  metadata: { name, namespace: 'ns', uid: `uid-${name}`, generation: extra.generation ?? 1, resourceVersion: extra.rv ?? String(++uid), ...(extra.labels !== undefined ? { labels: extra.labels } : {}) },
  spec,
});
const checker = (name: string) => object('StateChecker', name, { mode: 'Job', image: 'example/check:1' });
const expectation = (name: string, spec: Record<string, unknown> = {}, extra = {}) => object('Expectation', name, { checker: { ref: 'files' }, ...spec }, extra);

describe('WorldCache', () => {
  let clock: FakeClock;
  let servers: Record<KindName, Map<string, RawObject>>;
  let cores: Partial<Record<KindName, FakeCore<RawObject>>>;
  let states: WorldState[];
  let configMaps: Map<string, Record<string, string>>;
  let reads: string[];
  /** ConfigMap reads still to fail (as an API server answering 503 would), by `ns/name`. */
  let failingReads: Map<string, number>;
  let cache: WorldCache;

  const put = (o: RawObject) => servers[o.kind as KindName].set(`ns/${o.metadata?.name}`, o);
  const start = async () => {
    cache = new WorldCache({
      clients: undefined as never,
      log: silentLogger(),
      clock,
      onChange: (s) => states.push(s),
      factoryFor: (kind) => (activity) => (cores[kind] = new FakeCore(servers[kind], activity)),
      readConfigMap: async (ns, name) => {
        reads.push(`${ns}/${name}`);
        const failures = failingReads.get(`${ns}/${name}`) ?? 0;
        if (failures > 0) {
          failingReads.set(`${ns}/${name}`, failures - 1);
          throw Object.assign(new Error('HTTP-Code: 503 Service Unavailable'), { code: 503 });
        }
        return configMaps.get(`${ns}/${name}`);
      },
    });
    cache.start();
    await cache.whenSynced();
    await clock.advance(0);
  };
  /** A watch event, as the API server would send it. */
  const event = async (type: 'add' | 'update' | 'delete', o: RawObject) => {
    (cores[o.kind as KindName] as FakeCore<RawObject>).event(type, o);
    await clock.advance(20);
  };

  beforeEach(() => {
    clock = new FakeClock();
    servers = { StateChecker: new Map(), Expectation: new Map(), Dag: new Map(), DagRun: new Map(), DagDependency: new Map() };
    cores = {};
    states = [];
    configMaps = new Map();
    reads = [];
    failingReads = new Map();
  });

  it('hands over the first World once every kind is listed', async () => {
    put(checker('files'));
    put(expectation('a'));
    await start();
    expect(states).toHaveLength(1);
    expect(states[0]?.world.expectations.map((e) => e.metadata.name)).toEqual(['a']);
    expect(states[0]?.world.checkers.map((e) => e.metadata.name)).toEqual(['files']);
    expect(states[0]?.side.checkers).toHaveLength(1);
    // Defaults applied, as the validator does.
    expect(states[0]?.world.expectations[0]?.spec.maxConcurrentActions).toBe(10);
    await cache.stop();
  });

  it("holds a spec's parts the defaults left alone once: the World's Expectation shares them with the informer's object", async () => {
    put(checker('files'));
    const action = { job: { template: { spec: { containers: [{ name: 'main', image: 'example/fix:1' }] } } } };
    put(expectation('a', { action }, { labels: { team: 'data' } }));
    await start();
    const declared = states[0]?.world.expectations[0];
    const raw = cache.object({ kind: 'Expectation', namespace: 'ns', name: 'a' });
    // The declared object is still the validated one: defaults in, the informer's object without them.
    expect(declared?.spec.maxConcurrentActions).toBe(10);
    expect((raw?.spec as Record<string, unknown>).maxConcurrentActions).toBeUndefined();
    expect(declared?.spec.action).toBe((raw?.spec as { action: unknown }).action);
    expect(declared?.spec.checker).toBe((raw?.spec as { checker: unknown }).checker);
    expect(declared?.metadata.labels).toBe(raw?.metadata?.labels);
    await cache.stop();
  });

  it("holds the metadata once: the World's Expectation has the informer's own (a lean object's metadata is all declared fields)", async () => {
    put(checker('files'));
    put(expectation('a', {}, { labels: { team: 'data' } }));
    await start();
    const declared = states[0]?.world.expectations[0];
    const raw = cache.object({ kind: 'Expectation', namespace: 'ns', name: 'a' });
    expect(declared?.metadata).toBe(raw?.metadata);
    expect(declared?.metadata).toEqual({ name: 'a', namespace: 'ns', uid: 'uid-a', generation: 1, resourceVersion: expect.any(String), labels: { team: 'data' } });
    await cache.stop();
  });

  it("never writes into its informers' objects: they are shared (interned parts, the World's objects, the status store), so every object it is given is deeply frozen here", async () => {
    const frozen = <T>(value: T): T => {
      if (value !== null && typeof value === 'object') for (const part of Object.values(value)) frozen(part);
      return Object.freeze(value);
    };
    // Defaults to fill at several depths (spec, the action's Job), a ConfigMap-free Dag with tasks.
    put(frozen(checker('files')));
    put(frozen(expectation('a', { action: { job: { template: { spec: { containers: [{ name: 'main', image: 'example/fix:1' }] } } } } })));
    put(frozen(object('Dag', 'daily', { periods: { from: '2026-01-01', every: 'P1D', timeZone: 'UTC' }, tasks: [{ name: 'load', job: { template: { spec: { containers: [{ name: 'load', image: 'example/load:1' }] } } } }, { name: 'report', dependsOn: ['load'], job: { template: { spec: { containers: [{ name: 'report', image: 'example/report:1' }] } } } }] })));
    await start();
    expect(states[0]?.invalid).toEqual([]);
    expect(states[0]?.world.expectations[0]?.spec.maxConcurrentActions).toBe(10);
    expect(states[0]?.world.dags.map((d) => d.metadata.name)).toEqual(['daily']);
    // A status write and a spec edit arrive as new objects, which the informer makes share their
    // unchanged parts with the version before; frozen once it holds them (before any World is built).
    cache.informers.Expectation.on('update', (o) => void frozen(o));
    await event('update', { ...expectation('a', { action: { job: { template: { spec: { containers: [{ name: 'main', image: 'example/fix:1' }] } } } } }), status: { phase: 'Satisfied' } });
    await event('update', expectation('a', { recheckEvery: '1h' }, { generation: 2 }));
    expect(states.at(-1)?.invalid).toEqual([]);
    expect(states.at(-1)?.world.expectations[0]?.spec).toEqual(expect.objectContaining({ recheckEvery: '1h', maxConcurrentActions: 10 }));
    await cache.stop();
  });

  it('leaves the fields the API server sets (managedFields) out of the World', async () => {
    put(checker('files'));
    const raw = expectation('a');
    put({ ...raw, metadata: { ...raw.metadata, managedFields: [{ manager: 'kubectl' }] } });
    await start();
    expect(states[0]?.world.expectations[0]?.metadata).toEqual({ name: 'a', namespace: 'ns', uid: 'uid-a', generation: 1, resourceVersion: expect.any(String) });
    await cache.stop();
  });

  it('keeps an invalid object out of the World, says why, and keeps the others', async () => {
    put(checker('files'));
    put(expectation('good'));
    put(expectation('bad', { workingTimeout: 'P' }));
    await start();
    const state = states[0] as WorldState;
    expect(state.world.expectations.map((e) => e.metadata.name)).toEqual(['good']);
    expect(state.invalid).toEqual([expect.objectContaining({ ref: { kind: 'Expectation', namespace: 'ns', name: 'bad' }, generation: 1 })]);
    expect(state.invalid[0]?.message).toMatch(/^spec\.workingTimeout: /);
    await cache.stop();
  });

  it('a status write does not make a new World; a spec edit (new generation) does', async () => {
    put(checker('files'));
    put(expectation('a'));
    await start();
    const statusOnly = { ...expectation('a'), status: { phase: 'Satisfied' } };
    await event('update', statusOnly);
    expect(states).toHaveLength(1);
    expect(cache.object({ kind: 'Expectation', namespace: 'ns', name: 'a' })?.status).toEqual({ phase: 'Satisfied' });
    await event('update', expectation('a', { recheckEvery: '1h' }, { generation: 2 }));
    expect(states).toHaveLength(2);
    expect(states[1]?.world.expectations[0]?.spec.recheckEvery).toBe('1h');
    await cache.stop();
  });

  it('changes within the debounce window make one World', async () => {
    put(checker('files'));
    await start();
    const core = cores.Expectation as FakeCore<RawObject>;
    for (const name of ['a', 'b', 'c']) core.event('add', expectation(name));
    await clock.advance(20);
    expect(states).toHaveLength(2);
    expect(states[1]?.world.expectations).toHaveLength(3);
    await event('delete', expectation('b'));
    expect(states[2]?.world.expectations.map((e) => e.metadata.name).sort()).toEqual(['a', 'c']);
    await cache.stop();
  });

  it("leaves the controller's own DagRuns out of the requests", async () => {
    put(object('DagRun', 'mine', { dag: 'd', period: '2026-01-01', reason: 'Schedule' }, { labels: { 'app.kubernetes.io/managed-by': 'homeostat', 'homeostat.dev/dag': 'd' } }));
    put(object('DagRun', 'users', { dag: 'd', period: '2026-01-01' }));
    await start();
    expect(states[0]?.side.dagRuns.map((r) => r.metadata.name)).toEqual(['users']);
    expect(states[0]?.side.dagRuns[0]?.spec.reason).toBe('Manual');
    await cache.stop();
  });

  it('reads the ConfigMaps of valuesFrom before handing over the World that needs them', async () => {
    configMaps.set('ns/campaigns', { ids: '1\n2\n' });
    put(checker('files'));
    put(expectation('a', { partitions: { campaign: { valuesFrom: { configMap: 'campaigns', key: 'ids' } } } }));
    await start();
    await flush();
    await clock.advance(0);
    expect(reads).toEqual(['ns/campaigns']);
    expect(states).toHaveLength(1);
    expect(states[0]?.world.configMaps.get('ns/campaigns')).toEqual({ ids: '1\n2\n' });
    // Read again every 5 minutes; a change makes a new World.
    configMaps.set('ns/campaigns', { ids: '1\n2\n3\n' });
    await clock.advance(300_000);
    await flush();
    await clock.advance(0);
    expect(reads).toEqual(['ns/campaigns', 'ns/campaigns']);
    expect(states.at(-1)?.world.configMaps.get('ns/campaigns')).toEqual({ ids: '1\n2\n3\n' });
    await cache.stop();
  });

  it('a missing ConfigMap leaves the World without it (the engine reports the Expectation)', async () => {
    put(checker('files'));
    put(expectation('a', { partitions: { campaign: { valuesFrom: { configMap: 'nope', key: 'ids' } } } }));
    await start();
    await flush();
    await clock.advance(0);
    expect(states).toHaveLength(1);
    expect(states[0]?.world.configMaps.size).toBe(0);
    expect(states[0]?.world.expectations).toHaveLength(1);
    await cache.stop();
  });

  it('a ConfigMap read that fails (503) at start is retried with backoff; the World waits for it instead of calling it missing', async () => {
    configMaps.set('ns/campaigns', { ids: '1\n2\n' });
    failingReads.set('ns/campaigns', 2);
    put(checker('files'));
    put(expectation('a', { partitions: { campaign: { valuesFrom: { configMap: 'campaigns', key: 'ids' } } } }));
    await start();
    await flush();
    expect(reads).toEqual(['ns/campaigns']);
    expect(states).toHaveLength(0); // not a World without the ConfigMap: that would make the Expectation invalid
    await clock.advance(999);
    expect(reads).toHaveLength(1); // the first retry waits 1 s
    await clock.advance(1);
    expect(reads).toHaveLength(2);
    expect(states).toHaveLength(0);
    await clock.advance(1999);
    expect(reads).toHaveLength(2); // then 2 s
    await clock.advance(1);
    await clock.advance(0);
    expect(reads).toHaveLength(3);
    expect(states).toHaveLength(1);
    expect(states[0]?.world.configMaps.get('ns/campaigns')).toEqual({ ids: '1\n2\n' });
    await cache.stop();
  });

  it('a ConfigMap that cannot be read for a minute no longer holds back the World: the World names the error', async () => {
    failingReads.set('ns/campaigns', 1_000);
    put(checker('files'));
    put(expectation('a', { partitions: { campaign: { valuesFrom: { configMap: 'campaigns', key: 'ids' } } } }));
    put(expectation('b'));
    await start();
    await flush();
    await clock.advance(59_999);
    expect(states).toHaveLength(0);
    await clock.advance(1);
    await clock.advance(0);
    expect(states).toHaveLength(1);
    expect(states[0]?.world.expectations.map((e) => e.metadata.name).sort()).toEqual(['a', 'b']);
    expect(states[0]?.world.configMapErrors).toEqual(new Map([['ns/campaigns', 'Error: HTTP-Code: 503 Service Unavailable']]));
    // Still tried (every minute at most); the first success makes a World with the data.
    failingReads.set('ns/campaigns', 0);
    configMaps.set('ns/campaigns', { ids: '1\n' });
    await clock.advance(60_000);
    await clock.advance(0);
    expect(states.at(-1)?.world.configMaps.get('ns/campaigns')).toEqual({ ids: '1\n' });
    expect(states.at(-1)?.world.configMapErrors).toBeUndefined();
    await cache.stop();
  });

  it('a re-read that fails keeps what was read before, and is retried before the next refresh', async () => {
    configMaps.set('ns/campaigns', { ids: '1\n2\n' });
    put(checker('files'));
    put(expectation('a', { partitions: { campaign: { valuesFrom: { configMap: 'campaigns', key: 'ids' } } } }));
    await start();
    await flush();
    await clock.advance(0);
    expect(states).toHaveLength(1);
    failingReads.set('ns/campaigns', 1);
    configMaps.set('ns/campaigns', { ids: '1\n2\n3\n' });
    await clock.advance(300_000);
    expect(reads).toHaveLength(2);
    expect(states).toHaveLength(1); // the failed read changed nothing
    await clock.advance(1000);
    await clock.advance(0);
    expect(reads).toHaveLength(3);
    expect(states.at(-1)?.world.configMaps.get('ns/campaigns')).toEqual({ ids: '1\n2\n3\n' });
    await cache.stop();
  });

  it('uidOf finds an object as last seen', async () => {
    put(checker('files'));
    await start();
    expect(cache.uidOf({ kind: 'StateChecker', namespace: 'ns', name: 'files' })).toBe('uid-files');
    expect(cache.uidOf({ kind: 'StateChecker', namespace: 'ns', name: 'other' })).toBeUndefined();
    await cache.stop();
  });

  it("uses informers it is given (the read API's, on the leader) instead of watching those kinds again, and leaves them running when it stops", async () => {
    put(checker('files'));
    put(expectation('a'));
    // The read API's informer of Expectations, started (and synced) before the controller leads.
    const shared = new ResilientInformer<RawObject>({ resource: 'expectations', log: silentLogger(), clock, factory: (activity) => (cores.Expectation = new FakeCore(servers.Expectation, activity)) });
    shared.start();
    await shared.whenSynced();
    const sharedCore = cores.Expectation;
    const built: KindName[] = [];
    cache = new WorldCache({
      clients: undefined as never,
      log: silentLogger(),
      clock,
      onChange: (s) => states.push(s),
      shared: { Expectation: shared },
      factoryFor: (kind) => (activity) => {
        built.push(kind);
        return (cores[kind] = new FakeCore(servers[kind], activity));
      },
    });
    cache.start();
    await cache.whenSynced();
    await clock.advance(0);
    expect(built).not.toContain('Expectation');
    expect(cache.informers.Expectation).toBe(shared);
    expect(states[0]?.world.expectations.map((e) => e.metadata.name)).toEqual(['a']);

    // A status write (a new resourceVersion, the same generation) is no news; a spec edit is.
    await event('update', expectation('a', {}, { rv: 'status-1' }));
    expect(states).toHaveLength(1);
    await event('update', expectation('a', { recheckEvery: '1h' }, { generation: 2 }));
    expect(states).toHaveLength(2);

    await cache.stop();
    expect(sharedCore?.stopped).toBe(false);
    expect(cores.StateChecker?.stopped).toBe(true);
    await shared.stop();
  });
});
