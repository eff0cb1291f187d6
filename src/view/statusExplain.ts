/**
 * explain from the statuses alone, for a replica that runs no engine (a standby, or the CLI
 * reading the cluster): the object's own entry for the partition (waiting, failure, lease, retry),
 * then each upstream its message names (`Dag ads task load 2026-03-09 is Failed: ...`), followed
 * the same way. Shallower than the engine's walk: a status lists at most 20 failures and waiting
 * entries, and only the first cause of each. An Expectation's failures are its status.failures;
 * a Dag's status has none, its failed tasks are read from its retries and Degraded condition
 * (dagStatusFailures.ts). Iterative and bounded; pure.
 */
import type { Dag, Expectation } from '../api/types.js';
import type { Phase } from '../engine/types.js';
import { dagPeriodSucceeded, dagTaskFailures, type TaskFailure } from './dagStatusFailures.js';
import type { Explanation, ExplainLimits, ExplainResult, ExplainStep, ExplainTarget } from './explain.js';

interface Entry {
  partition?: string;
  period?: string;
  key?: string;
  reason?: string;
  message?: string;
  attempts?: number;
  holder?: string;
  attempt?: number;
  action?: string;
  expiresAt?: string;
  outcome?: string;
  failures?: number;
  nextAttemptAt?: string;
}
type AnyStatus = { phase?: Phase; reason?: string; waiting?: Entry[]; failures?: Entry[]; checkerFailures?: Entry[]; leases?: Entry[]; retries?: Entry[]; lastPeriod?: string };

/** `Dag ads task load 2026-03-09 is Failed: ...`, `Expectation raw date=2026-03-09 is being worked on`. */
const NAMED = /^(Dag|Expectation) (\S+)(?: task (\S+))? (\S+) (?:is (\w+)(?:: (.*))?|is being worked on)/;

