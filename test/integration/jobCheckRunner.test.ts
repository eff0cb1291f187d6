// JobCheckRunner against a real API server. The tests play the kubelet and the job controller:
// they create the checker's Pod themselves (with the Job's Pod labels), write its terminated
// container status with the termination message, then complete (or fail) the Job.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { Informer, ObjectCache, V1Job, V1Pod } from '@kubernetes/client-node';
import type { StateChecker } from '../../src/api/types.js';
import type { CheckRequest } from '../../src/engine/index.js';
import { fromConfig, type KubeClients, mergePatch, statusOf } from '../../src/kube/client.js';
import { CHECKER_CONTAINER, JobCheckRunner, type JobCheckRunnerOptions } from '../../src/kube/jobCheckRunner.js';
import { checkerPodInformer, jobInformer } from '../../src/kube/jobWatcher.js';
import { silentLogger } from '../../src/runtime/log.js';
import type { CheckAnswer } from '../../src/runtime/ports.js';
import { cluster, createNamespace, describeIntegration, eventually } from './harness/cluster.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

describeIntegration('JobCheckRunner against a real API server', () => {
  let ns: string;
  let clients: KubeClients;
  let jobs: Informer<V1Job> & ObjectCache<V1Job>;
  let pods: Informer<V1Pod> & ObjectCache<V1Pod>;
  const runners: JobCheckRunner[] = [];

  const checker = (spec: Partial<StateChecker['spec']> = {}): StateChecker => ({
    apiVersion: 'homeostat.dev/v1alpha1',
    kind: 'StateChecker',
    metadata: { name: 'files', namespace: ns },
    spec: { mode: 'Job', image: 'example/check-files:1', args: ['--bucket', '{{bucket}}'], env: [{ name: 'REGION', value: 'eu' }], serviceAccountName: 'checker', ...spec },
  });

  const request = (timeoutMs = 30_000): CheckRequest => ({
    checker: { namespace: ns, name: 'files' },
    owner: { kind: 'Expectation', namespace: ns, name: 'clicks' },
    params: { bucket: 'raw', path: 'clicks/{{date}}.csv' },
    items: ['2026-11-18', '2026-11-19', '2026-11-20'].map((date, i) => ({ node: `n${i + 1}`, partition: `date=${date}`, values: { date } })),
    timeoutMs,
  });

  /** A runner and the answers it gave. */
  function newRunner(spec: Partial<StateChecker['spec']> = {}, options: Partial<JobCheckRunnerOptions> = {}) {
    const answers: CheckAnswer[] = [];
    const runner = new JobCheckRunner({
      batch: clients.batch,
      core: clients.core,
      jobs,
      pods,
      checkerOf: (ref) => (ref.name === 'files' ? checker(spec) : undefined),
      uidOf: () => undefined,
      log: silentLogger(),
      ...options,
    });
    runner.onAnswer((a) => answers.push(a));
    runners.push(runner);
    return { runner, answers };
  }

  const answered = (answers: CheckAnswer[]) =>
    eventually(async () => {
      if (answers.length === 0) throw new Error('no answer yet');
      return answers[0] as CheckAnswer;
    }, 15_000);

  /** The one checker Job the runner waits for now. */
  const waitedJob = async (runner: JobCheckRunner): Promise<V1Job> => {
    const [key] = runner.waitingFor();
    if (key === undefined) throw new Error('the runner waits for no Job');
    const [namespace, name] = key.split('/') as [string, string];
    return clients.batch.readNamespacedJob({ name, namespace });
  };

  /** Plays the kubelet: a Pod of the Job whose checker container terminated with `message`. */
  async function terminatedPod(job: V1Job, message: string, exitCode = 0) {
    const name = `${job.metadata?.name}-pod`;
    await clients.core.createNamespacedPod({
      namespace: ns,
      body: { metadata: { name, labels: job.spec?.template.metadata?.labels ?? {} }, spec: { restartPolicy: 'Never', containers: [{ name: CHECKER_CONTAINER, image: 'example/check-files:1' }] } },
    });
    const terminated = { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', message, startedAt: now(), finishedAt: now() };
    await clients.core.patchNamespacedPodStatus(
      {
        name,
        namespace: ns,
        body: { status: { phase: exitCode === 0 ? 'Succeeded' : 'Failed', containerStatuses: [{ name: CHECKER_CONTAINER, image: 'example/check-files:1', imageID: '', ready: false, restartCount: 0, state: { terminated } }] } },
      },
      mergePatch(),
    );
  }

  beforeAll(async () => {
    ns = await createNamespace('checks');
    clients = fromConfig(cluster().kubeConfig);
    jobs = jobInformer(clients, 'checker', ns);
    pods = checkerPodInformer(clients, ns);
    await Promise.all([jobs.start(), pods.start()]);
  });

  afterAll(async () => {
    for (const runner of runners) runner.stop();
    await Promise.all([jobs?.stop(), pods?.stop()]);
  });

  it('runs the checker as a Job: image, args, env, service account, the request in HOMEOSTAT_REQUEST', async () => {
    const { runner } = newRunner();
    await runner.request(request());
    const job = await waitedJob(runner);
    expect(job.metadata?.name).toMatch(/^clicks-check-[0-9a-z]{7}$/);
    expect(job.metadata?.labels).toEqual({
      'app.kubernetes.io/managed-by': 'homeostat',
      'homeostat.dev/role': 'checker',
      'homeostat.dev/owner-kind': 'Expectation',
      'homeostat.dev/owner': 'clicks',
      'homeostat.dev/checker': 'files',
    });
    expect(job.spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 30, ttlSecondsAfterFinished: 3600 });
    const pod = job.spec?.template;
    expect(pod?.metadata?.labels).toMatchObject({ 'homeostat.dev/role': 'checker', 'homeostat.dev/job': job.metadata?.name });
    expect(pod?.spec).toMatchObject({ restartPolicy: 'Never', serviceAccountName: 'checker' });
    const container = pod?.spec?.containers[0];
    expect(container).toMatchObject({ name: 'checker', image: 'example/check-files:1', args: ['--bucket', 'raw'], terminationMessagePolicy: 'FallbackToLogsOnError' });
    const env = Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value]));
    expect(env.REGION).toBe('eu');
    expect(env.HOMEOSTAT_EXPECTATION).toBe(`${ns}/clicks`);
    expect(JSON.parse(env.HOMEOSTAT_REQUEST as string)).toEqual({
      expectation: { namespace: ns, name: 'clicks' },
      params: { bucket: 'raw', path: 'clicks/{{date}}.csv' },
      partitions: [
        { key: 'date=2026-11-18', values: { date: '2026-11-18' }, params: { bucket: 'raw', path: 'clicks/2026-11-18.csv' } },
        { key: 'date=2026-11-19', values: { date: '2026-11-19' }, params: { bucket: 'raw', path: 'clicks/2026-11-19.csv' } },
        { key: 'date=2026-11-20', values: { date: '2026-11-20' }, params: { bucket: 'raw', path: 'clicks/2026-11-20.csv' } },
      ],
    });
  });

  it('runs the checker Pod under the restricted settings, with no API token unless the checker asks for one', async () => {
    const plain = newRunner();
    await plain.runner.request(request());
    const pod = (await waitedJob(plain.runner)).spec?.template.spec;
    expect(pod?.automountServiceAccountToken).toBe(false);
    expect(pod?.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod?.containers[0]?.securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });

    const reader = newRunner({ automountServiceAccountToken: true });
    // Another owner, so its Job has a name of its own.
    await reader.runner.request({ ...request(), owner: { kind: 'Expectation', namespace: ns, name: 'reads-api' } });
    expect((await waitedJob(reader.runner)).spec?.template.spec?.automountServiceAccountToken).toBe(true);
  });

  it('a checker Job whose Pod carries a compact verdict answers each node, once', async () => {
    const { runner, answers } = newRunner();
    const req = request();
    await runner.request(req);
    const job = await waitedJob(runner);
    await terminatedPod(job, 'h1 3 rsux\n2 clicks/2026-11-20.csv is gone');
    await cluster().completeJob(job.metadata?.name as string, ns, true);
    expect(await answered(answers)).toEqual({
      request: req,
      verdicts: [
        { node: 'n1', verdict: 'satisfied' },
        { node: 'n2', verdict: 'unsatisfied' },
        { node: 'n3', verdict: 'unrecoverable', message: 'clicks/2026-11-20.csv is gone' },
      ],
      unanswered: [],
    });
    // The Job vanishing afterwards (its TTL) is no second answer.
    await clients.batch.deleteNamespacedJob({ name: job.metadata?.name as string, namespace: ns, propagationPolicy: 'Background' });
    await sleep(500);
    expect(answers).toHaveLength(1);
    expect(runner.waitingFor()).toEqual([]);
  });

  it('reads the Pod from the API when there is no Pod informer, and leaves unanswered partitions unknown', async () => {
    const { runner, answers } = newRunner({}, { pods: undefined });
    await runner.request(request());
    const job = await waitedJob(runner);
    await terminatedPod(job, 'h1 3 rs?2');
    await cluster().completeJob(job.metadata?.name as string, ns, true);
    expect(await answered(answers)).toMatchObject({ verdicts: [{ node: 'n1', verdict: 'satisfied' }], unanswered: ['n2', 'n3'] });
  });

  it.each([
    ['a malformed verdict', 'all good', 'malformed compact verdict: the first line must be'],
    ['a verdict for another batch', 'h1 2 rs2', 'malformed compact verdict: it answers 2 partitions, 3 were asked'],
    ['no verdict at all', '', 'the checker wrote no verdict to its termination message'],
  ])('%s fails the batch as CheckerFailed', async (_name, message, expected) => {
    const { runner, answers } = newRunner();
    await runner.request(request());
    const job = await waitedJob(runner);
    await terminatedPod(job, message);
    await cluster().completeJob(job.metadata?.name as string, ns, true);
    const answer = await answered(answers);
    expect(answer).toMatchObject({ failure: { reason: 'CheckerFailed', message: expect.stringContaining(expected) } });
  });

  it('a completed Job without a Pod fails the batch as CheckerFailed', async () => {
    const { runner, answers } = newRunner();
    await runner.request(request());
    const job = await waitedJob(runner);
    await cluster().completeJob(job.metadata?.name as string, ns, true);
    expect(await answered(answers)).toMatchObject({ failure: { reason: 'CheckerFailed', message: `the checker Job ${job.metadata?.name} completed but no terminated checker container was found` } });
  });

  it('a failed Job fails the batch as CheckerFailed, with its condition and the end of the log', async () => {
    const { runner, answers } = newRunner();
    await runner.request(request());
    const job = await waitedJob(runner);
    await terminatedPod(job, 'Error: AccessDenied on s3://raw', 1);
    await cluster().completeJob(job.metadata?.name as string, ns, false);
    expect(await answered(answers)).toMatchObject({
      failure: { reason: 'CheckerFailed', message: `the checker Job ${job.metadata?.name} failed (BackoffLimitExceeded): Error: AccessDenied on s3://raw` },
    });
  });

  it('no answer within the timeout is CheckerTimeout, and the Job is deleted', async () => {
    const { runner, answers } = newRunner();
    await runner.request(request(1500));
    const job = await waitedJob(runner);
    const name = job.metadata?.name as string;
    expect(await answered(answers)).toMatchObject({ failure: { reason: 'CheckerTimeout', message: `the checker Job ${name} did not finish within 1.5s` } });
    await eventually(async () => expect(await clients.batch.readNamespacedJob({ name, namespace: ns }).then(() => 200, statusOf)).toBe(404), 5000);
    expect(answers).toHaveLength(1);
  });

  it.each([
    ['a request too large for the environment', {}, { maxRequestBytes: 100 }, 'bytes, more than the 100 a checker Job can carry; lower StateChecker files\'s batchSize'],
    ['a checker without an image', { image: undefined, command: ['check'] }, {}, 'StateChecker files has no image'],
    ['an Http checker', { mode: 'Http' as const, url: 'http://x' }, {}, 'StateChecker files is an Http checker, not a Job checker'],
    ['an arg naming no param', { args: ['{{region}}'] }, {}, 'StateChecker files: args[0]: {{region}} names no value'],
    // Three partitions, one command line: a per-partition value cannot be there, and the message says what to do.
    ['an arg naming a partition value, in a batch of three', { args: ['{{date}}'] }, {}, "args[0]: {{date}} names no value (known: bucket); a request of several partitions has one command line, so args and command may name only params that are the same for every partition: set the StateChecker's batchSize to 1"],
    ['an arg naming a per-partition param, in a batch of three', { args: ['{{path}}'] }, {}, 'args[0]: {{path}} names no value (known: bucket); a request of several partitions'],
  ])('%s fails the batch as CheckerFailed without creating a Job', async (_name, spec, options, message) => {
    const { runner, answers } = newRunner(spec, options);
    await runner.request(request());
    expect(await answered(answers)).toMatchObject({ failure: { reason: 'CheckerFailed', message: expect.stringContaining(message) } });
    expect(runner.waitingFor()).toEqual([]);
  });

  it('a request of one partition renders its values and its rendered params into args', async () => {
    const { runner } = newRunner({ args: ['--path', '{{path}}', '--date', '{{date}}', '--bucket', '{{bucket}}'] });
    const one = request();
    await runner.request({ ...one, items: one.items.slice(1, 2) });
    const job = await waitedJob(runner);
    expect(job.spec?.template.spec?.containers[0]?.args).toEqual(['--path', 'clicks/2026-11-19.csv', '--date', '2026-11-19', '--bucket', 'raw']);
  });

  it('a missing StateChecker fails the batch as CheckerFailed', async () => {
    const { runner, answers } = newRunner();
    await runner.request({ ...request(), checker: { namespace: ns, name: 'gone' } });
    expect(await answered(answers)).toMatchObject({ failure: { reason: 'CheckerFailed', message: `StateChecker ${ns}/gone does not exist` } });
  });
});
