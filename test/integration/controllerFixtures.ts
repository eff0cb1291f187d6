// What the controller's integration tests share: the controller run in-process against the
// harness's API server (scoped to the test file's namespace), and the test playing the kubelet:
// it answers checker Jobs (a Pod whose checker container terminated with the verdict, then the
// Job completed) and completes or fails action Jobs.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Job } from '@kubernetes/client-node';
import { fromConfig, type KubeClients, mergePatch } from '../../src/kube/client.js';
import { type Controller, type ControllerOptions, startController } from '../../src/kube/controller.js';
import { CHECKER_CONTAINER } from '../../src/kube/jobCheckRunner.js';
import { createLogger } from '../../src/runtime/log.js';
import { cluster, eventually, must } from './harness/cluster.js';

export type State = 'satisfied' | 'unsatisfied' | 'unrecoverable';

const stamp = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/** A test file's view of the cluster, in its namespace. */
export class Scene {
  readonly clients: KubeClients;
  readonly logFile: string;
  private readonly answered = new Set<string>();
  private readonly controllers: Controller[] = [];

  constructor(readonly ns: string) {
    this.clients = fromConfig(cluster().kubeConfig);
    this.logFile = join(tmpdir(), `homeostat-controller-${ns}.log`);
  }

  /** Starts a controller for this namespace; its log (debug) goes to `logFile`. */
  async start(options: Partial<ControllerOptions> = {}): Promise<Controller> {
    const controller = await startController({
      clients: this.clients,
      log: createLogger({ level: 'debug', destination: this.logFile, name: 'controller' }),
      namespaces: [this.ns],
      holder: `test-${this.controllers.length}`,
      retryInitialMs: 100,
      retryMaxMs: 1_000,
      // Short, but the path taken: the tests apply a Dag's DagDependency before the Dag.
      newDagGraceMs: 300,
      ...options,
    });
    this.controllers.push(controller);
    return controller;
  }

  async stopAll(): Promise<void> {
    for (const c of this.controllers.splice(0)) await c.stop(5_000);
  }

  kubectl(args: string[], input?: string) {
    return must(cluster().kubectl(['-n', this.ns, ...args], input !== undefined ? { input } : {}));
  }

  apply(yaml: string) {
    return this.kubectl(['apply', '-f', '-'], yaml);
  }

  /** `kubectl get KIND NAME -o json`, parsed. */
  async get<T = { metadata: { resourceVersion: string }; status?: Record<string, unknown> }>(kind: string, name: string): Promise<T> {
    return JSON.parse((await this.kubectl(['get', kind, name, '-o', 'json'])).stdout) as T;
  }

  async status(name: string, kind = 'exp'): Promise<Record<string, unknown>> {
    return (await this.get(kind, name)).status ?? {};
  }

  /** Waits until the Expectation's (or another kind's) status matches `check` (which throws until it does). */
  async until(name: string, check: (status: Record<string, unknown>) => void, timeoutMs = 20_000, kind = 'exp'): Promise<Record<string, unknown>> {
    return eventually(async () => {
      const status = await this.status(name, kind);
      check(status);
      return status;
    }, timeoutMs);
  }

  async jobs(role: 'action' | 'checker'): Promise<V1Job[]> {
    const list = await this.clients.batch.listNamespacedJob({ namespace: this.ns, labelSelector: `homeostat.dev/role=${role}` });
    return list.items;
  }

  /** Checker Jobs not answered yet. */
  async pendingChecks(): Promise<V1Job[]> {
    return (await this.jobs('checker')).filter((j) => !this.answered.has(j.metadata?.name ?? '') && !ended(j));
  }

  /**
   * Answers every pending checker Job (waits for at least one): the verdict of each partition
   * asked is `verdict(key)`. Returns the partition keys answered.
   */
  async answerChecks(verdict: (key: string) => State | undefined, timeoutMs = 15_000): Promise<string[]> {
    const jobs = await eventually(async () => {
      const pending = await this.pendingChecks();
      if (pending.length === 0) throw new Error('no checker Job to answer');
      return pending;
    }, timeoutMs);
    return this.answerAll(jobs, verdict);
  }

  /**
   * Answers the checker Jobs pending now, if any (none is no failure): for a loop that waits on the
   * status, where the check answered in an earlier round may just not be in the status yet.
   */
  async answerPendingChecks(verdict: (key: string) => State | undefined): Promise<string[]> {
    return this.answerAll(await this.pendingChecks(), verdict);
  }

  private async answerAll(jobs: V1Job[], verdict: (key: string) => State | undefined): Promise<string[]> {
    const keys: string[] = [];
    for (const job of jobs) keys.push(...(await this.answer(job, verdict)));
    return keys;
  }

