import { afterEach, describe, expect, it } from '@jest/globals';
import { silentLogger } from '../../src/runtime/log.js';
import { type RunningServer, startServer } from '../../src/server/httpServer.js';
import { createMetrics } from '../../src/server/metrics.js';
import type { ReadAuth, ViewSource } from '../../src/server/readApi.js';
import { dag, dagDependency, HOUR, MIN, Simulation } from '../engine/simulation.js';
import { healthy } from './fixtures.js';
import { ownerStatus } from '../../src/engine/index.js';
import { dagStatus } from '../../src/runtime/statusDocuments.js';

const TODAY = '2026-03-09';
const world = () => ({
  dags: [
    dag('sold', [{ name: 'load' }, { name: 'aggregate', dependsOn: ['load'] }], { from: '2026-02-01', every: 'P1D' }),
    dag('ads', [{ name: 'load', retry: { limit: 1, backoff: { initial: '1m' } } }, { name: 'publish', dependsOn: ['load'] }], { from: '2026-02-01', every: 'P1D' }),
    dag('enrich', [{ name: 'join' }, { name: 'write', dependsOn: ['join'] }], { from: '2026-02-01', every: 'P1D' }),
  ],
  dagDependencies: [dagDependency('enrich-inputs', 'enrich', [{ dag: 'sold' }, { dag: 'ads', task: 'load' }])],
});

/** A reviewer that knows two tokens: alice may list dags in default, bob may list nothing. */
const auth: ReadAuth = {
  authenticate: async (token) => (token === 'alice' || token === 'bob' ? { status: 'authenticated', caller: { username: token } } : { status: 'rejected', reason: 'the token is not valid' }),
  authorizeList: async (caller, resource, namespace) => (caller.username === 'alice' && resource === 'dags' && namespace === 'default' ? 'allowed' : 'denied'),
};

