import type { BatchV1Api, CoreV1Api, V1ContainerStateTerminated, V1EnvVar, V1Job, V1Pod } from '@kubernetes/client-node';
import type { Parsed } from '../api/duration.js';
import { API_VERSION } from '../api/schema/kind.js';
import { renderList } from '../api/template.js';
import type { StateChecker } from '../api/types.js';
import { decodeTerminationMessage } from '../checkers/compactVerdict.js';
import { CheckFailure, commandLineValues, PER_PARTITION_HINT, requestBody, tail } from '../checkers/protocol.js';
import type { CheckRequest, OwnerRef } from '../engine/index.js';
import type { Logger } from '../runtime/log.js';
import { type CheckAnswer, type CheckRunner, type Clock, systemClock } from '../runtime/ports.js';
import { describeError, statusOf } from './client.js';
import { describeJobFailure, followJobs, type JobEnd, jobEnd, keyOf, objectKey, type WatchedObjects } from './jobWatcher.js';
import { Annotation, checkJobName, Label, ownerLabels } from './labels.js';
import { withRestrictedDefaults } from './podDefaults.js';
import { answerFor, type CheckOutcome } from '../runtime/checkAnswer.js';

export interface JobCheckRunnerOptions {
  batch: BatchV1Api;
  core: CoreV1Api;
  /** Homeostat's checker Jobs (an informer with selector `selectorOf('checker')`, or wider). */
  jobs: WatchedObjects<V1Job>;
  /** Their Pods (selector `selectorOf('checker')`); without it each verdict costs one Pod list. */
  pods?: WatchedObjects<V1Pod>;
  /** The StateChecker a request names, or undefined when there is none. */
  checkerOf: (ref: { namespace: string; name: string }) => StateChecker | undefined;
  /** The uid of the Expectation, for the Job's ownerReference (left out when unknown). */
  uidOf: (owner: OwnerRef) => string | undefined;
  log: Logger;
  /** Defaults to the system clock. */
  clock?: Clock;
  /** How long a finished checker Job is kept (to read its logs). Defaults to 3600 (1 hour). */
  ttlSecondsAfterFinished?: number;
  /** The largest request carried in HOMEOSTAT_REQUEST. Defaults to 256 KiB. */
  maxRequestBytes?: number;
}

/** The name of the checker container, whose termination message holds the verdict. */
export const CHECKER_CONTAINER = 'checker';

interface Pending {
  request: CheckRequest;
  name: string;
  namespace: string;
  /** The partition keys asked, in request order: what the compact verdict is read against. */
  keys: string[];
  cancelTimer: () => void;
  /** The Job ended; its verdict is being read. */
  concluding: boolean;
}

/**
 * Runs a Job-mode StateChecker as one Job per request (`<owner>-check-<hash>`): its image,
 * command, args (with `{{param}}` placeholders rendered from the request's params), env (literal
 * or from Secret and ConfigMap keys), envFrom and service account, its token mounted only when
 * the checker asks (automountServiceAccountToken), the restricted Pod Security defaults (podDefaults.ts), the request JSON in HOMEOSTAT_REQUEST, the verdict in the checker container's
 * termination message (compactVerdict.ts, or JSON; FallbackToLogsOnError). When the Job completes
 * the verdict is read from its Pod; a missing, malformed or oversized one fails the batch
 * (CheckerFailed), as does a failed Job (with its condition and the Pod's message). No answer
 * within the request's timeout: CheckerTimeout, and the Job is deleted. One answer per request.
 */
export class JobCheckRunner implements CheckRunner {
  private listener: (answer: CheckAnswer) => void = () => undefined;
  private readonly pending = new Map<string, Pending>();
  private sequence = 0;
  private readonly clock: Clock;

  constructor(private readonly options: JobCheckRunnerOptions) {
    this.clock = options.clock ?? systemClock;
    followJobs(options.jobs, (job, deleted) => this.observe(job, deleted));
  }

  onAnswer(listener: (answer: CheckAnswer) => void): void {
    this.listener = listener;
  }

  /** Keys (`namespace/name`) of the checker Jobs waited for now. */
  waitingFor(): string[] {
    return [...this.pending.keys()];
  }

  /** Shutdown: forgets every waiting request without answering it, and cancels its timer. */
  stop(): void {
    for (const entry of this.pending.values()) entry.cancelTimer();
    this.pending.clear();
  }

