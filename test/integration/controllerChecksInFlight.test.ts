// --max-checks-in-flight against a real API server: twelve new Expectations on a Job checker with
// a bound of 3 never have more than 3 checker Jobs running at once; the others wait for a slot and
// start as answers come, until every Expectation is checked.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createNamespace, describeIntegration, eventually, installCrds } from './harness/cluster.js';
import { CHECKER, ended, expectation, Scene } from './controllerFixtures.js';

const COUNT = 12;
const BOUND = 3;

describeIntegration('controller: a bounded number of checks in flight', () => {
  let scene: Scene;

  beforeAll(async () => {
    await installCrds();
    scene = new Scene(await createNamespace('ctl-inflight'));
    await scene.apply(CHECKER);
    for (let i = 0; i < COUNT; i++) await scene.apply(expectation(`table-${i}`));
  });

  afterAll(async () => {
    await scene?.stopAll();
  });

  it(`creates at most ${BOUND} checker Jobs at a time for ${COUNT} Expectations, and checks every one`, async () => {
    await scene.start({ maxChecksInFlight: BOUND });
    const running = async () => (await scene.jobs('checker')).filter((j) => !ended(j)).length;
    let most = 0;
    let answered = 0;
    while (answered < COUNT) {
      // Every checker Job not answered yet is in flight: look before answering any.
      const pending = await eventually(async () => {
        const jobs = await scene.pendingChecks();
        if (jobs.length === 0) throw new Error('no checker Job waiting for an answer');
        return jobs;
      });
      most = Math.max(most, await running());
      expect(most).toBeLessThanOrEqual(BOUND);
      answered += (await scene.answerChecks(() => 'satisfied')).length;
      expect(pending.length).toBeLessThanOrEqual(BOUND);
    }
    expect(most).toBe(BOUND);
    for (let i = 0; i < COUNT; i++) await scene.until(`table-${i}`, (s) => expect(s.phase).toBe('Satisfied'));
    // One check each, no more: none was lost nor asked twice while waiting.
    expect((await scene.jobs('checker')).length).toBe(COUNT);
  });
});
