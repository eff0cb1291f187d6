import { beforeEach, describe, expect, it } from '@jest/globals';
import { ApiException } from '@kubernetes/client-node';
import type { EngineSnapshot, Lease, RetryRecord } from '../../src/engine/index.js';
import { silentLogger } from '../../src/runtime/log.js';
import type { ObjectRef } from '../../src/runtime/ports.js';
import { ownerStates, snapshotFromObjects } from '../../src/kube/leaseRecords.js';
import { type StatusApi, StatusStore } from '../../src/kube/statusStore.js';
import type { RawObject } from '../../src/kube/worldCache.js';

const apiError = (code: number, reason: string) => new ApiException(code, reason, JSON.stringify({ reason, message: reason }), {});

/** The API server's custom objects, in memory: resourceVersions, optimistic concurrency, 404s. */
class FakeApi implements StatusApi {
  readonly objects = new Map<string, RawObject>();
  readonly calls: string[] = [];
  private rv = 100;
  /** Called before each status PUT (a concurrent writer can act here). */
  beforePut: (ref: ObjectRef) => void = () => undefined;
  failPuts = 0;

  add(kind: ObjectRef['kind'], name: string, status?: Record<string, unknown>, labels?: Record<string, string>): void {
    this.objects.set(`${kind}/ns/${name}`, { apiVersion: 'homeostat.dev/v1alpha1', kind, metadata: { name, namespace: 'ns', resourceVersion: String(++this.rv), ...(labels !== undefined ? { labels } : {}) }, spec: {}, ...(status !== undefined ? { status } : {}) });
  }

  status(kind: ObjectRef['kind'], name: string): Record<string, unknown> | undefined {
    return this.objects.get(`${kind}/ns/${name}`)?.status;
  }

  /** Someone else writes the status (a user, another writer). */
  bump(kind: ObjectRef['kind'], name: string): void {
    const o = this.objects.get(`${kind}/ns/${name}`) as RawObject;
    this.objects.set(`${kind}/ns/${name}`, { ...o, metadata: { ...o.metadata, resourceVersion: String(++this.rv) }, status: { ...o.status, bumped: true } });
  }

  async get(ref: ObjectRef): Promise<RawObject> {
    this.calls.push(`get ${ref.name}`);
    const o = this.objects.get(`${ref.kind}/${ref.namespace}/${ref.name}`);
    if (o === undefined) throw apiError(404, 'NotFound');
    return structuredClone(o);
  }

  async list(kind: ObjectRef['kind']): Promise<RawObject[]> {
    return [...this.objects.values()].filter((o) => o.kind === kind).map((o) => structuredClone(o));
  }

  async replaceStatus(ref: ObjectRef, body: RawObject): Promise<RawObject> {
    this.beforePut(ref);
    this.calls.push(`put ${ref.name}`);
    if (this.failPuts > 0 && this.failPuts--) throw apiError(503, 'ServiceUnavailable');
    const key = `${ref.kind}/${ref.namespace}/${ref.name}`;
    const o = this.objects.get(key);
    if (o === undefined) throw apiError(404, 'NotFound');
    if (body.metadata?.resourceVersion !== o.metadata?.resourceVersion) throw apiError(409, 'Conflict');
    const next = { ...o, metadata: { ...o.metadata, resourceVersion: String(++this.rv) }, status: structuredClone(body.status) };
    this.objects.set(key, next);
    return structuredClone(next);
  }

  async create(ref: ObjectRef, body: RawObject): Promise<RawObject> {
    this.calls.push(`create ${ref.name}`);
    const key = `${ref.kind}/${ref.namespace}/${ref.name}`;
    if (this.objects.has(key)) throw apiError(409, 'AlreadyExists');
    const o = { ...structuredClone(body), metadata: { ...body.metadata, resourceVersion: String(++this.rv) } };
    this.objects.set(key, o);
    return structuredClone(o);
  }

  async delete(ref: ObjectRef): Promise<void> {
    this.calls.push(`delete ${ref.name}`);
    if (!this.objects.delete(`${ref.kind}/${ref.namespace}/${ref.name}`)) throw apiError(404, 'NotFound');
  }

