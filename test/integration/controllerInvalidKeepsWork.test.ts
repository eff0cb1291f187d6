// Issue 10 item 3, against a real API server: an Expectation that turns invalid for a while (its
// StateChecker deleted) keeps its running action Job, and carries on with it once it is valid again.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { V1Job } from '@kubernetes/client-node';
import { createNamespace, describeIntegration, eventually, installCrds } from './harness/cluster.js';
import { CHECKER, conditionsOf, expectation, Scene } from './controllerFixtures.js';

describeIntegration('controller: a temporarily invalid Expectation keeps its work', () => {
  let scene: Scene;

  beforeAll(async () => {
    await installCrds();
    scene = new Scene(await createNamespace('ctl-keep'));
    await scene.apply(CHECKER);
    await scene.start();
  });

  afterAll(async () => {
    await scene?.stopAll();
  });

  const actionJobs = async (): Promise<V1Job[]> => (await scene.jobs('action')).filter((j) => j.metadata?.labels?.['homeostat.dev/owner'] === 'keep');

  it('deleting the StateChecker leaves the running Job alone (Valid=False); re-created, the same Job completes and the Expectation converges', async () => {
    await scene.apply(expectation('keep', '  partitions: {day: {values: ["d1"]}}\n'));
    await scene.answerChecks(() => 'unsatisfied');
    const [job] = await scene.runningActions(1);
    const name = job?.metadata?.name ?? '';
    await scene.until('keep', (s) => expect(s.phase).toBe('WorkingOnIt'));

    await scene.kubectl(['delete', 'statechecker', 'files']);
    // The fixed point: the status written after the engine saw the checker gone still lists the lease.
    const invalid = await scene.until('keep', (s) => expect(conditionsOf(s).Valid).toBe('False/UnknownReference'));
    expect(invalid.leases).toEqual([expect.objectContaining({ partition: 'day=d1', action: name })]);
    const kept = await scene.clients.batch.readNamespacedJob({ name, namespace: scene.ns });
    expect(kept.metadata?.deletionTimestamp).toBeUndefined();

    await scene.apply(CHECKER);
    await scene.until('keep', (s) => expect(conditionsOf(s).Valid).toBe('True/Valid'));
    await scene.finishAction(kept, true);
    // The checker is the truth: the action's end is verified by a check before the state holds.
    // Each round answers the checks pending then (the verification, or one begun before the action
    // ended); a round that demanded a new check failed for good once the answered one was not yet
    // in the status.
    await eventually(async () => {
      await scene.answerPendingChecks(() => 'satisfied');
      const status = await scene.status('keep');
      expect(status.phase).toBe('Satisfied');
    }, 20_000);
    const jobs = await actionJobs();
    expect(jobs.map((j) => j.metadata?.name)).toEqual([name]);
    expect(jobs[0]?.metadata?.deletionTimestamp).toBeUndefined();
  });
});