  async request(request: CheckRequest): Promise<void> {
    const failed = (message: string) => queueMicrotask(() => this.listener({ request, failure: { reason: CheckFailure.CheckerFailed, message } }));
    const checker = this.options.checkerOf(request.checker);
    if (checker === undefined) return failed(`StateChecker ${request.checker.namespace}/${request.checker.name} does not exist`);
    const now = this.clock.now();
    const name = checkJobName(request, now, this.sequence++);
    const job = checkerJob(request, checker, name, this.options.uidOf(request.owner), { ttlSecondsAfterFinished: this.options.ttlSecondsAfterFinished ?? 3600, maxRequestBytes: this.options.maxRequestBytes ?? 256 * 1024 });
    if (!job.ok) return failed(job.error);

    const namespace = request.owner.namespace;
    const key = keyOf(namespace, name);
    const entry: Pending = {
      request,
      name,
      namespace,
      keys: request.items.map((i) => i.partition),
      cancelTimer: this.clock.setTimer(now + request.timeoutMs, () => this.timeout(key)),
      concluding: false,
    };
    this.pending.set(key, entry);
    try {
      await this.options.batch.createNamespacedJob({ namespace, body: job.value });
      this.options.log.debug({ job: name, namespace, partitions: request.items.length }, 'checker Job created');
    } catch (error) {
      const status = statusOf(error);
      if (status === 409) return; // the same request created it already: wait for it
      if (status === 400 || status === 422) return this.settle(key, { reason: CheckFailure.CheckerFailed, message: `the checker Job was refused: ${describeError(error)}` });
      entry.cancelTimer();
      this.pending.delete(key);
      throw new Error(`creating checker Job ${key} failed: ${describeError(error)}`);
    }
  }

  /** Informer handler: notices a waited-for Job that ended (or vanished) and reads its verdict. */
  private observe(job: V1Job, deleted: boolean): void {
    const key = objectKey(job);
    const entry = this.pending.get(key);
    if (entry === undefined || entry.concluding) return;
    const end = jobEnd(job);
    if (end !== undefined) {
      entry.concluding = true;
      void this.conclude(key, entry, end);
    } else if (deleted) {
      this.settle(key, { reason: CheckFailure.CheckerFailed, message: `the checker Job ${entry.name} was deleted before it finished` });
    }
  }

  private async conclude(key: string, entry: Pending, end: JobEnd): Promise<void> {
    let terminated: V1ContainerStateTerminated | undefined;
    let lookup = '';
    try {
      terminated = await this.terminatedChecker(entry);
    } catch (error) {
      lookup = describeError(error);
    }
    if (!end.succeeded) {
      const said = tail(terminated?.message ?? '', 1024);
      return this.settle(key, { reason: CheckFailure.CheckerFailed, message: `the checker Job ${entry.name} failed (${describeJobFailure(end)})${said === '' ? '' : `: ${said}`}` });
    }
    if (terminated === undefined) {
      const why = lookup === '' ? 'no terminated checker container was found' : `its Pod could not be read: ${lookup}`;
      return this.settle(key, { reason: CheckFailure.CheckerFailed, message: `the checker Job ${entry.name} completed but ${why}` });
    }
    const parsed = decodeTerminationMessage(terminated.message ?? '', entry.keys);
    if (!parsed.ok) return this.settle(key, { reason: parsed.reason, message: `checker Job ${entry.name}: ${parsed.message}` });
    this.settle(key, parsed);
  }

  /** The checker container's terminated state, from the Pod cache or else the API. */
  private async terminatedChecker(entry: Pending): Promise<V1ContainerStateTerminated | undefined> {
    const mine = (p: V1Pod) => p.metadata?.labels?.[Label.job] === entry.name;
    const cached = pickTerminated((this.options.pods?.list(entry.namespace) ?? []).filter(mine));
    if (cached !== undefined) return cached;
    const list = await this.options.core.listNamespacedPod({ namespace: entry.namespace, labelSelector: `${Label.job}=${entry.name}` });
    return pickTerminated(list.items);
  }

  private timeout(key: string): void {
    const entry = this.pending.get(key);
    if (entry === undefined) return;
    this.settle(key, { reason: CheckFailure.CheckerTimeout, message: `the checker Job ${entry.name} did not finish within ${seconds(entry.request.timeoutMs)}` });
    this.options.batch.deleteNamespacedJob({ name: entry.name, namespace: entry.namespace, propagationPolicy: 'Background' }).catch((error: unknown) => {
      if (statusOf(error) !== 404) this.options.log.warn({ job: entry.name, namespace: entry.namespace, err: describeError(error) }, 'deleting a timed-out checker Job failed; its deadline will stop it');
    });
  }

  /** Answers a request once: the first call wins, the others do nothing. */
  private settle(key: string, outcome: CheckOutcome): void {
    const entry = this.pending.get(key);
    if (entry === undefined) return;
    this.pending.delete(key);
    entry.cancelTimer();
    const { request } = entry;
    const answer = answerFor(request, outcome);
    this.options.log.debug({ job: entry.name, failure: 'failure' in answer ? answer.failure.reason : undefined }, 'check answered');
    queueMicrotask(() => this.listener(answer));
  }
}

