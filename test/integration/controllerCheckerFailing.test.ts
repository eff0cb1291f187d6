// A checker that fails is not invisible (issue 9 item 8), against a real API server: a checker
// Job's Pod terminates with garbage instead of a verdict; the partition is Unknown/CheckerFailed,
// the Expectation says so in status.checkerFailures, status.reason (the REASON column of `kubectl
// get exp`), Degraded=True/CheckerFailing, and one Warning Event.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { V1Job } from '@kubernetes/client-node';
import { mergePatch } from '../../src/kube/client.js';
import { CHECKER_CONTAINER } from '../../src/kube/jobCheckRunner.js';
import { cluster, createNamespace, describeIntegration, eventually, installCrds } from './harness/cluster.js';
import { CHECKER, conditionsOf, ended, expectation, Scene } from './controllerFixtures.js';

const stamp = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

describeIntegration('controller: a checker that answers garbage', () => {
  let scene: Scene;

  beforeAll(async () => {
    await installCrds();
    scene = new Scene(await createNamespace('ctl-checker'));
    await scene.apply(CHECKER);
    await scene.start();
  });

  afterAll(async () => {
    await scene?.stopAll();
  });

  /** Plays the kubelet for one checker Job: its Pod terminates with `message`, then the Job completes. */
  const answerWith = async (job: V1Job, message: string) => {
    const name = job.metadata?.name ?? '';
    const image = job.spec?.template.spec?.containers[0]?.image ?? 'x';
    const pod = `${name}-pod`;
    await scene.clients.core.createNamespacedPod({
      namespace: scene.ns,
      body: { metadata: { name: pod, labels: job.spec?.template.metadata?.labels ?? {} }, spec: { restartPolicy: 'Never', containers: [{ name: CHECKER_CONTAINER, image }] } },
    });
    const terminated = { exitCode: 0, reason: 'Completed', message, startedAt: stamp(), finishedAt: stamp() };
    await scene.clients.core.patchNamespacedPodStatus(
      { name: pod, namespace: scene.ns, body: { status: { phase: 'Succeeded', containerStatuses: [{ name: CHECKER_CONTAINER, image, imageID: '', ready: false, restartCount: 0, state: { terminated } }] } } },
      mergePatch(),
    );
    await cluster().completeJob(name, scene.ns, true);
  };

  it('shows Unknown with reason CheckerFailed in the status, kubectl get exp, Degraded=True/CheckerFailing and a Warning Event', async () => {
    await scene.apply(expectation('sensor', '  partitions: {day: {values: ["d1"]}}\n'));
    const job = await eventually(async () => {
      const pending = (await scene.jobs('checker')).filter((j) => !ended(j));
      if (pending.length !== 1) throw new Error(`${pending.length} checker Jobs`);
      return pending[0] as V1Job;
    });
    await answerWith(job, 'Segmentation fault (core dumped) %%% not a verdict');

    const status = await scene.until('sensor', (s) => expect(s.reason).toBe('CheckerFailed'));
    expect(status).toMatchObject({ phase: 'Unknown', partitions: { total: 1, unknown: 1 } });
    expect(status.checkerFailures).toEqual([{ partition: 'day=d1', reason: 'CheckerFailed', message: expect.stringContaining('malformed compact verdict') }]);
    expect(conditionsOf(status)).toMatchObject({ Degraded: 'True/CheckerFailing' });
    const degraded = (status.conditions as { type: string; message: string }[]).find((c) => c.type === 'Degraded');
    expect(degraded?.message).toMatch(/^1 without a verdict \(day=d1: CheckerFailed: /);

    const got = await scene.kubectl(['get', 'exp', 'sensor']);
    const [header, row] = got.stdout.trim().split('\n');
    expect(header?.trim().split(/\s+/)).toEqual(['NAME', 'PHASE', 'SATISFIED', 'WORKING', 'FAILED', 'VALID', 'REASON', 'AGE']);
    expect(row?.trim().split(/\s+/).slice(0, 7)).toEqual(['sensor', 'Unknown', '0/1', '0', '0', 'True', 'CheckerFailed']);

    const events = await eventually(async () => {
      const found = (await scene.events('Expectation', 'sensor')).filter((e) => /^Warning CheckerFailed: /.test(e));
      if (found.length === 0) throw new Error('no CheckerFailed Event yet');
      return found;
    });
    expect(events).toEqual([expect.stringMatching(/^Warning CheckerFailed: day=d1: no verdict: checker Job \S+: malformed compact verdict/)]);
  }, 60_000);
});
