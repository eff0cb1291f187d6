/**
 * The status subresources as the controller writes them, built from the engine's summaries.
 * Pure: every adapter writes exactly these documents (the cluster into `.status`, the embedded
 * mode into status.json), so `kubectl get` and `homeostat get` print the same columns.
 */
import type { Condition, DagRunStatus, DagStatus, ExpectationStatus } from '../api/types.js';
import { conditionTime, type Lease, transitionTime, type OwnerStatus, type RetryRecord, type RunRecord, type RunTaskRecord } from '../engine/index.js';

/** What a condition keeps for the next pass: enough to know whether its status held, and since when. */
export type ConditionTrace = Pick<Condition, 'type' | 'status' | 'lastTransitionTime'>;

/**
 * The conditions' traces as one string (JSON of [type, status, time] triples): 12,000 owners keep
 * these between passes, and one flat string is a third of the objects it stands for.
 */
export function tracesOf(conditions: readonly Condition[]): string {
  return JSON.stringify(conditions.map((c) => [c.type, c.status, c.lastTransitionTime]));
}

/** The traces `tracesOf` wrote. */
export function tracesIn(text: string): ConditionTrace[] {
  return (JSON.parse(text) as [string, ConditionTrace['status'], string][]).map(([type, status, lastTransitionTime]) => ({ type, status, lastTransitionTime }));
}

/** An Expectation's status: counts per phase, live leases, a bounded list of failures. */
export function expectationStatus(s: OwnerStatus, conditions: Condition[], generation: number): ExpectationStatus {
  const c = s.counts;
  return {
    observedGeneration: generation,
    phase: s.phase,
    reason: s.reason,
    satisfied: s.satisfied,
    partitions: { total: s.total, satisfied: c.Satisfied, workingOnIt: c.WorkingOnIt, pending: c.Pending, waiting: c.Waiting, failed: c.Failed, unknown: c.Unknown },
    leases: s.leases,
    failures: s.failures,
    failuresNotShown: s.failuresNotShown,
    // Absent when every check answered: most statuses never carry it.
    ...(s.checkerFailures.length > 0 ? { checkerFailures: s.checkerFailures } : {}),
    ...(s.checkerFailuresNotShown > 0 ? { checkerFailuresNotShown: s.checkerFailuresNotShown } : {}),
    ...waitingOf(s, 'partition'),
    ...(s.lastVerdicts !== undefined ? { lastVerdicts: s.lastVerdicts } : {}),
    conditions,
  };
}

/** A Dag's status: its counts are per period (a period holds when every task does). */
export function dagStatus(s: OwnerStatus, conditions: Condition[], generation: number): DagStatus {
  const c = s.counts;
  return {
    observedGeneration: generation,
    phase: s.phase,
    reason: s.reason,
    periods: { total: s.total, succeeded: c.Satisfied, running: s.running ?? c.WorkingOnIt, failed: c.Failed },
    succeeded: s.satisfied,
    ...(s.lastPeriod !== undefined ? { lastPeriod: s.lastPeriod } : {}),
    ...waitingOf(s, 'period'),
    conditions,
  };
}

/** The waiting list, keyed as the kind names its nodes; absent when nothing waits. */
function waitingOf<K extends 'partition' | 'period'>(s: OwnerStatus, key: K): { waiting?: ({ reason: string; message: string } & Record<K, string>)[]; waitingNotShown?: number } {
  if (s.waiting.length === 0) return {};
  return {
    waiting: s.waiting.map((w) => ({ [key]: w.partition, reason: w.reason, message: w.message }) as { reason: string; message: string } & Record<K, string>),
    ...(s.waitingNotShown > 0 ? { waitingNotShown: s.waitingNotShown } : {}),
  };
}

/** One task of a run, as the engine knows it now. */
export interface RunTask {
  name: string;
  phase: OwnerStatus['phase'];
  message: string;
  lease: Lease | undefined;
  retry: RetryRecord | undefined;
  /** What the run recorded of the task (its latest attempt survives the lease). */
  recorded?: RunTaskRecord;
}

/** A DagRun's status: the run record, and each task's phase for the run's period. */
export function dagRunStatus(run: RunRecord, tasks: RunTask[]): DagRunStatus {
  return {
    phase: run.phase,
    startedAt: conditionTime(run.startedAt),
    ...(run.finishedAt !== undefined ? { finishedAt: conditionTime(run.finishedAt) } : {}),
    ...(run.rerunToken !== undefined ? { rerun: run.rerunToken } : {}),
    tasks: tasks.map((t) => ({
      name: t.name,
      phase: t.phase,
      attempts: Math.max(t.lease?.attempt ?? 0, t.retry?.attempts ?? 0, t.recorded?.attempts ?? 0),
      ...((t.lease?.action ?? t.recorded?.action) !== undefined ? { action: t.lease?.action ?? t.recorded?.action } : {}),
      message: t.message.slice(0, 1024),
    })),
  };
}

/** Why an object is not valid, or undefined when it is. */
export interface Validity {
  reason: string;
  message: string;
}

/**
 * The status of an object the engine does not plan for (a StateChecker, a DagDependency, a
 * user's DagRun before its run starts): one Valid condition. Keeps lastTransitionTime while the
 * status does not change.
 */
export function validityStatus(problem: Validity | undefined, generation: number, previous: readonly ConditionTrace[] | undefined, now: number): { observedGeneration: number; conditions: Condition[] } {
  const wanted = problem === undefined ? { status: 'True' as const, reason: 'Valid', message: 'the object is valid' } : { status: 'False' as const, reason: problem.reason, message: problem.message.slice(0, 32768) };
  return { observedGeneration: generation, conditions: [{ type: 'Valid', ...wanted, observedGeneration: generation, lastTransitionTime: transitionTime(previous, 'Valid', wanted.status, now) }] };
}
