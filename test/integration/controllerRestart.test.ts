// DESIGN rule 2 across a crash, against a real API server: the lease is in the Expectation's
// status before its Job exists; a controller that dies in between, restarted, never launches a
// second action for that lease, and the node ends up with exactly one Job.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { ActionLaunch } from '../../src/engine/index.js';
import type { ActionRunner } from '../../src/runtime/ports.js';
import { createNamespace, describeIntegration, eventually, installCrds } from './harness/cluster.js';
import { CHECKER, expectation, Scene } from './controllerFixtures.js';

describeIntegration('controller: killed between writing a lease and creating its Job', () => {
  let scene: Scene;

  beforeAll(async () => {
    await installCrds();
    scene = new Scene(await createNamespace('ctl-restart'));
    await scene.apply(CHECKER);
  });

  afterAll(async () => {
    await scene?.stopAll();
  });

  it('the restarted controller adopts the lease, and exactly one Job is created for the node', async () => {
    // The first controller "dies" inside launch: the lease is saved, the Job never created.
    const launches: ActionLaunch[] = [];
    const dying = (runner: ActionRunner): ActionRunner => ({
      onEnded: (l) => runner.onEnded(l),
      launch: (launch) => {
        launches.push(launch);
        return new Promise<void>(() => undefined); // never returns: the process is gone
      },
      cancel: (c) => runner.cancel(c),
      adopt: (leases) => runner.adopt(leases),
    });
    const first = await scene.start({ wrapActions: dying });
    await scene.apply(expectation('report', '  partitions: {day: {values: ["d1"]}}\n'));
    await scene.answerChecks(() => 'unsatisfied');
    await eventually(async () => expect(launches).toHaveLength(1));
    const lease = launches[0]?.lease;

    // The lease is durable in the API; no Job exists.
    const saved = await scene.status('report');
    expect(saved.leases).toEqual([expect.objectContaining({ key: 'day=d1', attempt: 1, action: lease?.action })]);
    expect(await scene.jobs('action')).toEqual([]);
    await first.stop(100); // gone: its pass never finishes

    // A new controller reads the lease back and adopts it (never launches it again). Its Job
    // never existed: the action never started, which is no failed attempt (ActionNotStarted);
    // the checker judges afresh, then the same attempt runs under a new Job name.
    const second = await scene.start();
    const adopted = second.reconciler.engine.lease(`Expectation/${scene.ns}/report|day=d1`);
    expect(adopted).toMatchObject({ action: lease?.action, attempt: 1, acquiredAt: lease?.acquiredAt });
    await scene.answerChecks(() => 'unsatisfied');
    const [job] = await scene.runningActions(1);
    expect(job?.metadata?.name).not.toBe(lease?.action);
    expect(job?.metadata?.annotations?.['homeostat.dev/attempt']).toBe('1');
    const events = await scene.events('Expectation', 'report');
    expect(events.some((e) => /^Normal ActionNotStarted: /.test(e))).toBe(true);
    expect(events.some((e) => /ActionDidNotSatisfy/.test(e))).toBe(false);

    await scene.finishAction(job as never, true);
    await scene.answerChecks(() => 'satisfied');
    await scene.until('report', (s) => expect(s.phase).toBe('Satisfied'));
    expect(await scene.jobs('action')).toHaveLength(1);
  });

  it('a controller restarted while a Job runs follows that Job instead of launching another', async () => {
    await scene.apply(expectation('long', ''));
    await scene.answerChecks(() => 'unsatisfied');
    const [job] = await scene.runningActions(1);
    await scene.stopAll();

    const again = await scene.start();
    await scene.finishAction(job as never, true);
    await scene.answerChecks(() => 'satisfied');
    await scene.until('long', (s) => expect(s.phase).toBe('Satisfied'));
    const jobs = (await scene.jobs('action')).filter((j) => j.metadata?.labels?.['homeostat.dev/owner'] === 'long');
    expect(jobs.map((j) => j.metadata?.name)).toEqual([job?.metadata?.name]);
    expect(again.reconciler.engine.lease(`Expectation/${scene.ns}/long|`)).toBeUndefined();
  });
});