/** The checker container's terminated state: a successful one if any, else the latest. */
function pickTerminated(pods: readonly V1Pod[]): V1ContainerStateTerminated | undefined {
  const states = pods
    .map((p) => {
      const statuses = p.status?.containerStatuses ?? [];
      return (statuses.find((s) => s.name === CHECKER_CONTAINER) ?? statuses[0])?.state?.terminated;
    })
    .filter((t): t is V1ContainerStateTerminated => t !== undefined);
  const at = (t: V1ContainerStateTerminated) => new Date(t.finishedAt ?? 0).getTime() || 0;
  states.sort((a, b) => Number(b.exitCode === 0) - Number(a.exitCode === 0) || at(b) - at(a));
  return states[0];
}

/**
 * The Job of one check request, or why there can be none (reported as CheckerFailed): the
 * checker is not a Job-mode checker with an image, a placeholder names no param, or the request
 * is too large for an environment variable (a smaller batchSize helps).
 */
export function checkerJob(
  request: CheckRequest,
  checker: StateChecker,
  name: string,
  ownerUid: string | undefined,
  limits: { ttlSecondsAfterFinished: number; maxRequestBytes: number },
): Parsed<V1Job> {
  const spec = checker.spec;
  const what = `StateChecker ${checker.metadata.name}`;
  if ((spec.mode ?? 'Job') !== 'Job') return { ok: false, error: `${what} is an ${spec.mode} checker, not a Job checker` };
  if (spec.image === undefined || spec.image === '') return { ok: false, error: `${what} has no image` };
  const values = commandLineValues(request);
  const hint = request.items.length > 1 ? `; ${PER_PARTITION_HINT}` : '';
  const command = renderList(spec.command ?? [], values, 'command');
  if (!command.ok) return { ok: false, error: `${what}: ${command.error}${hint}` };
  const args = renderList(spec.args ?? [], values, 'args');
  if (!args.ok) return { ok: false, error: `${what}: ${args.error}${hint}` };
  const body = requestBody(request);
  if (!body.ok) return { ok: false, error: `${what}: ${body.error}` };
  const json = JSON.stringify(body.value);
  const size = Buffer.byteLength(json);
  if (size > limits.maxRequestBytes) {
    return { ok: false, error: `the request for ${request.items.length} partitions is ${size} bytes, more than the ${limits.maxRequestBytes} a checker Job can carry; lower ${what}'s batchSize` };
  }

  const owner = request.owner;
  const labels = { ...ownerLabels(owner, 'checker'), [Label.checker]: checker.metadata.name };
  const reserved = new Set(['HOMEOSTAT_REQUEST', 'HOMEOSTAT_EXPECTATION']);
  return {
    ok: true,
    value: {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name,
        namespace: owner.namespace,
        labels,
        annotations: { [Annotation.owner]: owner.name, [Annotation.partitions]: String(request.items.length) },
        ...(ownerUid !== undefined ? { ownerReferences: [{ apiVersion: API_VERSION, kind: owner.kind, name: owner.name, uid: ownerUid, controller: true }] } : {}),
      },
      spec: {
        backoffLimit: 0,
        activeDeadlineSeconds: Math.max(1, Math.ceil(request.timeoutMs / 1000)),
        ttlSecondsAfterFinished: limits.ttlSecondsAfterFinished,
        template: {
          metadata: { labels: { ...labels, [Label.job]: name } },
          spec: withRestrictedDefaults({
            restartPolicy: 'Never',
            ...(spec.serviceAccountName !== undefined ? { serviceAccountName: spec.serviceAccountName } : {}),
            // A checker reads data, rarely the Kubernetes API: no token unless it asks for one.
            automountServiceAccountToken: spec.automountServiceAccountToken ?? false,
            containers: [
              {
                name: CHECKER_CONTAINER,
                image: spec.image,
                ...(command.value.length > 0 ? { command: command.value } : {}),
                ...(args.value.length > 0 ? { args: args.value } : {}),
                env: [
                  ...(spec.env ?? []).filter((e) => !reserved.has(e.name)).map(checkerEnvVar),
                  { name: 'HOMEOSTAT_EXPECTATION', value: `${owner.namespace}/${owner.name}` },
                  { name: 'HOMEOSTAT_REQUEST', value: json },
                ],
                ...(spec.envFrom !== undefined && spec.envFrom.length > 0 ? { envFrom: spec.envFrom.map((s) => ({ ...s })) } : {}),
                terminationMessagePolicy: 'FallbackToLogsOnError',
              },
            ],
          }),
        },
      },
    },
  };
}

/**
 * One variable of the checker container: a literal, or a reference the kubelet resolves when the
 * Pod starts (a Secret's value never passes through the controller, which needs no right to read it).
 */
function checkerEnvVar(e: NonNullable<StateChecker['spec']['env']>[number]): V1EnvVar {
  if (e.valueFrom !== undefined) return { name: e.name, valueFrom: { ...e.valueFrom } };
  return { name: e.name, value: e.value ?? '' };
}

/** A timeout as people write it: `600s`, `1.5s`. */
const seconds = (ms: number): string => `${ms >= 10_000 ? Math.round(ms / 1000) : Math.round(ms / 100) / 10}s`;
