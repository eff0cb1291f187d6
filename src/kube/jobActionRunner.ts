import type { BatchV1Api, V1Container, V1EnvVar, V1Job, V1PodSpec, V1VolumeMount } from '@kubernetes/client-node';
import type { Parsed } from '../api/duration.js';
import { API_VERSION } from '../api/schema/kind.js';
import { renderList, renderTemplate } from '../api/template.js';
import { fnv1a } from '../engine/actionNames.js';
import type { ActionCancel, ActionLaunch, Lease, OwnerRef } from '../engine/index.js';
import { valueVariable } from '../api/template.js';
import type { Logger } from '../runtime/log.js';
import type { ActionEnd, ActionRunner } from '../runtime/ports.js';
import { apiFailure, describeError, mergePatch, statusOf } from './client.js';
import { describeJobFailure, followJobs, jobEnd, keyOf, objectKey, type WatchedObjects } from './jobWatcher.js';
import { Annotation, Label, labelValue, ownerLabels, ownerOfNode } from './labels.js';
import { withRestrictedDefaults } from './podDefaults.js';
import { type ActionCallback, callbackPodParts } from './actionCallback.js';

export interface JobActionRunnerOptions {
  batch: BatchV1Api;
  /** Homeostat's action Jobs (an informer with selector `selectorOf('action')`, or wider). */
  jobs: WatchedObjects<V1Job>;
  /** The uid of an Expectation or Dag, for the Job's ownerReference; undefined when not known (yet). */
  uidOf: (owner: OwnerRef) => string | undefined;
  log: Logger;
  /** How long a finished Job (and its Pods and logs) is kept. Defaults to 86400 (1 day). */
  ttlSecondsAfterFinished?: number;
  /** Where an action renews its lease (POST /v1/leases/renew), given to it as HOMEOSTAT_LEASE_RENEW_URL. */
  leaseRenewUrl?: string;
  /** The PEM of the CA of the controller's certificate, given to actions as HOMEOSTAT_CA_CERT with the URL. */
  controllerCa?: string;
}

interface Followed {
  lease: Lease;
  namespace: string;
  /** Set by cancel(): the end to report is `failed` with this reason. */
  cancelled?: string;
}

const MAX_REMEMBERED = 10_000;
const JOB_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Runs each action as a batch/v1 Job named `lease.action`, in the owner's namespace, from the
 * action's pod template (see `actionJob`). The Job is the action: Homeostat retries, so the Job
 * never does (backoffLimit 0), and its activeDeadlineSeconds is the lease length. How it ended is
 * read from the Job informer: Complete is `succeeded`, Failed is `failed` with the condition's
 * reason and message (e.g. DeadlineExceeded), a Job deleted before it finished is `lost`.
 * The informer must be running before the first launch or adoption.
 */
export class JobActionRunner implements ActionRunner {
  private listener: (end: ActionEnd) => void = () => undefined;
  private readonly followed = new Map<string, Followed>();
  /** Actions that ended here, so a repeated launch does nothing (idempotent by name). */
  private readonly ended = new Set<string>();

  constructor(private readonly options: JobActionRunnerOptions) {
    followJobs(options.jobs, (job, deleted) => this.observe(job, deleted));
  }

  onEnded(listener: (end: ActionEnd) => void): void {
    this.listener = listener;
  }

  /** Keys (`namespace/name`) of the Jobs followed now. */
  runningActions(): string[] {
    return [...this.followed.keys()];
  }

  async launch(launch: ActionLaunch): Promise<void> {
    const { lease, owner } = launch;
    const key = keyOf(owner.namespace, lease.action);
    if (this.followed.has(key) || this.ended.has(key)) return;
    if (launch.action.kind !== 'job') return this.end(key, lease, 'failed', `the Kubernetes action runner cannot launch a ${launch.action.kind} action`);
    const uid = this.options.uidOf(owner);
    if (uid === undefined) throw new Error(`the uid of ${owner.kind} ${owner.namespace}/${owner.name} is not known yet`);
    const callback = this.options.leaseRenewUrl !== undefined ? { leaseRenewUrl: this.options.leaseRenewUrl, ...(this.options.controllerCa !== undefined ? { caPem: this.options.controllerCa } : {}) } : undefined;
    const job = actionJob(launch, uid, this.options.ttlSecondsAfterFinished ?? 86_400, callback);
    if (!job.ok) return this.end(key, lease, 'failed', `TemplateError: ${job.error}`);

    // Followed before it exists, so no informer event about it can be missed.
    this.followed.set(key, { lease, namespace: owner.namespace });
    try {
      await this.options.batch.createNamespacedJob({ namespace: owner.namespace, body: job.value });
      this.options.log.debug({ action: lease.action, namespace: owner.namespace }, 'action Job created');
    } catch (error) {
      const status = statusOf(error);
      if (status === 409) return this.adoptExisting(key, lease, owner.namespace);
      this.followed.delete(key);
      // The API server refused this Job for good (a bad template): retrying will not help.
      if (status === 400 || status === 422) return this.end(key, lease, 'failed', `InvalidJob: ${describeError(error)}`);
      throw apiFailure(error, { verb: 'create', resource: 'jobs.batch', namespace: owner.namespace }, `creating Job ${key}`);
    }
  }

