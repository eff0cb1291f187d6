// JobActionRunner against a real API server. The tests play the job controller: they write Job
// status (completeJob, failJob); nothing runs Pods and owner references never cascade.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Informer, ObjectCache, V1Job } from '@kubernetes/client-node';
import { actionName, fnv1a } from '../../src/engine/actionNames.js';
import type { ActionLaunch, Lease } from '../../src/engine/index.js';
import { fromConfig, type KubeClients, mergePatch, resourceOf, statusOf } from '../../src/kube/client.js';
import { actionJob, JobActionRunner } from '../../src/kube/jobActionRunner.js';
import { jobInformer } from '../../src/kube/jobWatcher.js';
import { labelValue, ownerOfNode, selectorOf } from '../../src/kube/labels.js';
import { silentLogger } from '../../src/runtime/log.js';
import type { ActionEnd } from '../../src/runtime/ports.js';
import { cluster, createNamespace, describeIntegration, eventually, installCrds, must } from './harness/cluster.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

const TEMPLATE = {
  metadata: { labels: { team: 'ads' } },
  spec: {
    containers: [
      {
        name: 'load',
        image: 'example/load:1',
        command: ['load'],
        args: ['--date', '{{date}}', '--note', '{{date}}; rm -rf /'],
        env: [
          { name: 'DAY', value: 'day {{date}}' },
          { name: 'HOMEOSTAT_NODE', value: 'spoofed' },
          { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'creds', key: 'token' } } },
        ],
      },
    ],
  },
};

