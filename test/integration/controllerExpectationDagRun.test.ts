// An Expectation whose action is a Dag run, against a real API server: when the checker finds the
// day missing, the controller runs the Dag for that day (a DagRun with reason Expectation), and
// the Expectation holds once the run succeeded and the checker agrees.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createNamespace, describeIntegration, eventually, installCrds } from './harness/cluster.js';
import { CHECKER, ended, Scene } from './controllerFixtures.js';

const DAG = `apiVersion: homeostat.dev/v1alpha1
kind: Dag
metadata: {name: load-day}
spec:
  periods: {from: "2026-10-01", to: "2026-10-01", every: P1D, timeZone: UTC}
  tasks:
  - {name: load, timeout: 10m, job: {template: {spec: {containers: [{name: main, image: example/load:1}]}}}}
`;
const RESULTS = `apiVersion: homeostat.dev/v1alpha1
kind: Expectation
metadata: {name: results}
spec:
  checker: {ref: files}
  partitions: {date: {from: "2026-10-01", to: "2026-10-01", every: P1D}}
  action: {dagRun: {dag: load-day}}
`;

interface RunItem {
  spec: { period: string; reason: string };
  status?: { phase?: string };
}

describeIntegration('controller: an Expectation whose action is a Dag run', () => {
  let scene: Scene;

  beforeAll(async () => {
    await installCrds();
    scene = new Scene(await createNamespace('ctl-exp-dagrun'));
    await scene.apply(CHECKER);
  });

  afterAll(async () => {
    await scene?.stopAll();
  });

  const runs = async () => (JSON.parse((await scene.kubectl(['get', 'dr', '-l', 'homeostat.dev/dag=load-day', '-o', 'json'])).stdout) as { items: RunItem[] }).items.map((r) => `${r.spec.period} ${r.spec.reason} ${r.status?.phase ?? '-'}`).sort();

  it('runs the Dag for the missing day, and holds once the run succeeded and the checker agrees', async () => {
    await scene.start();
    await scene.apply(DAG);
    await scene.apply(RESULTS);
    // The Dag's own schedule runs the day first.
    const [scheduled] = await scene.runningActions(1);
    await scene.finishAction(scheduled as never, true);
    await eventually(async () => expect(await runs()).toEqual(['2026-10-01 Schedule Succeeded']));

    // Then the data is found missing: the Expectation's action runs the Dag again for that day.
    await scene.answerChecks(() => 'unsatisfied');
    const [again] = await scene.runningActions(1);
    expect(again?.metadata?.labels?.['homeostat.dev/owner']).toBe('load-day');
    await eventually(async () => expect(await runs()).toEqual(['2026-10-01 Expectation Running', '2026-10-01 Schedule Succeeded']));
    const working = await scene.status('results');
    expect(working.phase).toBe('WorkingOnIt');
    expect(working.leases).toEqual([expect.objectContaining({ key: 'date=2026-10-01', action: 'run:load-day', attempt: 1 })]);

    await scene.finishAction(again as never, true);
    await eventually(async () => expect(await runs()).toEqual(['2026-10-01 Expectation Succeeded', '2026-10-01 Schedule Succeeded']));
    // The run's success is the action's: the checker is asked again, and its verdict decides.
    await scene.answerChecks(() => 'satisfied');
    await scene.until('results', (s) => expect(s.phase).toBe('Satisfied'));
    const jobs = await scene.jobs('action');
    expect(jobs).toHaveLength(2);
    expect(jobs.every(ended)).toBe(true);
  });
});