  async cancel(cancel: ActionCancel): Promise<void> {
    // A DagRun action's lease (`run:<dag>`) has no Job of its own.
    if (!JOB_NAME.test(cancel.action)) return;
    const key = keyOf(cancel.owner.namespace, cancel.action);
    const followed = this.followed.get(key);
    if (followed !== undefined) followed.cancelled = cancel.reason;
    try {
      await this.options.batch.deleteNamespacedJob({ name: cancel.action, namespace: cancel.owner.namespace, propagationPolicy: 'Background' });
    } catch (error) {
      if (statusOf(error) !== 404) throw apiFailure(error, { verb: 'delete', resource: 'jobs.batch', namespace: cancel.owner.namespace }, `deleting Job ${key}`);
    }
    // Deleted (or already gone): nothing more will be heard of it that matters.
    if (this.followed.get(key) === followed && followed !== undefined) this.end(key, followed.lease, 'failed', `cancelled: ${cancel.reason}`);
  }

  /**
   * A renewed lease (a heartbeat): the Job's activeDeadlineSeconds, the lease length at launch,
   * becomes the renewed lease's length, so Kubernetes does not stop the action the heartbeat
   * keeps alive. Counted from the lease's start, which is before the Job's: never shorter.
   */
  async extend(lease: Lease, namespace: string): Promise<void> {
    // A DagRun action's lease (`run:<dag>`) has no Job of its own.
    if (!JOB_NAME.test(lease.action)) return;
    const activeDeadlineSeconds = Math.ceil((lease.expiresAt - lease.acquiredAt) / 1000);
    const body = { metadata: { annotations: { [Annotation.leaseExpiresAt]: new Date(lease.expiresAt).toISOString() } }, spec: { activeDeadlineSeconds } };
    try {
      await this.options.batch.patchNamespacedJob({ name: lease.action, namespace, body }, mergePatch());
    } catch (error) {
      throw new Error(`extending the deadline of Job ${keyOf(namespace, lease.action)} failed: ${describeError(error)}`);
    }
  }

  /**
   * Looks up each lease's Job (never creates one): a running Job is followed, a finished one is
   * reported, a missing one is `notStarted` (the controller stopped between saving the lease and
   * creating the Job; a Job deleted while nobody watched looks the same, and the engine checks
   * the state before it launches again). Rejects, after trying every lease, when some lookups failed.
   */
  async adopt(leases: readonly Lease[]): Promise<void> {
    const failures: string[] = [];
    for (const lease of leases) {
      try {
        await this.adoptOne(lease);
      } catch (error) {
        failures.push(`${lease.action}: ${describeError(error)}`);
      }
    }
    if (failures.length > 0) throw new Error(`adopting ${failures.length} of ${leases.length} actions failed: ${failures.slice(0, 5).join('; ')}`);
  }

  private async adoptOne(lease: Lease): Promise<void> {
    const namespace = ownerOfNode(lease.node)?.namespace ?? this.findNamespace(lease);
    if (namespace === undefined) return this.end(lease.action, lease, 'notStarted', `no Job ${lease.action} exists in any namespace`);
    const key = keyOf(namespace, lease.action);
    if (this.followed.has(key) || this.ended.has(key)) return;
    this.options.log.info({ action: lease.action, namespace }, 'adopting an action Job');
    await this.adoptExisting(key, lease, namespace);
  }

