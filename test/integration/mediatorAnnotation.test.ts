// Re-running a period from an existing DagRun, like Airflow's Clear, against a real API server:
// `kubectl annotate dagrun <name> homeostat.dev/rerun=<value> --overwrite`. Each new value asks
// once for a re-run of that DagRun's Dag period (reason Manual); the same value again, another
// annotation, or a controller restart asks nothing. Only behaviour is asserted (which Jobs run),
// not where the controller records the value it handled.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createNamespace, describeIntegration, installCrds } from './harness/cluster.js';
import { ALL_TAGS, backfill, D2, D3, DagScene, mediatorYaml, playRerun } from './mediatorFixtures.js';

const STEP = 90_000;

describeIntegration('Mediator: the homeostat.dev/rerun annotation re-runs a DagRun\'s period once per value', () => {
  let scene: DagScene;

  beforeAll(async () => {
    await installCrds();
    scene = new DagScene(await createNamespace('mediator-annotate'));
    await scene.start();
    await scene.apply(mediatorYaml());
    await backfill(scene);
    expect(await scene.launched()).toEqual(ALL_TAGS);
  }, STEP);

  afterAll(async () => {
    await scene?.stopAll();
  });

  // ads keeps 3 runs per period (the default): its first run of D2 stays while D2 is re-run.
  const target = `ads-${D2}-1`;
  const annotate = (run: string, value: string) => () => scene.kubectl(['annotate', 'dagrun', run, `homeostat.dev/rerun=${value}`, '--overwrite']);
  const adsThenEnrich = [[`ads/fetch@${D2}`], [`ads/load@${D2}`], [`enrich/join@${D2}`]];

  it('a first value re-runs ads for D2, then enrich for D2, once (a Manual run)', async () => {
    expect(await scene.dagRun(target)).toMatchObject({ dag: 'ads', period: D2, reason: 'Schedule', phase: 'Succeeded' });
    const launched = await playRerun(scene, annotate(target, 'first'), adsThenEnrich);
    expect(launched).toEqual([`ads/fetch@${D2}`, `ads/load@${D2}`, `enrich/join@${D2}`]);
    const adsD2 = (await scene.dagRuns('ads')).filter((r) => r.period === D2);
    expect(adsD2.map((r) => `${r.reason} ${r.phase ?? '-'}`).sort()).toEqual(['Manual Succeeded', 'Schedule Succeeded']);
  }, STEP);

  it('the same value again, another annotation, or a controller restart run nothing', async () => {
    await scene.settle();
    const before = await scene.launched();
    await annotate(target, 'first')();
    await scene.kubectl(['annotate', 'dagrun', target, 'note=checked', '--overwrite']);
    await scene.settle(2_000);
    expect(await scene.running()).toEqual([]);
    await scene.stopAll();
    await scene.start();
    await scene.settle(3_000);
    expect(await scene.running()).toEqual([]);
    expect(await scene.launched()).toEqual(before);
  }, STEP);

  it('a new value re-runs the period once more', async () => {
    const launched = await playRerun(scene, annotate(target, 'second'), adsThenEnrich);
    expect(launched).toEqual([`ads/fetch@${D2}`, `ads/load@${D2}`, `enrich/join@${D2}`]);
    const adsD2 = (await scene.dagRuns('ads')).filter((r) => r.period === D2);
    expect(adsD2.map((r) => r.name)).toContain(target);
    expect(adsD2.map((r) => `${r.reason} ${r.phase ?? '-'}`).sort()).toEqual(['Manual Succeeded', 'Manual Succeeded', 'Schedule Succeeded']);
  }, STEP);

  it("on one of the controller's DagRuns of sold: sold re-runs D3, then enrich D3", async () => {
    const launched = await playRerun(scene, annotate(`sold-${D3}-1`, 'x'), [[`sold/extract@${D3}`], [`sold/load@${D3}`], [`enrich/join@${D3}`]]);
    expect(launched).toEqual([`enrich/join@${D3}`, `sold/extract@${D3}`, `sold/load@${D3}`]);
  }, STEP);
});
