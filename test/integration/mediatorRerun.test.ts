// The Mediator's re-runs end to end against a real API server: a user's DagRun re-running sold for
// one day (the latest, or a past one) re-runs sold's tasks for that day and then enrich for that
// day only, once. With historyLimit 1 only the latest run of a period is kept: the controller
// deletes its own older DagRuns, never a user's, and a user's DagRun out of the history stays as
// it ended (and asks nothing again, also after a restart).
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createNamespace, describeIntegration, installCrds } from './harness/cluster.js';
import { ALL_TAGS, backfill, D1, D2, D3, DagScene, dagRunYaml, DAYS, mediatorYaml, playRerun, type RunRow, runSummary } from './mediatorFixtures.js';

const STEP = 90_000;

/** `period name reason phase` of each run, sorted. */
const named = (rows: RunRow[]): string[] => rows.map((r) => `${r.period} ${r.name} ${r.reason} ${r.phase ?? '-'}`).sort();

/** sold's Jobs for the day, then enrich's: what re-running sold for `day` must run, in that order. */
const soldThenEnrich = (day: string): string[][] => [[`sold/extract@${day}`], [`sold/load@${day}`], [`enrich/join@${day}`]];

describeIntegration('Mediator: re-running sold for one day re-runs enrich for that day only', () => {
  let scene: DagScene;

  beforeAll(async () => {
    await installCrds();
    scene = new DagScene(await createNamespace('mediator-rerun'));
    await scene.start();
    await scene.apply(mediatorYaml({ sold: '  historyLimit: 1\n', enrich: '  historyLimit: 1\n' }));
  });

  afterAll(async () => {
    await scene?.stopAll();
  });

  const createRun = (name: string, dag: string, period: string) => () => scene.kubectl(['create', '-f', '-'], dagRunYaml(name, dag, period));

  it('backfill: every day of sold, ads and enrich runs once', async () => {
    await backfill(scene);
    expect(await scene.launched()).toEqual(ALL_TAGS);
    expect(runSummary(await scene.dagRuns('enrich'))).toEqual(DAYS.map((d) => `${d} Schedule Succeeded`));
  }, STEP);

  it.each([
    ['the latest day', D3, 'sold-again-d3'],
    ['a past day', D1, 'sold-again-d1'],
  ])('a DagRun re-running sold for %s re-runs sold, then enrich for that day only, once', async (_when, day, runName) => {
    const launched = await playRerun(scene, createRun(runName, 'sold', day), soldThenEnrich(day));
    expect(launched).toEqual([`enrich/join@${day}`, `sold/extract@${day}`, `sold/load@${day}`]);

    expect(await scene.dagRun(runName)).toMatchObject({ dag: 'sold', period: day, reason: 'Manual', phase: 'Succeeded' });
    // The user's DagRun is listed with sold's runs; enrich's new run of the day says why it ran.
    expect((await scene.dagRuns('sold')).map((r) => r.name)).toContain(runName);
    const enrichRuns = (await scene.dagRuns('enrich')).filter((r) => r.period === day);
    expect(enrichRuns.map((r) => `${r.reason} ${r.phase ?? '-'}`)).toEqual(['Dependency Succeeded']);
  }, STEP);

  it('historyLimit 1: only the latest run of a re-run period is left; the controller deleted its own older DagRuns', async () => {
    expect(named(await scene.dagRuns('sold'))).toEqual([
      `${D1} sold-again-d1 Manual Succeeded`,
      `${D2} sold-${D2}-1 Schedule Succeeded`,
      `${D3} sold-again-d3 Manual Succeeded`,
    ]);
    expect(await scene.dagRun(`sold-${D1}-1`)).toBeUndefined();
    expect(await scene.dagRun(`sold-${D3}-1`)).toBeUndefined();
    expect(named(await scene.dagRuns('enrich'))).toEqual([
      `${D1} enrich-${D1}-2 Dependency Succeeded`,
      `${D2} enrich-${D2}-1 Schedule Succeeded`,
      `${D3} enrich-${D3}-2 Dependency Succeeded`,
    ]);
  }, STEP);

  it("historyLimit 1: a user's DagRun that falls out of the history is never deleted, and still says how it ended", async () => {
    const launched = await playRerun(scene, createRun('sold-again-d3-b', 'sold', D3), soldThenEnrich(D3));
    expect(launched).toEqual([`enrich/join@${D3}`, `sold/extract@${D3}`, `sold/load@${D3}`]);
    expect(await scene.dagRun('sold-again-d3-b')).toMatchObject({ reason: 'Manual', phase: 'Succeeded' });
    // enrich's older run of D3 is the controller's: deleted.
    expect(named((await scene.dagRuns('enrich')).filter((r) => r.period === D3))).toEqual([`${D3} enrich-${D3}-3 Dependency Succeeded`]);
    // sold-again-d3 is out of sold's history (limit 1) but it is the user's: it stays, as it ended.
    const old = await scene.dagRun('sold-again-d3');
    expect(old).toBeDefined();
    expect(old).toMatchObject({ reason: 'Manual', phase: 'Succeeded', status: expect.objectContaining({ finishedAt: expect.any(String) }) });
  }, STEP);

  it.each([
    ['the latest run of its period', 'sold-again-d1', D1],
    ['a run that fell out of the history (limit 1)', 'sold-again-d3', D3],
  ])("the homeostat.dev/rerun annotation on a user's DagRun, %s, re-runs its period once", async (_what, runName, day) => {
    const annotate = () => scene.kubectl(['annotate', 'dagrun', runName, 'homeostat.dev/rerun=again', '--overwrite']);
    const launched = await playRerun(scene, annotate, soldThenEnrich(day));
    expect(launched).toEqual([`enrich/join@${day}`, `sold/extract@${day}`, `sold/load@${day}`]);
  }, STEP);

  it('a restarted controller runs nothing again: not the periods of DagRuns it handled, not the users\' ones out of the history', async () => {
    await scene.settle();
    const before = await scene.launched();
    await scene.stopAll();
    await scene.start();
    await scene.settle(3_000);
    expect(await scene.running()).toEqual([]);
    expect(await scene.launched()).toEqual(before);
  }, STEP);
});