  /** Follows the Job of a lease that exists (or existed), and reports it if it already ended. */
  private async adoptExisting(key: string, lease: Lease, namespace: string): Promise<void> {
    this.followed.set(key, { lease, namespace });
    let job: V1Job;
    try {
      job = await this.options.batch.readNamespacedJob({ name: lease.action, namespace });
    } catch (error) {
      if (statusOf(error) === 404) return this.end(key, lease, 'notStarted', `no Job ${lease.action} exists in ${namespace}`);
      this.followed.delete(key);
      throw error;
    }
    const node = job.metadata?.annotations?.[Annotation.node];
    if (node !== lease.node) return this.end(key, lease, 'failed', `JobNameTaken: a Job named ${lease.action} exists in ${namespace} and is not this action's`);
    // The informer may have seen it end before we followed it: the cache says so.
    this.observe(this.options.jobs.get(lease.action, namespace) ?? job, false);
    this.observe(job, false);
  }

  /**
   * A lease's Job in any watched namespace, by its name and node-hash label (for node ids without
   * an owner). From the Job cache, not a cluster-wide list: a namespaced install may not list Jobs
   * outside its namespaces, and the cache holds every Job it watches.
   */
  private findNamespace(lease: Lease): string | undefined {
    const hash = fnv1a(lease.node);
    return this.options.jobs.list().find((j) => j.metadata?.name === lease.action && j.metadata.labels?.[Label.nodeHash] === hash)?.metadata?.namespace;
  }

  /** Informer handler: records how a followed Job ended and notifies. */
  private observe(job: V1Job, deleted: boolean): void {
    const key = objectKey(job);
    const followed = this.followed.get(key);
    if (followed === undefined) return;
    const end = jobEnd(job);
    if (end?.succeeded === true) return this.end(key, followed.lease, 'succeeded', `Job ${job.metadata?.name} completed`);
    if (end !== undefined) return this.end(key, followed.lease, 'failed', describeJobFailure(end));
    if (!deleted) return;
    if (followed.cancelled !== undefined) return this.end(key, followed.lease, 'failed', `cancelled: ${followed.cancelled}`);
    this.end(key, followed.lease, 'lost', `Job ${job.metadata?.name} was deleted before it finished`);
  }

  private end(key: string, lease: Lease, outcome: ActionEnd['outcome'], message: string): void {
    this.followed.delete(key);
    // A Job that never existed is not an end to remember: launching that name later must create it.
    if (outcome !== 'notStarted') this.ended.add(key);
    if (this.ended.size > MAX_REMEMBERED) this.ended.delete(this.ended.values().next().value as string);
    const end: ActionEnd = { node: lease.node, attempt: lease.attempt, action: lease.action, outcome, message };
    this.options.log.debug({ action: lease.action, outcome }, message);
    queueMicrotask(() => this.listener(end));
  }
}

// ---- rendering ------------------------------------------------------------------------------

interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: V1PodSpec;
}

/**
 * The Job of a launch. The action's pod template, with `{{key}}` placeholders in every
 * container's `command`, `args` and `env` values replaced by whole values (never through a
 * shell); HOMEOSTAT_NODE, HOMEOSTAT_PARTITION, HOMEOSTAT_ATTEMPT, HOMEOSTAT_ACTION and
 * HOMEOSTAT_VALUE_<KEY> (and HOMEOSTAT_LEASE_RENEW_URL when given) added to each container's env; restartPolicy Never; the
 * restricted Pod Security defaults where the template sets nothing (podDefaults.ts). Env entries
 * with `valueFrom` and `envFrom` pass through as written (the kubelet resolves them). The Job: backoffLimit 0,
 * activeDeadlineSeconds the lease length, ttlSecondsAfterFinished, an ownerReference to the
 * owner, Homeostat's labels (on the Pods too) and annotations.
 */
