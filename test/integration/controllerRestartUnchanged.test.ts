// Issue 13: a controller that starts again (a rolling update, a failover) over objects that did
// not change writes none of their statuses again: each condition keeps its lastTransitionTime (what
// kstatus, Argo CD and `kubectl get` show as the condition's age), and a restart over 10,000
// Expectations is not 10,000 status writes before the first one that says something new.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createNamespace, describeIntegration, eventually, installCrds } from './harness/cluster.js';
import type { Controller } from '../../src/kube/controller.js';
import { CHECKER, ended, expectation, Scene } from './controllerFixtures.js';

const DAG = `apiVersion: homeostat.dev/v1alpha1
kind: Dag
metadata: {name: etl}
spec:
  periods: {from: "2026-10-01", to: "2026-10-02", every: P1D, timeZone: UTC}
  tasks:
  - {name: extract, timeout: 10m, job: {template: {spec: {containers: [{name: main, image: example/extract:1}]}}}}
`;

type Stored = { metadata: { resourceVersion: string }; status?: { conditions?: { type: string; lastTransitionTime: string }[] } };

/** The pass is over and every status write it started has ended. */
async function quiet(controller: Controller): Promise<void> {
  await eventually(async () => expect(controller.reconciler.passCount > 0 && controller.reconciler.idle()).toBe(true));
  await controller.store.settled();
}

describeIntegration('controller: started again over objects that did not change', () => {
  let scene: Scene;

  beforeAll(async () => {
    await installCrds();
    scene = new Scene(await createNamespace('ctl-restart-same'));
    await scene.apply(CHECKER);
  });

  afterAll(async () => {
    await scene?.stopAll();
  });

  it('writes no status again and keeps every lastTransitionTime', async () => {
    const first = await scene.start();
    await scene.apply(expectation('steady', '  partitions: {day: {values: ["d1", "d2"]}}\n'));
    await scene.answerChecks(() => 'satisfied');
    await scene.until('steady', (s) => expect(s.satisfied).toBe('2/2'));
    await quiet(first);
    const before = await scene.get<Stored>('exp', 'steady');
    const checkerBefore = await scene.get<Stored>('statechecker', 'files');
    await scene.stopAll();
    // A condition composed afresh would carry a later second than any it carries now.
    const stamps = [...(before.status?.conditions ?? []), ...(checkerBefore.status?.conditions ?? [])].map((c) => c.lastTransitionTime);
    expect(stamps.length).toBeGreaterThan(0);
    await eventually(async () => expect(stamps.every((s) => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') > s)).toBe(true));

    const second = await scene.start();
    // The restored verdicts are checked again at once; the fresh ones say the same.
    await scene.answerChecks(() => 'satisfied');
    await quiet(second);
    const after = await scene.get<Stored>('exp', 'steady');
    expect(after.status?.conditions).toEqual(before.status?.conditions);
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect((await scene.get<Stored>('statechecker', 'files')).metadata.resourceVersion).toBe(checkerBefore.metadata.resourceVersion);
    expect(second.store.writes).toBe(0);

    // It still writes what does change: a new partition.
    await scene.apply(expectation('steady', '  partitions: {day: {values: ["d1", "d2", "d3"]}}\n'));
    await scene.until('steady', (s) => expect((s.partitions as { total: number }).total).toBe(3));
  });

  it('writes no DagRun status again, finished or running', async () => {
    await scene.stopAll();
    // Its checks would keep the controller busy; this test is about the Dag's runs.
    await scene.kubectl(['delete', 'exp', 'steady', '--ignore-not-found']);
    const first = await scene.start({ holder: 'test-dag-first' });
    await scene.apply(DAG);
    // Day 1 finishes, day 2 is left running: both kinds of run survive the restart. The running
    // one's task said "action X (attempt 1) started" when it launched and, decided afresh after
    // the restart, "... is running": one rewrite per running DagRun until the engine says the same.
    const runs = async () => JSON.parse((await scene.kubectl(['get', 'dr', '-l', 'homeostat.dev/dag=etl', '-o', 'json'])).stdout) as { items: { metadata: { name: string; resourceVersion: string }; spec: { period: string }; status?: { phase?: string } }[] };
    const day1 = await eventually(async () => {
      const job = (await scene.jobs('action')).find((j) => j.metadata?.annotations?.['homeostat.dev/partition'] === '2026-10-01');
      if (job === undefined) throw new Error('no Job for day 1 yet');
      return job;
    });
    if (!ended(day1)) await scene.finishAction(day1, true);
    await eventually(async () => expect((await runs()).items.map((r) => `${r.spec.period} ${r.status?.phase ?? '-'}`).sort()).toEqual(['2026-10-01 Succeeded', '2026-10-02 Running']));
    await quiet(first);
    const before = (await runs()).items.map((r) => `${r.metadata.name} ${r.metadata.resourceVersion}`).sort();
    await scene.stopAll();

    const second = await scene.start({ holder: 'test-dag-second' });
    await quiet(second);
    expect((await runs()).items.map((r) => `${r.metadata.name} ${r.metadata.resourceVersion}`).sort()).toEqual(before);
    expect(second.store.writes).toBe(0);
  });
});