  async addLabels(ref: ObjectRef, labels: Record<string, string>): Promise<void> {
    this.calls.push(`label ${ref.name}`);
    const key = `${ref.kind}/${ref.namespace}/${ref.name}`;
    const o = this.objects.get(key);
    if (o === undefined) throw apiError(404, 'NotFound');
    this.objects.set(key, { ...o, metadata: { ...o.metadata, resourceVersion: String(++this.rv), labels: { ...o.metadata?.labels, ...labels } } });
  }
}

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const lease = (node: string, attempt = 1, extra: Partial<Lease> = {}): Lease => ({ node, attempt, holder: 'homeostat-0', action: `job-${attempt}`, acquiredAt: T0, expiresAt: T0 + 3_600_000, ...extra });
const retry = (nextAttemptAt: number, extra: Partial<RetryRecord> = {}): RetryRecord => ({ failures: 1, attempts: 1, reason: 'ActionFailed', message: 'exit 1', nextAttemptAt, generation: 1, ...extra });
const snapshot = (leases: Lease[], retries: [string, RetryRecord][] = []): EngineSnapshot => ({ leases, retries, successes: [], runRequests: [], runs: [], runSeq: [] });
const EXP = 'Expectation/ns/daily';

describe('StatusStore', () => {
  let api: FakeApi;
  let store: StatusStore;
  const events: string[] = [];
  const make = () => new StatusStore({ api, log: silentLogger(), recordEvent: (e) => events.push(e.reason) });

  beforeEach(() => {
    api = new FakeApi();
    api.add('Expectation', 'daily');
    store = make();
  });

  describe('save (DESIGN rule 2: the lease is in the API before its Job exists)', () => {
    it("writes each owner's leases and retry records into its status before resolving", async () => {
      await store.save(snapshot([lease(`${EXP}|date=2026-01-01`)], [[`${EXP}|date=2026-01-02`, retry(T0 + 60_000)]]));
      const status = api.status('Expectation', 'daily');
      expect(status?.leases).toEqual([{ partition: 'date=2026-01-01', key: 'date=2026-01-01', attempt: 1, holder: 'homeostat-0', action: 'job-1', acquiredAt: '2026-03-01T10:00:00.000Z', expiresAt: '2026-03-01T11:00:00.000Z' }]);
      expect(status?.retries).toEqual([{ key: 'date=2026-01-02', failures: 1, attempts: 1, reason: 'ActionFailed', message: 'exit 1', nextAttemptAt: '2026-03-01T10:01:00.000Z', generation: 1 }]);
    });

    it('writes a prepared summary with the leases: one request, and writeStatus then writes nothing', async () => {
      store.prepareStatus({ kind: 'Expectation', namespace: 'ns', name: 'daily' }, { phase: 'WorkingOnIt' });
      await store.save(snapshot([lease(`${EXP}|a`)]));
      expect(api.status('Expectation', 'daily')).toMatchObject({ phase: 'WorkingOnIt', leases: [{ key: 'a' }] });
      const calls = api.calls.filter((c) => c.startsWith('put')).length;
      await store.writeStatus({ kind: 'Expectation', namespace: 'ns', name: 'daily' }, { phase: 'WorkingOnIt' });
      expect(api.calls.filter((c) => c.startsWith('put'))).toHaveLength(calls);
      expect(calls).toBe(1);
    });

    it('waits only for new leases: a finished lease or a retry record is written without holding up the launch, and retried when it fails', async () => {
      api.add('Expectation', 'other');
      await store.save(snapshot([lease(`${EXP}|a`)]));
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      const slow = api.replaceStatus.bind(api);
      api.replaceStatus = async (ref, body) => {
        if (ref.name === 'daily') await held;
        return slow(ref, body);
      };
      const OTHER = 'Expectation/ns/other';
      // daily's lease finished (not urgent); other gained a lease (urgent): save resolves once other is written.
      await store.save(snapshot([lease(`${EXP}|a`, 1, { outcome: 'succeeded', finishedAt: T0 + 1 }), lease(`${OTHER}|b`)]));
      expect(api.status('Expectation', 'other')?.leases).toEqual([expect.objectContaining({ key: 'b' })]);
      expect(api.status('Expectation', 'daily')?.leases).toEqual([expect.not.objectContaining({ outcome: 'succeeded' })]);
      release();
      await store.settled();
      expect(api.status('Expectation', 'daily')?.leases).toEqual([expect.objectContaining({ outcome: 'succeeded' })]);
    });

    it('tries a failed write that nothing waited for again by itself', async () => {
      store = new StatusStore({ api, log: silentLogger(), recordEvent: () => undefined, retryMs: 10 });
      api.failPuts = 1;
      await store.save(snapshot([], [[`${EXP}|a`, retry(T0)]]));
      // Until the store has tried again (its second PUT), however slow the machine: a sleep was flaky under load.
      while (api.calls.filter((c) => c.startsWith('put')).length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
      await store.settled();
      expect(api.status('Expectation', 'daily')?.retries).toEqual([expect.objectContaining({ key: 'a' })]);
    });

    it('writes nothing when no lease or retry record changed', async () => {
      const snap = snapshot([lease(`${EXP}|a`)]);
      await store.save(snap);
      const calls = api.calls.length;
      await store.save(structuredClone(snap));
      expect(api.calls.length).toBe(calls);
    });

    it('clears the leases of an owner that holds none any more', async () => {
      await store.save(snapshot([lease(`${EXP}|a`)]));
      await store.save(snapshot([]));
      expect(api.status('Expectation', 'daily')?.leases).toEqual([]);
    });

    it('rejects when a write fails, and writes it on the next save even if nothing changed since', async () => {
      api.failPuts = 1;
      const snap = snapshot([lease(`${EXP}|a`)]);
      await expect(store.save(snap)).rejects.toThrow(/leases of 1 objects could not be written: Expectation\/ns\/daily: HTTP 503/);
      await store.save(snap);
      expect(api.status('Expectation', 'daily')?.leases).toHaveLength(1);
    });

    it('keeps at most 500 retry records per owner, dropping the oldest, and counts them', async () => {
      const retries: [string, RetryRecord][] = Array.from({ length: 520 }, (_, i) => [`${EXP}|p=${String(i).padStart(3, '0')}`, retry(T0 + i * 1000)]);
      await store.save(snapshot([], retries));
      await store.settled();
      const status = api.status('Expectation', 'daily') as { retries: { key: string }[]; retriesDropped: number };
      expect(status.retries).toHaveLength(500);
      expect(status.retriesDropped).toBe(20);
      expect(status.retries.some((r) => r.key === 'p=000')).toBe(false);
      expect(status.retries.some((r) => r.key === 'p=519')).toBe(true);
    });

    it('resolves for an owner that no longer exists (nothing to protect)', async () => {
      await store.save(snapshot([lease('Expectation/ns/gone|a')]));
      expect(api.calls).toEqual(['get gone']);
    });
  });

  describe('writeStatus', () => {
    it('merges the composed summary with the leases and writes only when something changed', async () => {
      await store.save(snapshot([lease(`${EXP}|a`)]));
      const summary = { phase: 'WorkingOnIt', satisfied: '0/1', leases: [{ partition: 'a' }] };
      await store.writeStatus({ kind: 'Expectation', namespace: 'ns', name: 'daily' }, summary);
      const status = api.status('Expectation', 'daily') as Record<string, unknown>;
      expect(status.phase).toBe('WorkingOnIt');
      expect((status.leases as { key: string }[])[0]?.key).toBe('a');
      const puts = api.calls.filter((c) => c.startsWith('put')).length;
      await store.writeStatus({ kind: 'Expectation', namespace: 'ns', name: 'daily' }, { ...summary });
      expect(api.calls.filter((c) => c.startsWith('put')).length).toBe(puts);
    });

    it('keeps the summary when save writes new leases', async () => {
      await store.writeStatus({ kind: 'Expectation', namespace: 'ns', name: 'daily' }, { phase: 'Pending' });
      await store.save(snapshot([lease(`${EXP}|a`)]));
      expect(api.status('Expectation', 'daily')).toMatchObject({ phase: 'Pending', leases: [expect.objectContaining({ key: 'a' })] });
    });

    it('reads the object again after a 409 Conflict and retries', async () => {
      await store.writeStatus({ kind: 'Expectation', namespace: 'ns', name: 'daily' }, { phase: 'Pending' });
      api.bump('Expectation', 'daily');
      await store.writeStatus({ kind: 'Expectation', namespace: 'ns', name: 'daily' }, { phase: 'Satisfied' });
      expect(api.status('Expectation', 'daily')?.phase).toBe('Satisfied');
      expect(store.conflicts).toBe(1);
      expect(api.calls.slice(-3)).toEqual(['put daily', 'get daily', 'put daily']);
    });

    it('writes its status back when someone else rewrote it (observe), through the 409', async () => {
      await store.writeStatus({ kind: 'Expectation', namespace: 'ns', name: 'daily' }, { phase: 'Pending' });
      const ours = await api.get({ kind: 'Expectation', namespace: 'ns', name: 'daily' });
      await store.observe(ours); // our own write: not news
      expect(api.calls.filter((c) => c.startsWith('put'))).toHaveLength(1);
      api.bump('Expectation', 'daily');
      await store.observe(await api.get({ kind: 'Expectation', namespace: 'ns', name: 'daily' }));
      expect(api.status('Expectation', 'daily')).toEqual({ phase: 'Pending', leases: [], retries: [] });
      expect(store.conflicts).toBe(1);
    });

    it("writes its status back when someone else rewrote it after the informer showed the store's own write", async () => {
      const ref: ObjectRef = { kind: 'Expectation', namespace: 'ns', name: 'daily' };
      store = new StatusStore({ api, log: silentLogger(), recordEvent: () => undefined, current: (r) => api.objects.get(`${r.kind}/${r.namespace}/${r.name}`) });
      await store.writeStatus(ref, { phase: 'Pending', conditions: [{ type: 'Valid', status: 'True' }] });
      await store.observe(api.objects.get(`${EXP}`) as RawObject); // the informer shows our write
      api.bump('Expectation', 'daily');
      await store.observe(api.objects.get(`${EXP}`) as RawObject);
      expect(api.status('Expectation', 'daily')).toEqual({ phase: 'Pending', conditions: [{ type: 'Valid', status: 'True' }], leases: [], retries: [] });
      await store.save(snapshot([lease(`${EXP}|a`)]));
      expect(api.status('Expectation', 'daily')).toMatchObject({ phase: 'Pending', conditions: [{ type: 'Valid', status: 'True' }], leases: [expect.objectContaining({ key: 'a' })] });
    });

    it("never writes into the informer's objects (it points at their status instead of keeping a copy): every object it is given is deeply frozen here", async () => {
      const frozen = <T>(value: T): T => {
        if (value !== null && typeof value === 'object') for (const part of Object.values(value)) frozen(part);
        return Object.freeze(value);
      };
      const informer = (r: ObjectRef) => frozen(structuredClone(api.objects.get(`${r.kind}/${r.namespace}/${r.name}`)));
      const ref: ObjectRef = { kind: 'Expectation', namespace: 'ns', name: 'daily' };
      store = new StatusStore({ api, log: silentLogger(), recordEvent: () => undefined, current: informer });
      await store.writeStatus(ref, { phase: 'Pending', conditions: [{ type: 'Valid', status: 'True' }] });
      await store.observe(informer(ref) as RawObject); // the informer shows our write: the store keeps it as its base
      await store.save(snapshot([lease(`${EXP}|a`)], [[`${EXP}|b`, retry(T0 + 60_000)]]));
      await store.writeStatus(ref, { phase: 'Progressing', conditions: [{ type: 'Valid', status: 'True' }, { type: 'Ready', status: 'False' }] });
      await store.observe(informer(ref) as RawObject);
      api.bump('Expectation', 'daily');
      await store.observe(informer(ref) as RawObject);
      await store.save(snapshot([lease(`${EXP}|a`), lease(`${EXP}|c`)]));
      expect(api.status('Expectation', 'daily')).toMatchObject({ phase: 'Progressing', conditions: [{ type: 'Valid', status: 'True' }, { type: 'Ready', status: 'False' }], leases: [expect.objectContaining({ key: 'a' }), expect.objectContaining({ key: 'c' })] });
    });

    it('writes an object asked for again while its write is in flight once more, with what was asked last', async () => {
      const ref: ObjectRef = { kind: 'Expectation', namespace: 'ns', name: 'daily' };
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      const put = api.replaceStatus.bind(api);
      let first = true;
      api.replaceStatus = async (r, body) => {
        if (first) {
          first = false;
          await held;
        }
        return put(r, body);
      };
      const writes = [store.writeStatus(ref, { phase: 'Pending' }), store.writeStatus(ref, { phase: 'WorkingOnIt' }), store.writeStatus(ref, { phase: 'Satisfied' })];
      release();
      await Promise.all(writes);
      expect(api.calls.filter((c) => c.startsWith('put'))).toHaveLength(2);
      expect(api.status('Expectation', 'daily')?.phase).toBe('Satisfied');
    });

    it('gives up after 5 conflicts in a row (the reconciler retries later)', async () => {
      api.beforePut = () => api.bump('Expectation', 'daily');
      await expect(store.writeStatus({ kind: 'Expectation', namespace: 'ns', name: 'daily' }, { phase: 'Pending' })).rejects.toThrow(/Conflict/);
      expect(store.conflicts).toBe(5);
    });

    it('does nothing for an object that does not exist', async () => {
      await expect(store.writeStatus({ kind: 'StateChecker', namespace: 'ns', name: 'nope' }, { conditions: [] })).resolves.toBeUndefined();
    });

    it('writes the status of other kinds as given', async () => {
      api.add('StateChecker', 'files');
      await store.writeStatus({ kind: 'StateChecker', namespace: 'ns', name: 'files' }, { observedGeneration: 1, conditions: [] });
      expect(api.status('StateChecker', 'files')).toEqual({ observedGeneration: 1, conditions: [] });
    });
  });

  describe('load', () => {
    it('rebuilds the leases and retry records a previous controller saved', async () => {
      const held = [lease(`${EXP}|date=2026-01-01/campaign=1`, 2, { finishedAt: T0 + 5, outcome: 'succeeded', message: 'done', verified: 'unsatisfied' }), lease(`${EXP}|`, 1)];
      const retries: [string, RetryRecord][] = [[`${EXP}|date=2026-01-02/campaign=1`, retry(T0 + 1)]];
      await store.save(snapshot(held, retries));
      const loaded = await make().load();
      expect(loaded?.leases.sort((a, b) => a.node.localeCompare(b.node))).toEqual([...held].sort((a, b) => a.node.localeCompare(b.node)));
      expect(loaded?.retries).toEqual(retries);
    });

    it('a loaded store does not write the same leases again', async () => {
      await store.save(snapshot([lease(`${EXP}|a`)]));
      const again = make();
      const loaded = await again.load();
      const calls = api.calls.length;
      await again.save(loaded as EngineSnapshot);
      expect(api.calls.length).toBe(calls);
    });

    it('restores the runs recorded in DagRuns, and the sequence of the controller-named ones', () => {
      const run = (name: string, mine: boolean, phase: string): RawObject => ({
        kind: 'DagRun',
        metadata: { name, namespace: 'ns', ...(mine ? { labels: { 'app.kubernetes.io/managed-by': 'homeostat' } } : {}) },
        spec: { dag: 'load', period: '2026-01-05', reason: mine ? 'Schedule' : 'Manual' },
        status: { phase, startedAt: '2026-01-06T00:00:00Z', tasks: [{ name: 'extract', phase: 'Satisfied', attempts: 2, action: 'load-extract-x2', message: 'done' }] },
      });
      const snap = snapshotFromObjects([], [run('load-2026-01-05-2', true, 'Succeeded'), run('rerun', false, 'Running'), run('pending', false, 'Pending')]);
      expect(snap.runs.map((r) => `${r.name} ${r.phase} ${r.reason}${r.byUser === true ? ' (user)' : ''}`)).toEqual(['load-2026-01-05-2 Succeeded Schedule', 'rerun Running Manual (user)']);
      // A finished run keeps how its tasks ended; a running one only their latest attempt.
      expect(snap.runs.map((r) => r.tasks)).toEqual([{ extract: { attempts: 2, action: 'load-extract-x2', phase: 'Satisfied', message: 'done' } }, { extract: { attempts: 2, action: 'load-extract-x2' } }]);
      expect(snap.runSeq).toEqual([['ns/load|2026-01-05', 2]]);
      // A run's params are in its spec.
      const withParams = { ...run('campaign-7', false, 'Running'), spec: { dag: 'load', period: '2026-01-05', reason: 'Manual', params: { campaign: '7' } } };
      expect(snapshotFromObjects([], [withParams]).runs.map((r) => r.params)).toEqual([{ campaign: '7' }]);
    });

    it("keeps a Dag's task successes, fold and re-run requests, and reads them back", async () => {
      api.add('Dag', 'etl');
      const dagSnapshot: EngineSnapshot = {
        ...snapshot([]),
        successes: [['Dag/ns/etl|load|2026-01-05', { startedAt: T0, finishedAt: T0 + 1_000 }]],
        successFloors: [['Dag/ns/etl', { through: '2026-01-03', at: T0 - 5_000, except: ['2026-01-02'] }]],
        runRequests: [
          ['ns/etl|2026-01-04', { at: T0 + 2_000, reason: 'Manual', rerunOf: { run: 'etl-2026-01-04-1', token: 'again' } }],
          ['ns/etl|2026-01-05', { at: T0 + 3_000, reason: 'Expectation', params: { campaign: '7' } }],
        ],
      };
      await store.save(dagSnapshot);
      await store.settled();
      expect(api.status('Dag', 'etl')).toMatchObject({
        successes: [{ task: 'load', period: '2026-01-05', startedAt: '2026-03-01T10:00:00.000Z', finishedAt: '2026-03-01T10:00:01.000Z' }],
        successFloor: { through: '2026-01-03', at: '2026-03-01T09:59:55.000Z', except: ['2026-01-02'] },
        runRequests: [
          { period: '2026-01-04', at: '2026-03-01T10:00:02.000Z', reason: 'Manual', rerunOf: { run: 'etl-2026-01-04-1', token: 'again' } },
          { period: '2026-01-05', at: '2026-03-01T10:00:03.000Z', reason: 'Expectation', params: { campaign: '7' } },
        ],
      });
      const loaded = (await make().load()) as EngineSnapshot;
      expect(loaded.successes).toEqual(dagSnapshot.successes);
      expect(loaded.successFloors).toEqual(dagSnapshot.successFloors);
      expect(loaded.runRequests).toEqual(dagSnapshot.runRequests);
      // A summary written later keeps them.
      await store.writeStatus({ kind: 'Dag', namespace: 'ns', name: 'etl' }, { phase: 'Satisfied' });
      expect(api.status('Dag', 'etl')).toMatchObject({ phase: 'Satisfied', successes: [{ task: 'load' }] });
      // A request done is cleared.
      await store.save({ ...dagSnapshot, runRequests: [] });
      await store.settled();
      expect(api.status('Dag', 'etl')?.runRequests).toEqual([]);
    });

    it('reads Dag task leases by task|period', () => {
      const states = ownerStates(snapshot([lease('Dag/ns/etl|load|2026-01-05')]));
      expect(states.get('Dag/ns/etl')?.leases[0]).toMatchObject({ partition: 'load@2026-01-05', key: 'load|2026-01-05' });
      const back = snapshotFromObjects([{ kind: 'Dag', metadata: { name: 'etl', namespace: 'ns' }, status: { leases: [{ partition: 'load@2026-01-05', attempt: 1, action: 'x', acquiredAt: '2026-01-01T00:00:00Z', expiresAt: '2026-01-01T01:00:00Z' }] } }], []);
      expect(back.leases[0]?.node).toBe('Dag/ns/etl|load|2026-01-05');
    });

    it("keeps the uid of a user's DagRun on its run and its pending request; those recorded without one still load", async () => {
      const dagRun = (name: string, uid?: string): RawObject => ({
        kind: 'DagRun',
        metadata: { name, namespace: 'ns', ...(uid !== undefined ? { uid } : {}) },
        spec: { dag: 'etl', period: '2026-01-05', reason: 'Manual' },
        status: { phase: 'Succeeded', startedAt: '2026-01-06T00:00:00Z', finishedAt: '2026-01-06T00:01:00Z' },
      });
      const runs = snapshotFromObjects([], [dagRun('mine', 'uid-1'), dagRun('older')]).runs;
      expect(runs.map((r) => [r.name, r.uid, r.phase])).toEqual([['mine', 'uid-1', 'Succeeded'], ['older', undefined, 'Succeeded']]);

      api.add('Dag', 'etl');
      const requests: EngineSnapshot['runRequests'] = [
        ['ns/etl|2026-01-04', { at: T0, reason: 'Manual', name: 'mine', uid: 'uid-1' }],
        ['ns/etl|2026-01-05', { at: T0, reason: 'Manual', name: 'older' }],
      ];
      await store.save({ ...snapshot([]), runRequests: requests });
      await store.settled();
      expect(api.status('Dag', 'etl')?.runRequests).toEqual([
        { period: '2026-01-04', at: '2026-03-01T10:00:00.000Z', reason: 'Manual', name: 'mine', uid: 'uid-1' },
        { period: '2026-01-05', at: '2026-03-01T10:00:00.000Z', reason: 'Manual', name: 'older' },
      ]);
      expect(((await make().load()) as EngineSnapshot).runRequests).toEqual(requests);
    });
  });

  describe('DagRuns', () => {
    const record = { name: 'load-2026-01-05-1', namespace: 'ns', dag: 'load', period: '2026-01-05', reason: 'Schedule' as const, phase: 'Running' as const, startedAt: T0 };

    it("creates the controller's DagRun with its labels, then writes its status", async () => {
      await store.writeRun(record, { phase: 'Running', startedAt: '2026-03-01T10:00:00Z' });
      const created = api.objects.get('DagRun/ns/load-2026-01-05-1');
      expect(created?.metadata?.labels).toEqual({ 'app.kubernetes.io/managed-by': 'homeostat', 'homeostat.dev/dag': 'load' });
      expect(created?.spec).toEqual({ dag: 'load', period: '2026-01-05', reason: 'Schedule' });
      expect(created?.status).toEqual({ phase: 'Running', startedAt: '2026-03-01T10:00:00Z' });
    });

    it("creates the DagRun of a run asked with params with those params in its spec (a restart reads them back)", async () => {
      await store.writeRun({ ...record, name: 'load-2026-01-05-2', reason: 'Expectation', params: { campaign: '7' } }, { phase: 'Running' });
      expect(api.objects.get('DagRun/ns/load-2026-01-05-2')?.spec).toEqual({ dag: 'load', period: '2026-01-05', reason: 'Expectation', params: { campaign: '7' } });
    });

    it("writes the status of a user's DagRun without creating it, labels it with its Dag, and never deletes it", async () => {
      api.add('DagRun', 'rerun');
      store = new StatusStore({ api, log: silentLogger(), recordEvent: () => undefined, current: (ref) => api.objects.get(`${ref.kind}/${ref.namespace}/${ref.name}`) });
      const users = { ...record, name: 'rerun', reason: 'Manual' as const };
      await store.writeRun(users, { phase: 'Running' });
      expect(api.status('DagRun', 'rerun')).toEqual({ phase: 'Running' });
      expect(api.objects.get('DagRun/ns/rerun')?.metadata?.labels).toEqual({ 'homeostat.dev/dag': 'load' });
      await store.removeRun(users);
      expect(api.objects.has('DagRun/ns/rerun')).toBe(true);
    });

    it("never writes an old run's status onto a DagRun created again under its name, even when its deletion was never seen", async () => {
      const key = 'DagRun/ns/rerun';
      api.add('DagRun', 'rerun');
      api.objects.set(key, { ...(api.objects.get(key) as RawObject), metadata: { ...api.objects.get(key)?.metadata, uid: 'uid-old' } });
      store = new StatusStore({ api, log: silentLogger(), recordEvent: () => undefined, current: (ref) => api.objects.get(`${ref.kind}/${ref.namespace}/${ref.name}`) });
      const users = { ...record, name: 'rerun', reason: 'Manual' as const };
      await store.writeRun(users, { phase: 'Succeeded' });
      expect(api.status('DagRun', 'rerun')).toEqual({ phase: 'Succeeded' });
      // Deleted and applied again while the watch was re-listing: the informer reports an update.
      api.objects.delete(key);
      api.add('DagRun', 'rerun', undefined, { 'homeostat.dev/dag': 'load' });
      api.objects.set(key, { ...(api.objects.get(key) as RawObject), metadata: { ...api.objects.get(key)?.metadata, uid: 'uid-new' } });
      const puts = api.calls.filter((c) => c.startsWith('put')).length;
      await store.observe(api.objects.get(key) as RawObject);
      expect(api.calls.filter((c) => c.startsWith('put'))).toHaveLength(puts);
      expect(api.status('DagRun', 'rerun')).toBeUndefined();
      // The new object's own run is written as usual.
      await store.writeRun(users, { phase: 'Running' });
      expect(api.status('DagRun', 'rerun')).toEqual({ phase: 'Running' });
    });

    it("removes the controller's DagRun; removing it twice is harmless", async () => {
      await store.writeRun(record, { phase: 'Succeeded' });
      await store.removeRun(record);
      expect(api.objects.has('DagRun/ns/load-2026-01-05-1')).toBe(false);
      await expect(store.removeRun(record)).resolves.toBeUndefined();
    });
  });

  it('passes events to the recorder and never throws', () => {
    const throwing = new StatusStore({ api, log: silentLogger(), recordEvent: () => {
      throw new Error('boom');
    } });
    expect(() => throwing.recordEvent({ owner: { kind: 'Expectation', namespace: 'ns', name: 'daily' }, type: 'Normal', reason: 'X', message: 'y' })).not.toThrow();
  });
});
