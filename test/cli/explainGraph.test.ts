import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runExplain } from '../../src/cli/explain.js';
import { runGraph } from '../../src/cli/graph.js';
import { ownerStatus } from '../../src/engine/index.js';
import { dagStatus } from '../../src/runtime/statusDocuments.js';
import { dag, dagDependency, HOUR, MIN, Simulation } from '../engine/simulation.js';

/** The Mediator after ads load failed for TODAY, written as `homeostat dev` writes status.json. */
const TODAY = '2026-03-09';
const dir = mkdtempSync(join(tmpdir(), 'homeostat-explain-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => {
  const world = () => ({
    dags: [
      dag('sold', [{ name: 'load' }, { name: 'aggregate', dependsOn: ['load'] }], { from: '2026-02-01', every: 'P1D' }),
      dag('ads', [{ name: 'load', retry: { limit: 1, backoff: { initial: '1m' } } }, { name: 'publish', dependsOn: ['load'] }], { from: '2026-02-01', every: 'P1D' }),
      dag('enrich', [{ name: 'join' }, { name: 'write', dependsOn: ['join'] }], { from: '2026-02-01', every: 'P1D' }),
    ],
    dagDependencies: [dagDependency('enrich-inputs', 'enrich', [{ dag: 'sold' }, { dag: 'ads', task: 'load' }])],
  });
  const sim = new Simulation(world());
  sim.onLaunch = (l) => (l.partition === TODAY && l.owner.name === 'ads' && l.task === 'load' ? 'fail' : 'succeed');
  sim.settle(500);
  sim.runUntil(sim.now + HOUR, MIN);
  const w = world();
  const objects = [
    ...w.dags.map((d) => ({ ...d, status: dagStatus(ownerStatus(sim.engine.owner({ kind: 'Dag', namespace: 'default', name: d.metadata.name }) as never, (id) => sim.engine.lease(id), (id) => sim.engine.retry(id)), [], 1) })),
    ...w.dagDependencies,
  ];
  mkdirSync(join(dir, '.homeostat'));
  writeFileSync(join(dir, '.homeostat/status.json'), JSON.stringify({ format: 'homeostat.dev/local-status', version: 1, updatedAt: new Date(sim.now).toISOString(), objects, events: [] }));
});

const run = async (f: (io: { out: (t: string) => void; err: (t: string) => void }) => Promise<number>) => {
  let out = '';
  let err = '';
  const code = await f({ out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
};

describe('homeostat explain -d DIR', () => {
  it('prints the chain as an indented tree: the waiting period, then the failed upstream task with its message', async () => {
    const { code, out } = await run((io) => runExplain('dag/enrich', { dir }, io));
    expect(code).toBe(0);
    expect(out).toBe(
      `Dag enrich ${TODAY}: Waiting (UpstreamFailed) Dag ads task load ${TODAY} is Failed: 2 attempts failed; last: ActionFailed: exit code 1\n` +
        `  └─ Dag ads task load ${TODAY}: Failed (TaskFailed) 2 attempts failed; last: ActionFailed: exit code 1  <- root cause\n`,
    );
  });

  it('says what is wrong with the argument or the object', async () => {
    expect(await run((io) => runExplain('enrich', { dir }, io))).toMatchObject({ code: 2, err: expect.stringContaining('expected KIND/NAME') });
    expect(await run((io) => runExplain('dag/nope', { dir }, io))).toMatchObject({ code: 1, err: 'error: Dag default/nope does not exist\n' });
  });
});

describe('homeostat graph -d DIR', () => {
  it('prints every Dag, task and DagDependency edge as dot, mermaid or json', async () => {
    const dot = await run((io) => runGraph({ dir }, io));
    expect(dot.out).toContain('"Dag/default/sold" -> "Dag/default/enrich" [label="dagDependency Auto"];');
    expect(dot.out).toContain('"DagTask/default/ads/load" -> "Dag/default/enrich" [label="dagDependency Auto"];');
    const mermaid = await run((io) => runGraph({ dir, output: 'mermaid' }, io));
    expect(mermaid.out.startsWith('flowchart LR\n')).toBe(true);
    const json = await run((io) => runGraph({ dir, output: 'json' }, io));
    expect((JSON.parse(json.out) as { nodes: unknown[] }).nodes).toHaveLength(3 + 6);
    expect((await run((io) => runGraph({ dir, output: 'svg' }, io))).code).toBe(2);
  });
});
