// An hourly upstream and a daily dependent, against a real API server: a DagDependency with
// periods Within maps every hour of the day onto the day, so the daily Job is created only once
// all 24 hourly runs have succeeded (DESIGN: "the day needs all 24 hours").
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createNamespace, describeIntegration, installCrds } from './harness/cluster.js';
import { conditionsOf } from './controllerFixtures.js';
import { D1, DagScene, dagYaml, dependencyYaml, runSummary } from './mediatorFixtures.js';

const STEP = 90_000;
const HOURS = Array.from({ length: 24 }, (_, h) => `${D1}T${String(h).padStart(2, '0')}:00`);

describeIntegration('Mediator: an hourly upstream and a daily dependent', () => {
  let scene: DagScene;

  beforeAll(async () => {
    await installCrds();
    scene = new DagScene(await createNamespace('mediator-hourly'));
    await scene.start();
    await scene.apply(
      [
        // The wiring first (see mediatorYaml): the daily Dag never exists without its inputs.
        dependencyYaml('report-inputs', 'daily-report', [{ dag: 'clicks', periods: 'Within' }]),
        dagYaml('clicks', ['count'], `{from: "${D1}T00:00", to: "${D1}T23:00", every: PT1H, timeZone: UTC}`, '  maxActiveRuns: 24\n'),
        dagYaml('daily-report', ['sum'], `{from: "${D1}", to: "${D1}", every: P1D, timeZone: UTC}`),
      ].join('---\n'),
    );
  });

  afterAll(async () => {
    await scene?.stopAll();
  });

  it('23 of the 24 hours done: no daily Job', async () => {
    await scene.untilRunning(HOURS.map((h) => `clicks/count@${h}`));
    const late = HOURS[13] as string;
    await scene.finish(HOURS.filter((h) => h !== late).map((h) => `clicks/count@${h}`));
    await scene.untilDag('clicks', (s) => expect(s).toMatchObject({ succeeded: '23/24', periods: { total: 24, succeeded: 23 } }));
    await scene.settle();
    expect(await scene.running()).toEqual([`clicks/count@${late}`]);
    expect(await scene.launched('daily-report')).toEqual([]);
    const daily = await scene.untilDag('daily-report', (s) => expect(s.phase).toBe('WorkingOnIt'));
    expect(daily).toMatchObject({ succeeded: '0/1' });
    expect(conditionsOf((await scene.get('dd', 'report-inputs')).status ?? {})).toEqual({ Valid: 'True/Valid' });
  }, STEP);

  it('the 24th hour done: exactly one daily Job, for the day; it runs and the day is Satisfied', async () => {
    await scene.finish([`clicks/count@${HOURS[13] as string}`]);
    await scene.untilRunning([`daily-report/sum@${D1}`]);
    await scene.settle();
    expect(await scene.launched('daily-report')).toEqual([`daily-report/sum@${D1}`]);
    await scene.finish([`daily-report/sum@${D1}`]);
    await scene.untilDag('daily-report', (s) => expect(s).toMatchObject({ phase: 'Satisfied', succeeded: '1/1', lastPeriod: D1 }));
    await scene.untilDag('clicks', (s) => expect(s).toMatchObject({ phase: 'Satisfied', succeeded: '24/24' }));
    expect(runSummary(await scene.dagRuns('daily-report'))).toEqual([`${D1} Schedule Succeeded`]);
    expect(await scene.dagRuns('clicks')).toHaveLength(24);
  }, STEP);
});