export function actionJob(launch: ActionLaunch, ownerUid: string, ttlSecondsAfterFinished: number, callback?: ActionCallback): Parsed<V1Job> {
  if (launch.action.kind !== 'job') return { ok: false, error: `a ${launch.action.kind} action is not a Job` };
  const { lease, owner } = launch;
  const template = launch.action.template as PodTemplate;
  const spec = template.spec;
  if (spec === undefined || !Array.isArray(spec.containers) || spec.containers.length === 0) return { ok: false, error: 'the Job template has no container' };

  const parts = callback !== undefined ? callbackPodParts(callback) : undefined;
  const env: V1EnvVar[] = [
    ...Object.entries(launch.values).map(([key, value]) => ({ name: valueVariable(key), value })),
    { name: 'HOMEOSTAT_NODE', value: launch.node },
    { name: 'HOMEOSTAT_PARTITION', value: launch.partition },
    { name: 'HOMEOSTAT_ATTEMPT', value: String(lease.attempt) },
    { name: 'HOMEOSTAT_ACTION', value: lease.action },
    ...(parts?.env ?? []),
  ];
  const containers = renderContainers(spec.containers, launch.values, env, 'containers', parts?.mount);
  if (!containers.ok) return containers;
  const initContainers = renderContainers(spec.initContainers ?? [], launch.values, env, 'initContainers', parts?.mount);
  if (!initContainers.ok) return initContainers;

  const labels: Record<string, string> = { ...ownerLabels(owner, 'action'), [Label.nodeHash]: fnv1a(launch.node) };
  if (launch.task !== undefined) labels[Label.task] = labelValue(launch.task);
  const annotations: Record<string, string> = {
    [Annotation.node]: launch.node,
    [Annotation.partition]: launch.partition,
    [Annotation.attempt]: String(lease.attempt),
    [Annotation.leaseExpiresAt]: new Date(lease.expiresAt).toISOString(),
    [Annotation.owner]: owner.name,
  };
  const podSpec: V1PodSpec = withRestrictedDefaults({
    ...spec,
    containers: containers.value,
    ...(initContainers.value.length > 0 ? { initContainers: initContainers.value } : {}),
    ...(parts !== undefined ? { volumes: [...(spec.volumes ?? []).filter((v) => v.name !== parts.volume.name), parts.volume] } : {}),
    restartPolicy: 'Never',
  });
  return {
    ok: true,
    value: {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: lease.action,
        namespace: owner.namespace,
        labels,
        annotations,
        ownerReferences: [{ apiVersion: API_VERSION, kind: owner.kind, name: owner.name, uid: ownerUid, controller: true }],
      },
      spec: {
        backoffLimit: 0,
        activeDeadlineSeconds: launch.deadlineSeconds,
        ttlSecondsAfterFinished,
        template: {
          metadata: {
            labels: { ...template.metadata?.labels, ...labels, [Label.job]: lease.action },
            annotations: { ...template.metadata?.annotations, ...annotations },
          },
          spec: podSpec,
        },
      },
    },
  };
}

/** Renders placeholders in each container and appends `extra` to its env (replacing same names). */
function renderContainers(containers: readonly V1Container[], values: Readonly<Record<string, string>>, extra: readonly V1EnvVar[], what: string, mount?: V1VolumeMount): Parsed<V1Container[]> {
  const out: V1Container[] = [];
  for (const [i, c] of containers.entries()) {
    const where = `${what}[${i}]`;
    if (c === null || typeof c !== 'object') return { ok: false, error: `${where} is not a container` };
    const command = renderStrings(c.command, values, `${where}.command`);
    if (!command.ok) return command;
    const args = renderStrings(c.args, values, `${where}.args`);
    if (!args.ok) return args;
    const env: V1EnvVar[] = [];
    const replaced = new Set(extra.map((e) => e.name));
    for (const e of c.env ?? []) {
      if (replaced.has(e.name)) continue;
      if (typeof e.value !== 'string') {
        env.push(e);
        continue;
      }
      const value = renderTemplate(e.value, values);
      if (!value.ok) return { ok: false, error: `${where}.env ${e.name}: ${value.error}` };
      env.push({ ...e, value: value.value });
    }
    const mounts = mount !== undefined ? { volumeMounts: [...(c.volumeMounts ?? []).filter((m) => m.name !== mount.name && m.mountPath !== mount.mountPath), mount] } : {};
    out.push({ ...c, ...(command.value !== undefined ? { command: command.value } : {}), ...(args.value !== undefined ? { args: args.value } : {}), env: [...env, ...extra], ...mounts });
  }
  return { ok: true, value: out };
}

function renderStrings(list: unknown, values: Readonly<Record<string, string>>, what: string): Parsed<string[] | undefined> {
  if (list === undefined) return { ok: true, value: undefined };
  if (!Array.isArray(list) || list.some((s) => typeof s !== 'string')) return { ok: false, error: `${what} must be a list of strings` };
  return renderList(list as string[], values, what);
}
