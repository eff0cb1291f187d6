// One controller watching a list of namespaces (`--namespace a,b`, the chart's watchNamespaces):
// it reconciles what is declared in each of them, and nothing in a namespace it was not given.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createNamespace, describeIntegration, installCrds } from './harness/cluster.js';
import { CHECKER, expectation, Scene } from './controllerFixtures.js';

describeIntegration('controller: a list of watched namespaces', () => {
  let teamA: Scene;
  let teamB: Scene;
  let outside: Scene;

  beforeAll(async () => {
    await installCrds();
    [teamA, teamB, outside] = await Promise.all([createNamespace('ns-a'), createNamespace('ns-b'), createNamespace('ns-out')]).then((names) => names.map((ns) => new Scene(ns)));
    await teamA.start({ namespaces: [teamA.ns, teamB.ns] });
  });

  afterAll(async () => {
    await teamA?.stopAll();
  });

  it('reconciles an Expectation in each watched namespace to Satisfied', async () => {
    for (const scene of [teamA, teamB, outside]) await scene.apply(CHECKER + '---\n' + expectation('report'));
    for (const scene of [teamA, teamB]) {
      await scene.answerChecks(() => 'unsatisfied');
      const [job] = await scene.runningActions(1);
      await scene.finishAction(job as never, true);
      await scene.answerChecks(() => 'satisfied');
      await scene.until('report', (s) => expect(s).toMatchObject({ phase: 'Satisfied', satisfied: '1/1' }));
    }
  });

  it('leaves a namespace it does not watch alone: no status, no Job', async () => {
    // Both watched namespaces have reached their fixed point (Satisfied) after the same World
    // saw all three objects; the outside one was never part of it.
    expect((await outside.get('expectations', 'report')).status).toBeUndefined();
    expect(await outside.jobs('checker')).toEqual([]);
    expect(await outside.jobs('action')).toEqual([]);
  });
});