describeIntegration('JobActionRunner against a real API server', () => {
  let ns: string;
  let clients: KubeClients;
  let informer: Informer<V1Job> & ObjectCache<V1Job>;
  let ownerUid: string;
  const runners: { runner: JobActionRunner; ends: ActionEnd[] }[] = [];
  let day = 0;

  /** A runner with its own list of reported ends (a restart is a new runner). */
  const newRunner = () => {
    const ends: ActionEnd[] = [];
    const runner = new JobActionRunner({ batch: clients.batch, jobs: informer, uidOf: (o) => (o.name === 'clicks' ? ownerUid : undefined), log: silentLogger() });
    runner.onEnded((end) => ends.push(end));
    runners.push({ runner, ends });
    return { runner, ends };
  };

  /** A launch for a partition of its own (one per test), attempt 1. */
  const newLaunch = (overrides: Partial<ActionLaunch> = {}): ActionLaunch => {
    const date = `2026-11-${String(++day).padStart(2, '0')}`;
    const partition = `date=${date}`;
    const node = `Expectation/${ns}/clicks|${partition}`;
    const acquiredAt = Date.now();
    const lease: Lease = { node, attempt: 1, holder: 'test', action: actionName('clicks', undefined, node, 1, acquiredAt), acquiredAt, expiresAt: acquiredAt + 600_000 };
    return { node, owner: { kind: 'Expectation', namespace: ns, name: 'clicks' }, partition, lease, action: { kind: 'job', template: TEMPLATE }, values: { date }, deadlineSeconds: 600, ...overrides };
  };

  const readJob = (name: string) => clients.batch.readNamespacedJob({ name, namespace: ns });
  const jobsOf = async (launch: ActionLaunch) =>
    (await clients.batch.listNamespacedJob({ namespace: ns, labelSelector: `${selectorOf('action')},homeostat.dev/node-hash=${fnv1a(launch.node)}` })).items;
  const endsFor = async (ends: ActionEnd[], action: string, count = 1) =>
    eventually(async () => {
      const mine = ends.filter((e) => e.action === action);
      if (mine.length < count) throw new Error(`waiting for ${count} end(s) of ${action}`);
      return mine;
    }, 10_000);

  /** Fails a Job as the job controller does when its deadline passes. */
  async function failJob(name: string, reason: string, message: string) {
    const patch = (status: Record<string, unknown>) => clients.batch.patchNamespacedJobStatus({ name, namespace: ns, body: { status } }, mergePatch());
    await patch({ startTime: now(), active: 1 });
    const condition = (type: string) => ({ type, status: 'True', reason, message, lastTransitionTime: now() });
    await patch({ conditions: [condition('FailureTarget')] });
    await patch({ active: 0, failed: 1, conditions: [condition('FailureTarget'), condition('Failed')] });
  }

  beforeAll(async () => {
    ns = await createNamespace('actions');
    clients = fromConfig(cluster().kubeConfig);
    await installCrds();
    await must(
      cluster().kubectl(['apply', '-n', ns, '-f', '-'], {
        input: `apiVersion: homeostat.dev/v1alpha1
kind: Expectation
metadata: {name: clicks}
spec:
  partitions: {date: {values: ["2026-11-01"]}}
  checker: {ref: files}
  action: {job: {template: {spec: {containers: [{name: load, image: example/load:1}]}}}}
`,
      }),
    );
    const expectation = (await clients.custom.getNamespacedCustomObject({ ...resourceOf('expectations', ns), name: 'clicks' })) as { metadata: { uid: string } };
    ownerUid = expectation.metadata.uid;
    informer = jobInformer(clients, 'action', ns);
    await informer.start();
  });

  afterAll(async () => {
    await informer?.stop();
  });

  it('a launch creates one Job: named by the lease, labelled, owned, bounded, with values substituted whole', async () => {
    const { runner, ends } = newRunner();
    const launch = newLaunch();
    await runner.launch(launch);
    const jobs = await jobsOf(launch);
    expect(jobs.map((j) => j.metadata?.name)).toEqual([launch.lease.action]);
    const job = await readJob(launch.lease.action);
    const date = launch.values.date as string;
    expect(job.metadata?.labels).toEqual({
      'app.kubernetes.io/managed-by': 'homeostat',
      'homeostat.dev/role': 'action',
      'homeostat.dev/owner-kind': 'Expectation',
      'homeostat.dev/owner': 'clicks',
      'homeostat.dev/node-hash': fnv1a(launch.node),
    });
    expect(job.metadata?.annotations).toEqual({
      'homeostat.dev/node': launch.node,
      'homeostat.dev/partition': launch.partition,
      'homeostat.dev/attempt': '1',
      'homeostat.dev/lease-expires-at': new Date(launch.lease.expiresAt).toISOString(),
      'homeostat.dev/owner': 'clicks',
    });
    expect(job.metadata?.ownerReferences).toEqual([{ apiVersion: 'homeostat.dev/v1alpha1', kind: 'Expectation', name: 'clicks', uid: ownerUid, controller: true }]);
    expect(job.spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 600, ttlSecondsAfterFinished: 86_400 });
    const pod = job.spec?.template;
    expect(pod?.metadata?.labels).toMatchObject({ team: 'ads', 'homeostat.dev/role': 'action', 'homeostat.dev/job': launch.lease.action });
    expect(pod?.spec?.restartPolicy).toBe('Never');
    // The restricted Pod Security profile's settings, filled in where the template says nothing.
    expect(pod?.spec?.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    const container = pod?.spec?.containers[0];
    expect(container?.securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(container?.command).toEqual(['load']);
    expect(container?.args).toEqual(['--date', date, '--note', `${date}; rm -rf /`]);
    expect(container?.env).toEqual([
      { name: 'DAY', value: `day ${date}` },
      { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'creds', key: 'token' } } },
      { name: 'HOMEOSTAT_VALUE_DATE', value: date },
      { name: 'HOMEOSTAT_NODE', value: launch.node },
      { name: 'HOMEOSTAT_PARTITION', value: launch.partition },
      { name: 'HOMEOSTAT_ATTEMPT', value: '1' },
      { name: 'HOMEOSTAT_ACTION', value: launch.lease.action },
    ]);
    expect(runner.runningActions()).toEqual([`${ns}/${launch.lease.action}`]);
    expect(ends).toEqual([]);
  });

  it('launching twice, or again after a restart, creates one Job and adopts it', async () => {
    const first = newRunner();
    const launch = newLaunch();
    await first.runner.launch(launch);
    await first.runner.launch(launch);
    const restarted = newRunner();
    await restarted.runner.launch(launch); // 409 AlreadyExists: adopted
    expect(await jobsOf(launch)).toHaveLength(1);
    expect(restarted.runner.runningActions()).toEqual([`${ns}/${launch.lease.action}`]);
    await cluster().completeJob(launch.lease.action, ns, true);
    expect(await endsFor(restarted.ends, launch.lease.action)).toMatchObject([{ outcome: 'succeeded' }]);
  });

  it('a completed Job is reported succeeded, once; launching it again does nothing', async () => {
    const { runner, ends } = newRunner();
    const launch = newLaunch();
    await runner.launch(launch);
    await cluster().completeJob(launch.lease.action, ns, true);
    expect(await endsFor(ends, launch.lease.action)).toEqual([{ node: launch.node, attempt: 1, action: launch.lease.action, outcome: 'succeeded', message: `Job ${launch.lease.action} completed` }]);
    // More events about it (a label change, a relist) say nothing new.
    await clients.batch.patchNamespacedJob({ name: launch.lease.action, namespace: ns, body: { metadata: { labels: { touched: 'yes' } } } }, mergePatch());
    await runner.launch(launch);
    await sleep(500);
    expect(ends).toHaveLength(1);
    expect(await jobsOf(launch)).toHaveLength(1);
  });

  it('a failed Job is reported failed with the reason and message of its condition', async () => {
    const { runner, ends } = newRunner();
    const launch = newLaunch();
    await runner.launch(launch);
    await failJob(launch.lease.action, 'DeadlineExceeded', 'Job was active longer than specified deadline');
    expect(await endsFor(ends, launch.lease.action)).toMatchObject([{ outcome: 'failed', message: 'DeadlineExceeded: Job was active longer than specified deadline' }]);
  });

  it('cancel deletes the Job (in the background) and reports it failed; cancelling again does nothing', async () => {
    const { runner, ends } = newRunner();
    const launch = newLaunch();
    await runner.launch(launch);
    const cancel = { node: launch.node, owner: launch.owner, action: launch.lease.action, reason: 'the lease expired' };
    await runner.cancel(cancel);
    expect(await readJob(launch.lease.action).then(() => 200, statusOf)).toBe(404);
    expect(await endsFor(ends, launch.lease.action)).toMatchObject([{ outcome: 'failed', message: 'cancelled: the lease expired' }]);
    await runner.cancel(cancel);
    await sleep(300);
    expect(ends).toHaveLength(1);
  });

  it('cancelling a DagRun action (no Job of its own) does nothing', async () => {
    const { runner, ends } = newRunner();
    await runner.cancel({ node: `Expectation/${ns}/clicks|x`, owner: { kind: 'Expectation', namespace: ns, name: 'clicks' }, action: 'run:ingest', reason: 'narrowed' });
    expect(ends).toEqual([]);
  });

  it('a Job deleted before it finished is lost', async () => {
    const { runner, ends } = newRunner();
    const launch = newLaunch();
    await runner.launch(launch);
    await eventually(async () => expect(informer.get(launch.lease.action, ns)).toBeDefined());
    await clients.batch.deleteNamespacedJob({ name: launch.lease.action, namespace: ns, propagationPolicy: 'Background' });
    expect(await endsFor(ends, launch.lease.action)).toMatchObject([{ outcome: 'lost', message: `Job ${launch.lease.action} was deleted before it finished` }]);
  });

  it('adopt reports notStarted for a missing Job, reports a finished one, follows a running one, and never creates', async () => {
    const before = newRunner();
    const running = newLaunch();
    const finished = newLaunch();
    const missing = newLaunch();
    await before.runner.launch(running);
    await before.runner.launch(finished);
    await cluster().completeJob(finished.lease.action, ns, true);
    await endsFor(before.ends, finished.lease.action);

    const after = newRunner();
    await after.runner.adopt([running.lease, finished.lease, missing.lease]);
    expect(await endsFor(after.ends, missing.lease.action)).toMatchObject([{ node: missing.node, outcome: 'notStarted', message: `no Job ${missing.lease.action} exists in ${ns}` }]);
    expect(await endsFor(after.ends, finished.lease.action)).toMatchObject([{ outcome: 'succeeded' }]);
    expect(after.runner.runningActions()).toEqual([`${ns}/${running.lease.action}`]);
    expect(await jobsOf(missing)).toEqual([]);

    await cluster().completeJob(running.lease.action, ns, false);
    expect(await endsFor(after.ends, running.lease.action)).toMatchObject([{ outcome: 'failed', message: 'BackoffLimitExceeded' }]);
    expect(after.ends).toHaveLength(3);
  });

  it('a Job of the same name that is not the lease\'s is not adopted', async () => {
    const { runner, ends } = newRunner();
    const launch = newLaunch();
    await clients.batch.createNamespacedJob({ namespace: ns, body: { metadata: { name: launch.lease.action }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'x', image: 'x' }] } } } } });
    await runner.launch(launch);
    expect(await endsFor(ends, launch.lease.action)).toMatchObject([{ outcome: 'failed', message: expect.stringContaining('JobNameTaken') }]);
  });

  it.each([
    ['a placeholder naming no value', { spec: { containers: [{ name: 'load', image: 'x', args: ['{{day}}'] }] } }, 'TemplateError: containers[0].args[0]: {{day}} names no value (known: date)'],
    ['no container', { spec: {} }, 'TemplateError: the Job template has no container'],
    ['a container the API server refuses', { spec: { containers: [{ name: 'Not_A_Name', image: 'x' }] } }, 'InvalidJob: HTTP 422 Invalid'],
  ])('a template with %s is reported failed, and no Job is left', async (_name, template, message) => {
    const { runner, ends } = newRunner();
    const launch = newLaunch({ action: { kind: 'job', template } });
    await runner.launch(launch);
    expect(await endsFor(ends, launch.lease.action)).toMatchObject([{ outcome: 'failed', message: expect.stringContaining(message) }]);
    expect(await jobsOf(launch)).toEqual([]);
  });

  it('keeps a pod securityContext the template sets, with the restricted defaults beside it', async () => {
    const { runner } = newRunner();
    const launch = newLaunch({ action: { kind: 'job', template: { spec: { securityContext: { runAsUser: 1000 }, containers: [{ name: 'load', image: 'x' }] } } } });
    await runner.launch(launch);
    expect((await readJob(launch.lease.action)).spec?.template.spec?.securityContext).toEqual({ runAsUser: 1000, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
  });

  it('a launch whose owner uid is not known yet rejects (the reconciler retries it)', async () => {
    const { runner } = newRunner();
    const launch = newLaunch({ owner: { kind: 'Expectation', namespace: ns, name: 'unknown' } });
    await expect(runner.launch(launch)).rejects.toThrow(`the uid of Expectation ${ns}/unknown is not known yet`);
    expect(await jobsOf(launch)).toEqual([]);
  });
});

