// A node's page through the read API: a Dag's periods x tasks and its Events in the objects
// answer, and POST /api/v1/rerun creating a DagRun only for a caller who may create DagRuns.
import { request } from 'node:http';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { DagRun } from '../../src/api/types.js';
import { silentLogger } from '../../src/runtime/log.js';
import { type RunningServer, startServer } from '../../src/server/httpServer.js';
import { createMetrics } from '../../src/server/metrics.js';
import type { NodeDetailsSource } from '../../src/server/nodeDetails.js';
import type { ReadAuth, ViewSource } from '../../src/server/readApi.js';
import type { RerunOptions, RerunRequest } from '../../src/server/rerunRoute.js';
import { dag, HOUR, MIN, Simulation } from '../engine/simulation.js';
import { healthy } from './fixtures.js';

const TODAY = '2026-03-09';
const world = () => ({
  dags: [dag('ads', [{ name: 'load', retry: { limit: 1, backoff: { initial: '1m' } } }, { name: 'publish', dependsOn: ['load'] }], { from: '2026-02-01', every: 'P1D' })],
  dagDependencies: [],
});

/** alice may list and create dagruns in default; bob may list them only. */
const auth: ReadAuth & { authorizeCreate: (caller: { username: string }, namespace: string) => Promise<'allowed' | 'denied' | 'unavailable'> } = {
  authenticate: async (token) => (token === 'alice' || token === 'bob' ? { status: 'authenticated', caller: { username: token } } : { status: 'rejected', reason: 'the token is not valid' }),
  authorizeList: async (_caller, _resource, namespace) => (namespace === 'default' ? 'allowed' : 'denied'),
  authorizeCreate: async (caller, namespace) => (caller.username === 'alice' && namespace === 'default' ? 'allowed' : 'denied'),
};

const events: NodeDetailsSource['events'] = async (ref) =>
  ref.name === 'ads'
    ? [
        { type: 'Warning', reason: 'ActionFailed', message: 'Dag ads task load 2026-03-09 failed', time: '2026-03-09T01:00:00Z', count: 2 },
        { type: 'Normal', reason: 'RunStarted', message: 'run ads 2026-03-09', time: '2026-03-09T00:30:00Z', count: 1 },
      ]
    : [];