  private async answer(job: V1Job, verdict: (key: string) => State | undefined): Promise<string[]> {
    const name = job.metadata?.name ?? '';
    this.answered.add(name);
    const container = job.spec?.template.spec?.containers[0];
    const request = JSON.parse(container?.env?.find((e) => e.name === 'HOMEOSTAT_REQUEST')?.value ?? '{}') as { partitions: { key: string }[] };
    const keys = request.partitions.map((p) => p.key);
    const results = keys.flatMap((key) => {
      const state = verdict(key);
      return state === undefined ? [] : [{ key, state }];
    });
    const pod = `${name}-pod`;
    await this.clients.core.createNamespacedPod({
      namespace: this.ns,
      // The Pod the job controller would make: its template's spec (so Pod Security admission judges it too).
      body: { metadata: { name: pod, labels: job.spec?.template.metadata?.labels ?? {} }, spec: job.spec?.template.spec ?? { restartPolicy: 'Never', containers: [{ name: CHECKER_CONTAINER, image: container?.image ?? 'x' }] } },
    });
    const terminated = { exitCode: 0, reason: 'Completed', message: JSON.stringify({ results }), startedAt: stamp(), finishedAt: stamp() };
    await this.clients.core.patchNamespacedPodStatus(
      { name: pod, namespace: this.ns, body: { status: { phase: 'Succeeded', containerStatuses: [{ name: CHECKER_CONTAINER, image: container?.image ?? 'x', imageID: '', ready: false, restartCount: 0, state: { terminated } }] } } },
      mergePatch(),
    );
    await cluster().completeJob(name, this.ns, true);
    return keys;
  }

  /** The action Jobs that have not ended, waiting until there are `count`. */
  async runningActions(count: number, timeoutMs = 15_000): Promise<V1Job[]> {
    return eventually(async () => {
      const running = (await this.jobs('action')).filter((j) => !ended(j) && j.metadata?.deletionTimestamp === undefined);
      if (running.length !== count) throw new Error(`${running.length} running action Jobs, not ${count}`);
      return running;
    }, timeoutMs);
  }

  /** Plays the job controller: the action Job succeeds or fails. */
  finishAction(job: V1Job, succeeded: boolean): Promise<void> {
    return cluster().completeJob(job.metadata?.name ?? '', this.ns, succeeded);
  }

  /** The Events about an object, oldest first: `type reason: note`. */
  async events(kind: string, name: string): Promise<string[]> {
    const list = await this.clients.events.listNamespacedEvent({ namespace: this.ns, fieldSelector: `regarding.kind=${kind},regarding.name=${name}` });
    return list.items
      .sort((a, b) => String(a.eventTime).localeCompare(String(b.eventTime)))
      .map((e) => `${e.type} ${e.reason}: ${e.note}`);
  }
}

export const ended = (job: V1Job): boolean => (job.status?.conditions ?? []).some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');

/** A Job-mode StateChecker named `files`. */
export const CHECKER = `apiVersion: homeostat.dev/v1alpha1
kind: StateChecker
metadata: {name: files}
spec: {mode: Job, image: example/check-files:1, timeout: 1m}
`;

/** An Expectation with a Job action; `extra` is more spec, as YAML flow mapping entries. */
export const expectation = (name: string, extra = ''): string => `apiVersion: homeostat.dev/v1alpha1
kind: Expectation
metadata: {name: ${name}}
spec:
  checker: {ref: files}
  action: {job: {template: {spec: {containers: [{name: build, image: example/build:1, args: ["--build"]}]}}}}
  retry: {limit: 1, backoff: {initial: 1s, max: 1s}}
${extra}`;

/** The conditions of a status, by type: `status/reason`. */
export const conditionsOf = (status: Record<string, unknown>): Record<string, string> =>
  Object.fromEntries(((status.conditions ?? []) as { type: string; status: string; reason: string }[]).map((c) => [c.type, `${c.status}/${c.reason}`]));

/**
 * What an action Job is for, read from the labels and annotations Homeostat writes on it
 * (src/kube/labels.ts): `owner/task@period` for a Dag task, `owner@partition` for an Expectation.
 */
export const actionTag = (job: V1Job): string => {
  const labels = job.metadata?.labels ?? {};
  const annotations = job.metadata?.annotations ?? {};
  const owner = annotations['homeostat.dev/owner'] ?? labels['homeostat.dev/owner'] ?? '?';
  const task = labels['homeostat.dev/task'];
  const partition = annotations['homeostat.dev/partition'] ?? '';
  return task !== undefined ? `${owner}/${task}@${partition}` : `${owner}@${partition}`;
};

/** Whether an action Job has neither ended nor is being deleted. */
export const runningJob = (job: V1Job): boolean => !ended(job) && job.metadata?.deletionTimestamp === undefined;

/** A Dag in the compact JSON shape of file-based loaders (the file's name, etl, names it): yesterday's period only. */
export const COMPACT_ETL = JSON.stringify({
  description: 'nightly load',
  every: 'P1D',
  start_date: new Date(Date.now() - 86_400_000).toISOString().slice(0, 10),
  nodes: [
    { id: 'extract', type: 'container', config: { image: 'example/extract:1' } },
    { id: 'load', type: 'container', config: { image: 'example/load:1' }, depends_on: ['extract'] },
  ],
  edges: [],
});