describe('action Job names and labels', () => {
  it.each([
    ['a name that is a label value', 'clicks', 'clicks'],
    ['a long name: cut, with a hash', 'a'.repeat(100), `${'a'.repeat(55)}-${fnv1a('a'.repeat(100))}`],
    ['characters a label cannot hold', 'Expectation/ns/x|date=1', `Expectation-ns-x-date-1-${fnv1a('Expectation/ns/x|date=1')}`],
  ])('labelValue: %s', (_name, text, value) => {
    expect(labelValue(text)).toBe(value);
    expect(labelValue(text).length).toBeLessThanOrEqual(63);
  });

  it('ownerOfNode reads the owner of an Expectation partition and of a Dag task', () => {
    expect(ownerOfNode('Expectation/ns/clicks|date=2026-11-18')).toEqual({ kind: 'Expectation', namespace: 'ns', name: 'clicks' });
    expect(ownerOfNode('Dag/ns/ingest|load|2026-11-18')).toEqual({ kind: 'Dag', namespace: 'ns', name: 'ingest' });
    expect(ownerOfNode('n1')).toBeUndefined();
  });

  it('a Dag task gets a task label', () => {
    const launch: ActionLaunch = {
      node: 'Dag/ns/ingest|load|2026-11-18',
      owner: { kind: 'Dag', namespace: 'ns', name: 'ingest' },
      partition: '2026-11-18',
      task: 'load',
      lease: { node: 'Dag/ns/ingest|load|2026-11-18', attempt: 2, holder: 'h', action: 'ingest-load-abc-2', acquiredAt: 0, expiresAt: 1000 },
      action: { kind: 'job', template: TEMPLATE },
      values: { date: '2026-11-18' },
      deadlineSeconds: 1,
    };
    const job = actionJob(launch, 'uid-1', 60);
    expect(job.ok && job.value.metadata?.labels).toMatchObject({ 'homeostat.dev/owner-kind': 'Dag', 'homeostat.dev/owner': 'ingest', 'homeostat.dev/task': 'load' });
  });
});