describe('a node page through the read API', () => {
  let server: RunningServer | undefined;
  afterEach(async () => server?.close());
  let created: RerunRequest[] = [];

  const start = async (options: { engine?: boolean; uiAuth?: 'token' | 'none' | 'local'; dagRuns?: DagRun[] } = {}) => {
    const sim = new Simulation(world());
    sim.onLaunch = (l) => (l.partition === TODAY && l.task === 'load' ? 'fail' : 'succeed');
    sim.settle(500);
    sim.runUntil(sim.now + HOUR, MIN);
    const w = world();
    const source: ViewSource = { objects: () => ({ checkers: [], expectations: [], ...w }), engine: () => (options.engine === false ? undefined : sim.engine), subscribe: () => () => undefined, now: () => sim.now };
    created = [];
    const rerun: RerunOptions = {
      auth: options.uiAuth === 'none' || options.uiAuth === 'local' ? options.uiAuth : auth,
      localUser: 'local:dev',
      source,
      create: async (request) => (created.push(request), { ok: true, name: `ads-rerun-${created.length}` }),
    };
    const details: NodeDetailsSource = { events, ...(options.dagRuns !== undefined ? { dagRuns: async () => options.dagRuns as DagRun[] } : {}) };
    server = await startServer({ port: 0, host: '127.0.0.1', metrics: createMetrics({ processMetrics: false }), health: healthy, log: silentLogger(), readApi: { source, auth: options.uiAuth === 'none' ? 'none' : auth, details, rerun } });
    return sim;
  };
  const get = async (path: string, token = 'alice') => {
    const res = await fetch(`${server?.url}${path}`, { headers: { Authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const post = async (path: string, body: unknown, token: string | null = 'alice', type = 'application/json') => {
    const res = await fetch(`${server?.url}${path}`, { method: 'POST', headers: { 'Content-Type': type, ...(token !== null ? { Authorization: `Bearer ${token}` } : {}) }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  type Table = { tasks: string[]; rows: { period: string; phase?: string; run?: { name: string; phase: string }; cells: ({ phase: string; reason?: string } | null)[] }[]; periodsNotShown: number };

  it("a Dag's answer has its latest periods x tasks from the engine: today's load Failed and publish Waiting, each period's run", async () => {
    const sim = await start();
    const answer = await get('/api/v1/objects/Dag/default/ads');
    expect(answer.status).toBe(200);
    expect(answer.body.runsSource).toBe('engine');
    const runs = answer.body.runs as Table;
    expect(runs.tasks).toEqual(['load', 'publish']);
    // 2026-02-01 .. today: 37 periods, under the default of 60; newest first.
    expect(runs.rows).toHaveLength(37);
    expect(runs.periodsNotShown).toBe(0);
    expect(runs.rows[0]).toMatchObject({ period: TODAY, cells: [{ phase: 'Failed' }, { phase: 'Waiting' }] });
    expect(runs.rows[1]).toMatchObject({ period: '2026-03-08', phase: 'Satisfied', cells: [{ phase: 'Satisfied' }, { phase: 'Satisfied' }] });
    const todaysRun = sim.engine.runs().filter((r) => r.dag === 'ads' && r.period === TODAY).at(-1);
    expect(runs.rows[0]?.run).toEqual({ name: todaysRun?.name, phase: todaysRun?.phase, reason: todaysRun?.reason });
  });

  it('?periods=N shows the N newest periods and says how many more there are; a bad N is a 400 naming the parameter', async () => {
    await start();
    const runs = (await get('/api/v1/objects/Dag/default/ads?periods=5')).body.runs as Table;
    expect(runs.rows.map((r) => r.period)).toEqual(['2026-03-09', '2026-03-08', '2026-03-07', '2026-03-06', '2026-03-05']);
    expect(runs.periodsNotShown).toBe(32);
    for (const bad of ['0', '501', 'ten']) {
      const refused = await get(`/api/v1/objects/Dag/default/ads?periods=${bad}`);
      expect([refused.status, refused.body.message]).toEqual([400, `periods: "${bad}" must be a whole number from 1 to 500`]);
    }
  });

  it("a standby (no engine) builds the table from the Dag's DagRuns, the latest run of each period, and says so", async () => {
    const run = (name: string, period: string, startedAt: string, phase: 'Succeeded' | 'Failed', tasks: { name: string; phase: 'Satisfied' | 'Failed' }[]): DagRun => ({
      apiVersion: 'homeostat.dev/v1alpha1',
      kind: 'DagRun',
      metadata: { name, namespace: 'default' },
      spec: { dag: 'ads', period },
      status: { phase, startedAt, tasks },
    });
    await start({
      engine: false,
      dagRuns: [
        run('ads-1', '2026-03-08', '2026-03-09T00:01:00Z', 'Failed', [{ name: 'load', phase: 'Failed' }]),
        run('ads-2', '2026-03-08', '2026-03-09T02:00:00Z', 'Succeeded', [{ name: 'load', phase: 'Satisfied' }, { name: 'publish', phase: 'Satisfied' }]),
        run('ads-3', TODAY, '2026-03-10T00:01:00Z', 'Failed', [{ name: 'load', phase: 'Failed' }]),
      ],
    });
    const answer = await get('/api/v1/objects/Dag/default/ads');
    expect([answer.body.source, answer.body.runsSource]).toEqual(['status', 'status']);
    expect((answer.body.runs as Table).rows).toEqual([
      { period: TODAY, run: { name: 'ads-3', phase: 'Failed' }, cells: [{ phase: 'Failed' }, null] },
      { period: '2026-03-08', phase: 'Satisfied', run: { name: 'ads-2', phase: 'Succeeded' }, cells: [{ phase: 'Satisfied' }, { phase: 'Satisfied' }] },
    ]);
  });

  it("an object's answer carries its recent Events, newest first", async () => {
    await start();
    const answer = await get('/api/v1/objects/Dag/default/ads');
    expect((answer.body.events as { reason: string; count: number }[]).map((e) => [e.reason, e.count])).toEqual([
      ['ActionFailed', 2],
      ['RunStarted', 1],
    ]);
  });

  describe('POST /api/v1/rerun/{namespace}/{dag}', () => {
    it('creates a DagRun for a caller who may create dagruns, with the period and their username: 201 with its name', async () => {
      await start();
      const answer = await post('/api/v1/rerun/default/ads', { period: '2026-03-01' });
      expect(answer).toEqual({ status: 201, body: { name: 'ads-rerun-1', namespace: 'default', dag: 'ads', period: '2026-03-01', requestedBy: 'alice' } });
      expect(created).toEqual([{ namespace: 'default', dag: 'ads', period: '2026-03-01', requestedBy: 'alice' }]);
    });

    it('refuses a caller who may only read (403 saying which right is missing), and creates nothing', async () => {
      await start();
      const answer = await post('/api/v1/rerun/default/ads', { period: '2026-03-01' }, 'bob');
      expect(answer.status).toBe(403);
      expect(answer.body.message).toBe('bob may not create dagruns (group homeostat.dev) in namespace default: a re-run creates a DagRun as you, so you need that right yourself');
      expect(created).toEqual([]);
    });

    it('with --ui-auth=none nobody may re-run (403 "re-run needs --ui-auth=token"), with or without a token', async () => {
      await start({ uiAuth: 'none' });
      for (const token of [null, 'alice']) {
        const answer = await post('/api/v1/rerun/default/ads', { period: '2026-03-01' }, token);
        expect(answer.status).toBe(403);
        expect(answer.body.message).toMatch(/^re-run needs --ui-auth=token/);
      }
      expect(created).toEqual([]);
    });

    it('says what is wrong and where: no token 401, a period the Dag does not have 400 naming its periods, an unknown Dag 404, a bad body 400, a big one 413', async () => {
      await start();
      expect((await post('/api/v1/rerun/default/ads', { period: '2026-03-01' }, null)).status).toBe(401);
      const badPeriod = await post('/api/v1/rerun/default/ads', { period: '2025-01-01' });
      expect(badPeriod).toEqual({ status: 400, body: { reason: 'Invalid', message: 'period: "2025-01-01" is not a period of Dag default/ads; its 37 periods run from 2026-02-01 to 2026-03-09', errors: [{ path: 'period', message: '"2025-01-01" is not a period of Dag default/ads; its 37 periods run from 2026-02-01 to 2026-03-09' }] } });
      expect((await post('/api/v1/rerun/default/nope', { period: '2026-03-01' })).body).toEqual({ reason: 'NotFound', message: 'Dag default/nope does not exist' });
      expect((await post('/api/v1/rerun/default/ads', { when: '2026-03-01' })).body.message).toBe('invalid re-run request: period: is required: the period to run again, as the Dag names it (e.g. 2026-03-09); when: is not a field of a re-run request');
      expect((await post('/api/v1/rerun/default/ads', 'period=2026-03-01', 'alice', 'application/x-www-form-urlencoded')).status).toBe(415);
      expect((await post('/api/v1/rerun/default/ads', { period: 'x'.repeat(5000) })).status).toBe(413);
      expect(created).toEqual([]);
    });

    it('a standby checks the period against the Dag calendar', async () => {
      await start({ engine: false });
      expect((await post('/api/v1/rerun/default/ads', { period: '2026-03-01' })).status).toBe(201);
      expect((await post('/api/v1/rerun/default/ads', { period: '2026-13-01' })).status).toBe(400);
    });

    it('homeostat dev (no auth) re-runs for its local user, only for a page opened by a loopback address (not a name another site could point here)', async () => {
      await start({ uiAuth: 'local' });
      expect(await post('/api/v1/rerun/default/ads', { period: '2026-03-01' }, null)).toMatchObject({ status: 201, body: { requestedBy: 'local:dev' } });
      const port = new URL(server?.url ?? '').port;
      const rebound = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/api/v1/rerun/default/ads', method: 'POST', headers: { Host: `evil.example:${port}`, 'Content-Type': 'application/json' } }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end(JSON.stringify({ period: '2026-03-01' }));
      });
      expect(rebound.status).toBe(403);
      expect(rebound.body).toContain('needs the page opened as http://127.0.0.1:PORT or http://localhost:PORT, not \\"evil.example\\"');
      expect(created).toHaveLength(1);
    });

    it('limits how many re-runs one caller asks at once (429 with Retry-After)', async () => {
      await start();
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await post('/api/v1/rerun/default/ads', { period: '2026-03-01' })).status);
      expect(statuses).toEqual([201, 201, 201, 201, 201, 429, 429]);
    });
  });
});
