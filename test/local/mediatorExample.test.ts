import { afterEach, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DevLoop } from '../../src/local/devLoop.js';
import { sandbox, type Sandbox, waitFor } from './fixtures.js';

// examples/mediator in embedded mode, its windows pinned (fixtures.ts): Dags sold, ads and enrich
// for 2026-11-18..20, clicks-hourly for the 48 hours of 2026-11-19..20 and clicks-daily for those
// two days. Every task appends "DAG TASK PERIOD" to runs.log when it succeeds, so the order in
// which tasks ran is read from there.

let box: Sandbox;
afterEach(() => box.cleanup());

const DAYS = ['2026-11-18', '2026-11-19', '2026-11-20'];
const HOURS = ['2026-11-19', '2026-11-20'].flatMap((d) => Array.from({ length: 24 }, (_, h) => `${d}T${String(h).padStart(2, '0')}:00`));

const runsLog = (): string[] => {
  const path = join(box.data, 'runs.log');
  return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n') : [];
};

interface StoredObject {
  kind: string;
  metadata: { name: string };
  spec: Record<string, unknown>;
  status?: Record<string, unknown>;
}
const statusObjects = (): StoredObject[] => (JSON.parse(readFileSync(join(box.dir, '.homeostat/status.json'), 'utf8')) as { objects: StoredObject[] }).objects;
const dagRuns = (dag: string, period?: string) =>
  statusObjects()
    .filter((o) => o.kind === 'DagRun' && o.spec.dag === dag && (period === undefined || o.spec.period === period))
    .map((o) => [o.metadata.name, o.spec.reason, o.status?.phase]);

/** The engine's node of a Dag period (the whole Dag) or of one task for a period. */
const nodeOf = (loop: DevLoop, dag: string, period: string, task?: string) =>
  loop.reconciler.engine
    .owner({ kind: 'Dag', namespace: 'default', name: dag })
    ?.nodes.find((n) => n.period === period && (task === undefined ? n.policy.rule === 'all' : n.policy.task === task));

/** Writes a DagRun into the manifest directory: embedded mode's way to re-run a period. */
const dagRun = (name: string, dag: string, period: string) => box.write(`${name}.yaml`, `apiVersion: homeostat.dev/v1alpha1\nkind: DagRun\nmetadata: {name: ${name}}\nspec: {dag: ${dag}, period: "${period}"}\n`);

