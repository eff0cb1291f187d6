// The controller when things go wrong, against a real API server: a failing action retries with
// backoff and ends Failed; an expired lease deletes its Job and retries; a manual fix releases the
// lease; someone else's status write is undone through a 409 Conflict.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { V1Job } from '@kubernetes/client-node';
import type { Controller } from '../../src/kube/controller.js';
import { createNamespace, describeIntegration, eventually, installCrds } from './harness/cluster.js';
import { CHECKER, conditionsOf, expectation, Scene } from './controllerFixtures.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeIntegration('controller: failures, expiry, manual fixes, conflicts', () => {
  let scene: Scene;
  let controller: Controller;

  beforeAll(async () => {
    await installCrds();
    scene = new Scene(await createNamespace('ctl-fail'));
    await scene.apply(CHECKER);
    controller = await scene.start();
  });

  afterAll(async () => {
    await scene?.stopAll();
  });

  /** The running action Job of one Expectation (waits until there is exactly one). */
  const actionOf = async (name: string): Promise<V1Job> =>
    eventually(async () => {
      const jobs = (await scene.jobs('action')).filter((j) => j.metadata?.labels?.['homeostat.dev/owner'] === name && j.status?.conditions === undefined && j.metadata?.deletionTimestamp === undefined);
      if (jobs.length !== 1) throw new Error(`${jobs.length} running action Jobs of ${name}`);
      return jobs[0] as V1Job;
    });

  it('a failing action is retried after its backoff, then the partition is Failed with the reason in a condition and an Event', async () => {
    await scene.apply(expectation('flaky', '  partitions: {day: {values: ["d1"]}}\n'));
    await scene.answerChecks(() => 'unsatisfied');

    const first = await actionOf('flaky');
    await scene.finishAction(first, false);
    const failedAt = Date.now();
    const backingOff = await scene.until('flaky', (s) => expect(s.phase).toBe('Pending'));
    // The retry record is kept in the status, so a restart keeps counting.
    expect(backingOff.retries).toEqual([expect.objectContaining({ key: 'day=d1', failures: 1, reason: 'ActionFailed' })]);

    const nextAttemptAt = Date.parse((backingOff.retries as { nextAttemptAt: string }[])[0]?.nextAttemptAt ?? '');
    expect(nextAttemptAt - failedAt).toBeGreaterThanOrEqual(500); // the 1 s backoff, counted from the failure the controller saw

    // The checker is the truth: when the backoff ends the state is checked again before attempt 2.
    await scene.answerChecks(() => 'unsatisfied');
    const second = await actionOf('flaky');
    expect(second.metadata?.name).not.toBe(first.metadata?.name);
    expect(second.metadata?.annotations?.['homeostat.dev/attempt']).toBe('2');
    // Not before the backoff ended (creationTimestamp has whole seconds).
    expect(new Date(second.metadata?.creationTimestamp ?? 0).getTime()).toBeGreaterThanOrEqual(Math.floor(nextAttemptAt / 1000) * 1000);
    await scene.finishAction(second, false);

    const failed = await scene.until('flaky', (s) => expect(s.phase).toBe('Failed'));
    expect(failed.partitions).toMatchObject({ total: 1, failed: 1 });
    expect(failed.failures).toEqual([expect.objectContaining({ partition: 'day=d1', reason: 'RetriesExhausted', attempts: 2 })]);
    expect(conditionsOf(failed).Degraded).toBe('True/RetriesExhausted');
    const events = await eventually(async () => {
      const list = await scene.events('Expectation', 'flaky');
      if (!list.some((e) => e.startsWith('Warning RetriesExhausted: day=d1: '))) throw new Error(`no RetriesExhausted event in ${list.join('\n')}`);
      return list;
    });
    expect(events.filter((e) => e.startsWith('Warning ActionFailed: day=d1: ')).length).toBeGreaterThanOrEqual(1);
    // Failed stops acting: no third Job.
    await sleep(2_000);
    expect((await scene.jobs('action')).filter((j) => j.metadata?.labels?.['homeostat.dev/owner'] === 'flaky')).toHaveLength(2);
  });

  it('a lease that expires deletes its Job, counts a failed attempt and retries', async () => {
    await scene.apply(expectation('slow', '  workingTimeout: 2s\n'));
    await scene.answerChecks(() => 'unsatisfied');
    const first = await actionOf('slow');
    const working = await scene.until('slow', (s) => expect(s.phase).toBe('WorkingOnIt'));
    expect((working.leases as { action: string }[])[0]?.action).toBe(first.metadata?.name);

    // Nobody completes it: after 2 s the lease expires, the Job is deleted, attempt 2 starts after the backoff.
    await eventually(async () => {
      const names = (await scene.jobs('action')).map((j) => j.metadata?.name);
      if (names.includes(first.metadata?.name)) throw new Error('the expired Job is still there');
    }, 10_000);
    await scene.answerChecks(() => 'unsatisfied');
    const second = await actionOf('slow');
    expect(second.metadata?.annotations?.['homeostat.dev/attempt']).toBe('2');
    const status = await scene.status('slow');
    expect(status.retries).toEqual([expect.objectContaining({ failures: 1, reason: 'LeaseExpired' })]);
    expect(await scene.events('Expectation', 'slow')).toContainEqual(expect.stringMatching(/^Warning LeaseExpired: /));
  });

  it('a manual fix releases the lease: the recheck says satisfied, the Job is cancelled', async () => {
    await scene.apply(expectation('fixed', '  recheckEvery: 2s\n'));
    await scene.answerChecks(() => 'unsatisfied');
    const job = await actionOf('fixed');
    // An admin fixes the data by hand; the next recheck (while the Job still runs) sees it.
    await scene.answerChecks(() => 'satisfied', 10_000);
    const done = await scene.until('fixed', (s) => expect(s.phase).toBe('Satisfied'));
    expect(done.leases).toEqual([]);
    await eventually(async () => {
      const names = (await scene.jobs('action')).map((j) => j.metadata?.name);
      if (names.includes(job.metadata?.name)) throw new Error('the Job of the released lease is still there');
    });
    expect(await scene.events('Expectation', 'fixed')).toContainEqual(expect.stringMatching(/^Normal StateSatisfied: the state holds without action .*; lease released$/));
  });

  it("someone else's status write is undone, through a 409 Conflict that is retried", async () => {
    const before = (await scene.status('fixed')) as { phase: string };
    expect(before.phase).toBe('Satisfied');
    const conflicts = controller.store.conflicts;
    await scene.kubectl(['patch', 'exp', 'fixed', '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Failed","satisfied":"0/1"}}']);
    await scene.until('fixed', (s) => expect(s).toMatchObject({ phase: 'Satisfied', satisfied: '1/1' }));
    expect(controller.store.conflicts).toBeGreaterThan(conflicts);
  });
});
