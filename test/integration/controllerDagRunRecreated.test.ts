// A user deletes a DagRun and applies it again to run its period once more, against a real API
// server, quickly enough that no reconcile pass sees it gone: the new object has the old one's name
// but another uid, and it is a new run (its Job runs, its status is its own).
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { V1Job } from '@kubernetes/client-node';
import { type Clock, systemClock } from '../../src/runtime/ports.js';
import { createNamespace, describeIntegration, eventually, installCrds } from './harness/cluster.js';
import { ended, Scene } from './controllerFixtures.js';

const DAG = `apiVersion: homeostat.dev/v1alpha1
kind: Dag
metadata: {name: etl}
spec:
  periods: {from: "2026-10-01", to: "2026-10-01", every: P1D, timeZone: UTC}
  tasks:
  - {name: load, timeout: 10m, job: {template: {spec: {containers: [{name: main, image: example/load:1}]}}}}
`;
const DAG_RUN = `apiVersion: homeostat.dev/v1alpha1
kind: DagRun
metadata: {name: again}
spec: {dag: etl, period: "2026-10-01"}
`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The real clock, whose timers can be held: the world cache hands the declared objects to the
 * reconciler after a debounce timer, so while timers are held no pass sees a change.
 */
class GatedClock implements Clock {
  private held: (() => void)[] | undefined;
  now = (): number => systemClock.now();
  setTimer(at: number, fire: () => void): () => void {
    let cancelled = false;
    const cancel = systemClock.setTimer(at, () => (this.held !== undefined ? this.held.push(() => !cancelled && fire()) : fire()));
    return () => {
      cancelled = true;
      cancel();
    };
  }
  hold(): void {
    this.held = [];
  }
  release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const fire of held) fire();
  }
}

describeIntegration('controller: a DagRun deleted and created again under its name', () => {
  let scene: Scene;
  const clock = new GatedClock();

  beforeAll(async () => {
    await installCrds();
    scene = new Scene(await createNamespace('ctl-dagrun-again'));
  });

  afterAll(async () => {
    clock.release();
    await scene?.stopAll();
  });

  /** Completes running action Jobs until `want` exist and all have ended. */
  const completeUntil = async (want: number) =>
    eventually(async () => {
      for (const job of (await scene.jobs('action')).filter((j) => !ended(j))) await scene.finishAction(job, true);
      const jobs: V1Job[] = await scene.jobs('action');
      if (jobs.length !== want || !jobs.every(ended)) throw new Error(`${jobs.length} action Jobs (${jobs.filter(ended).length} ended), waiting for ${want} ended`);
    }, 30_000);
  type DagRunObject = { metadata: { uid: string; resourceVersion: string }; status?: { phase?: string; startedAt?: string } };
  const dagRun = () => scene.get<DagRunObject>('dagrun', 'again');

  it('runs its period again, and its status is its own run', async () => {
    await scene.start({ clock });
    await scene.apply(DAG);
    await completeUntil(1);
    await scene.apply(DAG_RUN);
    await completeUntil(2);
    await eventually(async () => expect((await dagRun()).status?.phase).toBe('Succeeded'));
    const before = await dagRun();
    await sleep(1_100); // DagRun times are in seconds: the new run's start is later than the old one's

    clock.hold();
    await scene.kubectl(['delete', 'dagrun', 'again']);
    const recreatedAt = Math.floor(Date.now() / 1000) * 1000;
    await scene.apply(DAG_RUN);
    const recreated = await dagRun();
    expect(recreated.metadata.uid).not.toBe(before.metadata.uid);
    expect(recreated.status).toBeUndefined();
    await sleep(1_000); // the watch delivers the deletion and the creation; no pass runs meanwhile
    clock.release();

    await completeUntil(3);
    await eventually(async () => {
      const now = await dagRun();
      expect(now.metadata.uid).toBe(recreated.metadata.uid);
      expect(now.status?.phase).toBe('Succeeded');
      expect(Date.parse(now.status?.startedAt ?? '')).toBeGreaterThanOrEqual(recreatedAt);
    });
  });
});
