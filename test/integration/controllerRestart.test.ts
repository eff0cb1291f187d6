// DESIGN rule 2 across a crash, against a real API server: the lease is in the Expectation's
// status before its Job exists; a controller that dies in between, restarted, never launches a
// second action for that lease, and the node ends up with exactly one Job.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Watch } from '@kubernetes/client-node';
import type { ActionLaunch } from '../../src/engine/index.js';
import type { ActionRunner } from '../../src/runtime/ports.js';
import { cluster, createNamespace, describeIntegration, eventually, installCrds } from './harness/cluster.js';
import { actionTag, CHECKER, conditionsOf, expectation, Scene } from './controllerFixtures.js';

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

// Issue 9 item 3: a restart (a rolling update, a failover) never makes a satisfied Expectation
// look otherwise. The status keeps what the last checks said (status.lastVerdicts); the new
// controller shows it from its first write on, checks again at once, and acts on a fresh verdict.
describeIntegration('controller: restarted with every partition satisfied', () => {
  let scene: Scene;

  beforeAll(async () => {
    await installCrds();
    scene = new Scene(await createNamespace('ctl-verdicts'));
    await scene.apply(CHECKER);
  });

  afterAll(async () => {
    await scene?.stopAll();
  });

  it('shows Satisfied 3/3 on every status write until a fresh check says otherwise, then acts', async () => {
    await scene.start();
    await scene.apply(expectation('kept', '  partitions: {day: {values: ["d1", "d2", "d3"]}}\n'));
    await scene.answerChecks(() => 'satisfied');
    const before = await scene.until('kept', (s) => expect(s.satisfied).toBe('3/3'));
    expect(before.lastVerdicts).toEqual({ partitions: 3, digest: expect.any(String), complete: true });
    await scene.stopAll();

    // Every status write from here on, by the controller that comes next.
    const { metadata } = await scene.get('exp', 'kept');
    const writes: Record<string, unknown>[] = [];
    let watchEnded: unknown;
    const watch = await new Watch(cluster().kubeConfig).watch(
      `/apis/homeostat.dev/v1alpha1/namespaces/${scene.ns}/expectations`,
      { fieldSelector: 'metadata.name=kept', resourceVersion: metadata.resourceVersion },
      (type, object: { status?: Record<string, unknown> }) => {
        if (type === 'MODIFIED') writes.push(object.status ?? {});
      },
      (error) => (watchEnded = error ?? 'ended'),
    );
    try {
      const second = await scene.start();
      // The restored verdicts show, and are checked again at once: the recheck is asked for.
      await eventually(async () => expect(await scene.pendingChecks()).toHaveLength(1));
      const shown = await scene.status('kept');
      expect([shown.phase, shown.satisfied, conditionsOf(shown).Satisfied]).toEqual(['Satisfied', '3/3', 'True/AllSatisfied']);
      // Shown, not fresh: dated 0.
      expect(second.reconciler.engine.node(`Expectation/${scene.ns}/kept|day=d1`)?.observation).toEqual({ verdict: 'satisfied', at: 0 });

      // The fresh verdict differs for d2: it shows, and d2's action starts as usual.
      await scene.answerChecks((key) => (key === 'day=d2' ? 'unsatisfied' : 'satisfied'));
      const [job] = await scene.runningActions(1);
      expect(actionTag(job as never)).toBe('kept@day=d2');
      const after = await scene.until('kept', (s) => expect(s.satisfied).toBe('2/3'));
      expect(after.lastVerdicts).toEqual({ partitions: 3, digest: (before.lastVerdicts as { digest: string }).digest, complete: true, notSatisfied: ['day=d2'] });

      // The new controller's writes: Satisfied 3/3 until the fresh verdict, then 2/3; never Unknown, never 0/3.
      await eventually(async () => expect(writes.some((s) => s.satisfied === '2/3')).toBe(true));
      expect(watchEnded).toBeUndefined();
      const untilRecheck = writes.findIndex((s) => s.satisfied !== '3/3');
      // (The new controller may have nothing to change before the recheck: then its first write is the 2/3.)
      expect(writes[untilRecheck]?.satisfied).toBe('2/3');
      expect(writes.slice(0, untilRecheck).map((s) => [s.phase, s.satisfied, conditionsOf(s).Satisfied])).toEqual(
        Array.from({ length: untilRecheck }, () => ['Satisfied', '3/3', 'True/AllSatisfied']),
      );
    } finally {
      watch.abort();
    }
  });
});