describe('examples/mediator in embedded mode', () => {
  it('converges: every period of every Dag succeeds, enrich runs a day once, after sold and ads load for that day', async () => {
    box = sandbox({ example: 'mediator' });
    const loop = await box.start();
    const result = await loop.untilConverged(20_000);
    await loop.stop();

    expect(result.summary.unsatisfied).toEqual([]);
    expect(result.converged).toBe(true);
    expect(result.afterMs).toBeLessThan(10_000);
    const dags = new Map(statusObjects().filter((o) => o.kind === 'Dag').map((o) => [o.metadata.name, o.status]));
    expect(Object.fromEntries([...dags].map(([name, s]) => [name, [s?.phase, s?.succeeded]]))).toEqual({
      sold: ['Satisfied', '3/3'],
      ads: ['Satisfied', '3/3'],
      enrich: ['Satisfied', '3/3'],
      'clicks-hourly': ['Satisfied', '48/48'],
      'clicks-daily': ['Satisfied', '2/2'],
    });

    const log = runsLog();
    const at = (line: string) => {
      expect(log.filter((l) => l === line)).toEqual([line]); // each task ran once per period
      return log.indexOf(line);
    };
    for (const day of DAYS) {
      const enrich = at(`enrich join ${day}`);
      expect(enrich).toBeGreaterThan(at(`sold extract ${day}`));
      expect(enrich).toBeGreaterThan(at(`sold load ${day}`));
      expect(enrich).toBeGreaterThan(at(`ads load ${day}`));
      expect(at(`ads load ${day}`)).toBeGreaterThan(at(`ads fetch ${day}`));
      at(`ads publish ${day}`);
      expect(readFileSync(join(box.data, 'enrich', day, 'join.out'), 'utf8')).toBe(`enrich join ${day} attempt 1\n`);
      // The run records say the same: enrich's run started after sold's run and ads' load ended.
      const runs = loop.reconciler.engine.runs().filter((r) => r.period === day);
      const run = (dag: string) => runs.find((r) => r.dag === dag);
      expect(run('enrich')?.startedAt).toBeGreaterThanOrEqual(run('sold')?.finishedAt ?? Infinity);
      expect(run('enrich')?.startedAt).toBeGreaterThanOrEqual(nodeOf(loop, 'ads', day, 'load')?.doneAt ?? Infinity);
      expect(dagRuns('enrich', day)).toEqual([[`enrich-${day}-1`, 'Schedule', 'Succeeded']]);
    }
    // Within: a day is summed once, after all 24 of its hours.
    for (const day of ['2026-11-19', '2026-11-20']) {
      const sum = at(`clicks-daily sum ${day}`);
      for (const hour of HOURS.filter((h) => h.startsWith(day))) expect(sum).toBeGreaterThan(at(`clicks-hourly count ${hour}`));
      expect(readFileSync(join(box.data, 'clicks-daily', day, 'sum.out'), 'utf8')).toBe(`clicks-daily sum ${day}: 516 clicks in 24 hours\n`);
    }
    expect(log).toHaveLength(3 * 6 + 48 + 2);
  });

  it('ads load failing for a day: enrich waits for that day naming it, never runs it, and runs it once ads is re-run', async () => {
    box = sandbox({ example: 'mediator' });
    mkdirSync(join(box.data, 'fail'), { recursive: true });
    const failSwitch = join(box.data, 'fail', 'ads.load.2026-11-19');
    writeFileSync(failSwitch, '');
    const loop = await box.start();
    await waitFor(
      'ads load to fail for 2026-11-19 and the rest to settle',
      () => nodeOf(loop, 'ads', '2026-11-19', 'load')?.phase === 'Failed' && nodeOf(loop, 'enrich', '2026-11-20')?.phase === 'Satisfied' && loop.reconciler.idle(),
      20_000,
    );

    for (const node of [nodeOf(loop, 'enrich', '2026-11-19'), nodeOf(loop, 'enrich', '2026-11-19', 'join')]) {
      expect(node).toMatchObject({ phase: 'Waiting', reason: 'UpstreamFailed' });
      expect(node?.message).toMatch(/^Dag ads task load 2026-11-19 is Failed: 2 attempts failed; last: ActionFailed: exit code 1: ads load 2026-11-19: failing on purpose/);
    }
    // What `homeostat dev --until-converged` prints when it gives up.
    const { converged, unsatisfied } = loop.convergence();
    expect(converged).toBe(false);
    expect(unsatisfied.map((u) => [u.name, u.phase, u.satisfied])).toEqual([
      ['ads', 'Failed', '2/3'],
      ['enrich', 'Waiting', '2/3'],
    ]);
    expect(unsatisfied[1]?.example).toMatch(/^2026-11-19: Waiting\/UpstreamFailed: Dag ads task load 2026-11-19 is Failed/);
    // enrich never ran for that day (no process, no run), and ran for the others.
    expect(runsLog().filter((l) => l.startsWith('enrich '))).toEqual(['enrich join 2026-11-18', 'enrich join 2026-11-20']);
    expect(existsSync(join(box.data, 'enrich', '2026-11-19'))).toBe(false);
    expect(loop.reconciler.engine.runs().filter((r) => r.dag === 'enrich' && r.period === '2026-11-19')).toEqual([]);
    expect(runsLog()).not.toContain('ads publish 2026-11-19');
    expect(runsLog()).toContain('sold load 2026-11-19');

    // Fixed: a DagRun re-runs ads for the day, and enrich follows, once.
    rmSync(failSwitch);
    dagRun('ads-fixed', 'ads', '2026-11-19');
    await waitFor('ads and enrich for 2026-11-19', () => loop.convergence().converged && loop.reconciler.idle(), 20_000);
    await loop.stop();
    const log = runsLog();
    expect(log.filter((l) => l === 'enrich join 2026-11-19')).toHaveLength(1);
    expect(log.indexOf('enrich join 2026-11-19')).toBeGreaterThan(log.indexOf('ads load 2026-11-19'));
    expect(dagRuns('ads', '2026-11-19')).toEqual([
      ['ads-fixed', 'Manual', 'Succeeded'],
      ['ads-2026-11-19-1', 'Schedule', 'Failed'],
    ]);
    expect(dagRuns('enrich', '2026-11-19')).toEqual([['enrich-2026-11-19-1', 'Schedule', 'Succeeded']]);
  });

  it('re-running sold for a day re-runs enrich for that day only, once; re-running an hour re-runs its day', async () => {
    box = sandbox({ example: 'mediator' });
    const loop = await box.start();
    expect((await loop.untilConverged(20_000)).converged).toBe(true);
    const before = runsLog().length;

    dagRun('sold-again', 'sold', '2026-11-19');
    dagRun('hour-again', 'clicks-hourly', '2026-11-20T05:00');
    await waitFor(
      'the re-runs and their dependents',
      () => runsLog().length >= before + 5 && loop.convergence().converged && loop.reconciler.idle(),
      20_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 300)); // a few more passes: nothing else runs
    await loop.stop();

    const again = runsLog().slice(before);
    expect(again.filter((l) => !l.startsWith('clicks'))).toEqual(['sold extract 2026-11-19', 'sold load 2026-11-19', 'enrich join 2026-11-19']);
    expect(again.filter((l) => l.startsWith('clicks'))).toEqual(['clicks-hourly count 2026-11-20T05:00', 'clicks-daily sum 2026-11-20']);
    expect(dagRuns('enrich', '2026-11-19')).toEqual([
      ['enrich-2026-11-19-1', 'Schedule', 'Succeeded'],
      ['enrich-2026-11-19-2', 'Dependency', 'Succeeded'],
    ]);
    expect(dagRuns('ads', '2026-11-19')).toEqual([['ads-2026-11-19-1', 'Schedule', 'Succeeded']]);
    expect(dagRuns('clicks-daily', '2026-11-20')).toEqual([
      ['clicks-daily-2026-11-20-1', 'Schedule', 'Succeeded'],
      ['clicks-daily-2026-11-20-2', 'Dependency', 'Succeeded'],
    ]);
  });
});
