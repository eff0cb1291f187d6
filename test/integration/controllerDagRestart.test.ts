// A Dag's progress survives the controller, against a real API server: task successes and re-run
// requests live in the Dag's status (runs in DagRuns), so a restarted controller (or a standby
// taking over) runs nothing again, adopts what was running, and acts on a rerun annotation once.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { V1Job } from '@kubernetes/client-node';
import { createNamespace, describeIntegration, eventually, installCrds } from './harness/cluster.js';
import { ended, Scene } from './controllerFixtures.js';

const DAG = `apiVersion: homeostat.dev/v1alpha1
kind: Dag
metadata: {name: etl}
spec:
  periods: {from: "2026-10-01", to: "2026-10-02", every: P1D, timeZone: UTC}
  tasks:
  - {name: extract, timeout: 10m, job: {template: {spec: {containers: [{name: main, image: example/extract:1}]}}}}
  - {name: load, dependsOn: [extract], timeout: 10m, job: {template: {spec: {containers: [{name: main, image: example/load:1}]}}}}
`;
const tagOf = (job: V1Job): string => `${job.metadata?.labels?.['homeostat.dev/task'] ?? '?'}@${job.metadata?.annotations?.['homeostat.dev/partition'] ?? '?'}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeIntegration('controller: a Dag across restarts', () => {
  let scene: Scene;

  beforeAll(async () => {
    await installCrds();
    scene = new Scene(await createNamespace('ctl-dag-restart'));
  });

  afterAll(async () => {
    await scene?.stopAll();
  });

  const tags = async () => (await scene.jobs('action')).map(tagOf).sort();
  const running = async (): Promise<V1Job[]> => (await scene.jobs('action')).filter((j) => !ended(j));
  /** Completes the running action Jobs `accept` picks until `want` of them exist and all have ended. */
  const completeUntil = async (want: number, accept: (job: V1Job) => boolean = () => true) =>
    eventually(async () => {
      for (const job of await running()) if (accept(job)) await scene.finishAction(job, true);
      const jobs = (await scene.jobs('action')).filter(accept);
      if (jobs.length !== want || !jobs.every(ended)) throw new Error(`${jobs.length} action Jobs (${jobs.filter(ended).length} ended), waiting for ${want} ended`);
    }, 30_000);
  const dagStatus = async () => (await scene.get('dag', 'etl')).status ?? {};

  it('a restarted controller adopts the running task and runs no finished one again', async () => {
    const first = await scene.start();
    await scene.apply(DAG);
    // Both days' extract run; finish them, then let day 1's load start and "die" with the controller.
    await completeUntil(2, (j) => tagOf(j).startsWith('extract@'));
    await eventually(async () => expect((await running()).map(tagOf).sort()).toEqual(['load@2026-10-01', 'load@2026-10-02']));
    await first.stop(5_000);
    const saved = await dagStatus();
    expect((saved.successes as { task: string; period: string }[]).map((s) => `${s.task}@${s.period}`).sort()).toEqual(['extract@2026-10-01', 'extract@2026-10-02']);

    await scene.start({ holder: 'test-restarted' });
    await sleep(3_000); // time for a wrong re-run to show
    expect(await tags()).toEqual(['extract@2026-10-01', 'extract@2026-10-02', 'load@2026-10-01', 'load@2026-10-02']);
    await completeUntil(4);
    await eventually(async () => expect((await dagStatus()).phase).toBe('Satisfied'));
    expect((await dagStatus()).successes).toHaveLength(4);
  });

  it('after a restart with every period done, nothing runs', async () => {
    await scene.stopAll();
    const again = await scene.start({ holder: 'test-third' });
    await eventually(async () => expect(again.reconciler.engine.owner({ kind: 'Dag', namespace: scene.ns, name: 'etl' })?.nodes.length).toBeGreaterThan(0));
    await sleep(3_000);
    expect(await scene.jobs('action')).toHaveLength(4);
    expect(again.reconciler.engine.node(`Dag/${scene.ns}/etl||2026-10-01`)?.phase).toBe('Satisfied');
  });

  it('the rerun annotation on a DagRun runs its period once per value, across a restart', async () => {
    const runs = JSON.parse((await scene.kubectl(['get', 'dr', '-l', 'homeostat.dev/dag=etl', '-o', 'json'])).stdout) as { items: { metadata: { name: string }; spec: { period: string } }[] };
    const day1 = runs.items.find((r) => r.spec.period === '2026-10-01');
    expect(day1).toBeDefined();
    await scene.kubectl(['annotate', 'dagrun', day1?.metadata.name ?? '', 'homeostat.dev/rerun=fix-1']);
    await completeUntil(6);
    expect(await tags()).toEqual(['extract@2026-10-01', 'extract@2026-10-01', 'extract@2026-10-02', 'load@2026-10-01', 'load@2026-10-01', 'load@2026-10-02']);
    const rerunRuns = JSON.parse((await scene.kubectl(['get', 'dr', '-l', 'homeostat.dev/dag=etl', '-o', 'json'])).stdout) as { items: { spec: { period: string; reason: string }; status?: { phase?: string; rerun?: string } }[] };
    expect(rerunRuns.items.filter((r) => r.spec.period === '2026-10-01' && r.spec.reason === 'Manual').map((r) => r.status?.phase)).toEqual(['Succeeded']);
    await eventually(async () => expect((await scene.get<{ status?: { rerun?: string } }>('dagrun', day1?.metadata.name ?? '')).status?.rerun).toBe('fix-1'));

    // The same value, seen again by a new controller, asks nothing.
    await scene.stopAll();
    await scene.start({ holder: 'test-fourth' });
    await sleep(3_000);
    expect(await scene.jobs('action')).toHaveLength(6);
  });
});