describe('the read API', () => {
  let server: RunningServer | undefined;
  afterEach(async () => server?.close());

  const start = async (withEngine: boolean, noAuth = false) => {
    const sim = new Simulation(world());
    sim.onLaunch = (l) => (l.partition === TODAY && l.owner.name === 'ads' && l.task === 'load' ? 'fail' : 'succeed');
    sim.settle(500);
    sim.runUntil(sim.now + HOUR, MIN);
    // The statuses the leader wrote, as a standby's watch sees them.
    const w = world();
    for (const d of w.dags) d.status = dagStatus(ownerStatus(sim.engine.owner({ kind: 'Dag', namespace: 'default', name: d.metadata.name }) as never, (id) => sim.engine.lease(id), (id) => sim.engine.retry(id)), [], 1);
    const source: ViewSource = { objects: () => ({ checkers: [], expectations: [], ...w }), engine: () => (withEngine ? sim.engine : undefined), subscribe: () => () => undefined, now: () => sim.now };
    server = await startServer({ port: 0, host: '127.0.0.1', metrics: createMetrics({ processMetrics: false }), health: healthy, log: silentLogger(), readApi: { source, auth: noAuth ? 'none' : auth } });
    return server;
  };
  const get = async (path: string, token?: string) => {
    const res = await fetch(`${server?.url}${path}`, token !== undefined ? { headers: { Authorization: `Bearer ${token}` } } : {});
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('a token without list on dags gets 403, with it 200; no token 401', async () => {
    await start(true);
    expect((await get('/api/v1/explain/Dag/default/enrich')).status).toBe(401);
    expect((await get('/api/v1/explain/Dag/default/enrich', 'bob')).status).toBe(403);
    expect((await get('/api/v1/explain/Dag/default/enrich', 'alice')).status).toBe(200);
    expect((await get('/api/v1/explain/Dag/other/enrich', 'alice')).status).toBe(403);
  });

  it('an object comes with its partition summary from the engine: periods per phase, bucketed in time', async () => {
    await start(true);
    const answer = await get('/api/v1/objects/Dag/default/enrich', 'alice');
    expect(answer.body.source).toBe('engine');
    const partitions = answer.body.partitions as { total: number; counts: Record<string, number>; timeKey: string; buckets: { from: string; to: string }[]; waiting: { partition: string }[] };
    expect(partitions).toMatchObject({ total: 37, counts: { Satisfied: 36, Waiting: 1 }, timeKey: 'period', waiting: [{ partition: TODAY }] });
    expect(partitions.buckets.at(-1)).toEqual({ from: TODAY, to: TODAY, periods: 1 });
  });

  it('--ui-auth=none: anyone who reaches the port reads everything, without a token', async () => {
    await start(true, true);
    expect((await get('/api/v1/explain/Dag/default/enrich')).status).toBe(200);
    expect((await get('/api/v1/graph')).body.edges).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'dagDependency' })]));
  });

  it('the graph shows only the kinds the caller may list: Dags and their tasks, no DagDependency edges without list on dagdependencies', async () => {
    await start(true);
    const graph = await get('/api/v1/graph?namespace=default', 'alice');
    expect(graph.status).toBe(200);
    const nodes = graph.body.nodes as { kind: string }[];
    expect(nodes.filter((n) => n.kind === 'Dag')).toHaveLength(3);
    expect((graph.body.edges as { kind: string }[]).filter((e) => e.kind === 'dagDependency')).toEqual([]);
  });

  it('explain of a waiting Dag period names the failed upstream task and its message, from the engine and from the statuses alike', async () => {
    await start(true);
    const answer = await get(`/api/v1/explain/Dag/default/enrich?partition=${TODAY}`, 'alice');
    expect(answer.body.source).toBe('engine');
    const steps = answer.body.steps as { what: string; message: string; rootCause: boolean }[];
    expect(steps.filter((s) => s.rootCause && s.what.startsWith('Dag ads'))).toEqual([expect.objectContaining({ what: `Dag ads task load ${TODAY}`, message: '2 attempts failed; last: ActionFailed: exit code 1' })]);
    await server?.close();
    await start(false); // a standby: no engine, the statuses only
    const fromStatus = await get(`/api/v1/explain/Dag/default/enrich?partition=${TODAY}`, 'alice');
    expect(fromStatus.body.source).toBe('status');
    expect(fromStatus.body.steps).toEqual([
      expect.objectContaining({ what: `Dag enrich ${TODAY}`, phase: 'Waiting', reason: 'UpstreamFailed', rootCause: false }),
      expect.objectContaining({ what: `Dag ads task load ${TODAY}`, phase: 'Failed', message: '2 attempts failed; last: ActionFailed: exit code 1', rootCause: true }),
    ]);
  });

  it('answers 400 for a path it cannot read and 404 for an unknown object', async () => {
    await start(false);
    expect((await get('/api/v1/objects/Dag/default', 'alice')).status).toBe(400);
    expect((await get('/api/v1/objects/Dag/default/nope', 'alice')).status).toBe(404);
    const found = await get('/api/v1/objects/dags/default/enrich', 'alice');
    expect([found.status, found.body.source]).toEqual([200, 'status']);
  });

  it('streams changes as Server-Sent Events, and drops a client that does not keep up instead of buffering for it', async () => {
    let tell: ((change: { kind: string; namespace: string; name: string; phase?: string }) => void) | undefined;
    let subscribed = () => undefined as void;
    const ready = new Promise<void>((resolve) => (subscribed = resolve));
    let dropped = () => undefined as void;
    const gone = new Promise<void>((resolve) => (dropped = resolve));
    const source: ViewSource = {
      objects: () => ({ checkers: [], expectations: [], dags: [], dagDependencies: [] }),
      engine: () => undefined,
      subscribe: (listener) => {
        tell = listener;
        subscribed();
        return () => dropped();
      },
      now: () => 0,
    };
    server = await startServer({ port: 0, host: '127.0.0.1', metrics: createMetrics({ processMetrics: false }), health: healthy, log: silentLogger(), readApi: { source, auth, maxBufferedBytes: 64 * 1024 } });
    const res = await fetch(`${server.url}/api/v1/events?namespace=default`, { headers: { Authorization: 'Bearer alice' } });
    expect([res.status, res.headers.get('content-type')]).toEqual([200, 'text/event-stream']);
    await ready;
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    tell?.({ kind: 'Dag', namespace: 'default', name: 'enrich', phase: 'Waiting' });
    tell?.({ kind: 'Expectation', namespace: 'default', name: 'raw', phase: 'Failed' }); // alice may not list expectations
    let text = '';
    while (!text.includes('enrich')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toContain('event: change\ndata: {"kind":"Dag","namespace":"default","name":"enrich","phase":"Waiting"}\n\n');
    expect(text).not.toContain('raw');
    // The client stops reading; a burst of changes passes the buffer limit: the stream is cut.
    const name = 'x'.repeat(1000);
    for (let i = 0; i < 10_000; i++) tell?.({ kind: 'Dag', namespace: 'default', name, phase: 'Waiting' });
    await gone;
    await reader.cancel().catch(() => undefined);
  });
});