export function explainFromStatus(objects: { expectations: Expectation[]; dags: Dag[] }, target: ExplainTarget, limits: ExplainLimits = {}): ExplainResult {
  const maxDepth = limits.maxDepth ?? 32;
  const maxSteps = limits.maxSteps ?? 200;
  const find = (kind: string, name: string): Expectation | Dag | undefined =>
    (kind === 'Dag' ? objects.dags : objects.expectations).find((o) => o.metadata.name === name && (o.metadata.namespace ?? 'default') === target.namespace);
  // Read once per Dag: a walk visits a Dag once per period and task it names.
  const failures = new Map<Dag, TaskFailure[]>();
  const failuresOf = (object: Expectation | Dag | undefined): TaskFailure[] => {
    if (object?.kind !== 'Dag') return [];
    const dag = object as Dag;
    let known = failures.get(dag);
    if (known === undefined) failures.set(dag, (known = dagTaskFailures(dag)));
    return known;
  };
  const root = find(target.kind, target.name);
  if (root === undefined) return { ok: false, status: 404, message: `${target.kind} ${target.namespace}/${target.name} does not exist` };
  const rootStatus = (root.status ?? {}) as AnyStatus;
  const partition = target.partition ?? failuresOf(root)[0]?.period ?? firstTelling(rootStatus) ?? '';
  const steps: ExplainStep[] = [];
  type Todo = { kind: string; name: string; task?: string; partition: string; parent: number; phase?: Phase; reason?: string; message?: string };
  let todo: Todo | undefined = { kind: target.kind, name: target.name, partition, parent: -1 };
  const seen = new Set<string>();
  while (todo !== undefined && steps.length < maxSteps) {
    const current: Todo = todo;
    const { kind, name, task, parent } = current;
    const id = `${kind}/${target.namespace}/${name}|${task ?? ''}|${current.partition}`;
    if (seen.has(id)) break;
    seen.add(id);
    const object = find(kind, name);
    const status = (object?.status ?? {}) as AnyStatus;
    // A Dag task is `task@period` in a status's partitions, `task|period` in its keys.
    const names = task !== undefined ? [`${task}@${current.partition}`, `${task}|${current.partition}`] : [current.partition];
    const matches = (e: Entry): boolean => names.includes(e.partition ?? e.period ?? e.key ?? '') || (e.key !== undefined && names.includes(e.key));
    const waiting: Entry | undefined = status.waiting?.find(matches);
    // A Dag's period fails by its first failed task (engine.ts, TaskFailed); the task by its retries.
    const failedTask = failuresOf(object).find((f) => f.period === current.partition && (task === undefined || f.task === task));
    const failure: Entry | undefined =
      failedTask === undefined ? (status.failures?.find(matches) ?? status.checkerFailures?.find(matches))
      : task === undefined ? { reason: 'TaskFailed', message: `task ${failedTask.task} failed: ${failedTask.message}` }
      : { reason: failedTask.reason, message: failedTask.message };
    const lease = status.leases?.find((l) => matches(l) && l.outcome === undefined);
    const retry = status.retries?.find(matches) ?? failedTask?.retry;
    const entry = failure ?? waiting;
    const succeeded = object?.kind === 'Dag' && task === undefined && entry === undefined && lease === undefined && dagPeriodSucceeded(object, current.partition);
    const phase: Phase = current.phase ?? (failure !== undefined ? 'Failed' : waiting !== undefined ? 'Waiting' : lease !== undefined ? 'WorkingOnIt' : succeeded ? 'Satisfied' : (status.phase ?? 'Unknown'));
    const step: ExplainStep = {
      node: id,
      parent,
      depth: parent === -1 ? 0 : (steps[parent] as ExplainStep).depth + 1,
      what: `${kind} ${name}${task !== undefined ? ` task ${task}` : ''}${current.partition !== '' ? ` ${current.partition}` : ''}`,
      phase,
      reason: entry?.reason ?? current.reason ?? (succeeded ? 'Succeeded' : (status.reason ?? '')),
      message: entry?.message ?? current.message ?? (succeeded ? `every task succeeded for ${current.partition}` : ''),
      rootCause: true,
      ...(lease?.holder !== undefined && lease.expiresAt !== undefined ? { lease: { holder: lease.holder, attempt: lease.attempt ?? 0, action: lease.action ?? '', expiresAt: lease.expiresAt } } : {}),
      ...(retry?.nextAttemptAt !== undefined ? { retry: { failures: retry.failures ?? 0, nextAttemptAt: retry.nextAttemptAt, message: retry.message ?? '' } } : {}),
    };
    const index = steps.push(step) - 1;
    todo = undefined;
    const named: RegExpExecArray | null = waiting !== undefined ? NAMED.exec(waiting.message ?? '') : null;
    if (failedTask !== undefined && task === undefined && step.depth + 1 <= maxDepth) {
      // The failed task of this Dag period: where the error is.
      step.rootCause = false;
      todo = { kind, name, task: failedTask.task, partition: current.partition, parent: index, phase: 'Failed', reason: failedTask.reason, message: failedTask.message };
    } else if (named !== null && step.depth + 1 <= maxDepth) {
      step.rootCause = false;
      const [, nextKind, nextName, nextTask, nextPartition, nextPhase, nextMessage] = named;
      todo = {
        kind: nextKind as string,
        name: nextName as string,
        ...(nextTask !== undefined ? { task: nextTask } : {}),
        partition: nextPartition as string,
        parent: index,
        phase: (nextPhase as Phase | undefined) ?? 'WorkingOnIt',
        ...(nextMessage !== undefined ? { message: nextMessage } : {}),
      };
    }
  }
  const explanation: Explanation = { object: `${target.kind}/${target.namespace}/${target.name}`, partition, steps, truncated: todo !== undefined };
  return { ok: true, value: explanation };
}

function firstTelling(status: AnyStatus): string | undefined {
  const e = status.failures?.[0] ?? status.waiting?.[0] ?? status.checkerFailures?.[0];
  return e?.partition ?? e?.period ?? status.lastPeriod;
}
