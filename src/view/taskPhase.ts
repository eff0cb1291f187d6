/**
 * The phase a Dag's task shows in the graph, read from the Dag's status alone (a standby and the
 * CLI have no engine): the status keeps no per-task phase, so this summarises what it does keep.
 * In order, the first that applies:
 *   1. the Dag is Satisfied: every period of every task has succeeded, so the task is Satisfied;
 *   2. a lease of the task not ended yet: WorkingOnIt (ActionRunning);
 *   3. a retry record of the task: Failed when its failures passed the task's retry limit (or the
 *      checker said unrecoverable), else Pending (backing off, with the record's reason);
 *   4. the Degraded condition names the task as the first failure (`task@period: ...`): Failed;
 *   5. a task it depends on inside the Dag is not Satisfied: Waiting (UpstreamFailed when that
 *      task Failed, else UpstreamNotSatisfied);
 *   6. the Dag waits on an input (status.waiting) and the task depends on no other task: Waiting,
 *      with the first waiting period's reason;
 *   7. it succeeded for the latest period the status names (successes, the success floor,
 *      lastPeriod): Satisfied;
 *   8. otherwise the Dag is working, pending or waiting on it: Pending; else Unknown (NoTaskRecord).
 * Pure: no I/O, no clock (an expired lease still shows WorkingOnIt until the controller ends it).
 */
import type { Dag } from '../api/types.js';
import type { Phase } from '../engine/types.js';

export interface TaskPhase {
  phase: Phase;
  reason: string;
}

/** The default of spec.tasks[].retry.limit (src/api/schema/dag.ts). */
const DEFAULT_RETRY_LIMIT = 2;

type Status = NonNullable<Dag['status']>;

/** A lease or retry key `task|period` (a lease written without one: partition `task@period`). */
const taskOfKey = (key: string | undefined, partition?: string): string | undefined => {
  const text = key ?? partition?.replace('@', '|');
  const bar = text?.indexOf('|') ?? -1;
  return bar < 0 ? undefined : text?.slice(0, bar);
};
const periodOfKey = (key: string): string => key.slice(key.indexOf('|') + 1);

/** Each task's phase by task name; empty when no controller wrote a status yet. */
export function taskPhases(dag: Dag): Map<string, TaskPhase> {
  const out = new Map<string, TaskPhase>();
  const status = dag.status;
  if (status?.phase === undefined) return out;
  const tasks = dag.spec.tasks;
  if (status.phase === 'Satisfied') {
    for (const t of tasks) out.set(t.name, { phase: 'Satisfied', reason: 'Succeeded' });
    return out;
  }
  const own = ownRecords(dag, status);
  // Tasks are not declared upstream first: each task's upstream is settled before it, depth first.
  const byName = new Map(tasks.map((t) => [t.name, t]));
  const visiting = new Set<string>();
  const phaseOf = (name: string): TaskPhase => {
    const known = out.get(name);
    if (known !== undefined) return known;
    const direct = own.get(name);
    if (direct !== undefined) {
      out.set(name, direct);
      return direct;
    }
    // A cycle is the Dag's Valid=False business; here it just ends the walk.
    if (visiting.has(name)) return { phase: 'Unknown', reason: 'NoTaskRecord' };
    visiting.add(name);
    const upstream = (byName.get(name)?.dependsOn ?? []).map(phaseOf);
    visiting.delete(name);
    const result = fromUpstream(name, upstream, byName.get(name)?.dependsOn?.length ?? 0, status);
    out.set(name, result);
    return result;
  };
  for (const t of tasks) phaseOf(t.name);
  return out;
}

/** Rules 2 to 4: what the status says of the task itself. */
function ownRecords(dag: Dag, status: Status): Map<string, TaskPhase> {
  const out = new Map<string, TaskPhase>();
  const limit = new Map(dag.spec.tasks.map((t) => [t.name, t.retry?.limit ?? DEFAULT_RETRY_LIMIT]));
  for (const lease of status.leases ?? []) {
    const task = taskOfKey(lease.key, lease.partition);
    if (task !== undefined && lease.outcome === undefined) out.set(task, { phase: 'WorkingOnIt', reason: 'ActionRunning' });
  }
  for (const retry of status.retries ?? []) {
    const task = taskOfKey(retry.key);
    if (task === undefined || out.get(task)?.phase === 'WorkingOnIt') continue;
    const exhausted = retry.failures > (limit.get(task) ?? DEFAULT_RETRY_LIMIT) || retry.reason === 'Unrecoverable';
    if (exhausted) out.set(task, { phase: 'Failed', reason: retry.reason ?? 'RetriesExhausted' });
    else if (out.get(task)?.phase !== 'Failed') out.set(task, { phase: 'Pending', reason: retry.reason ?? 'Backoff' });
  }
  const degraded = status.conditions?.find((c) => c.type === 'Degraded' && c.status === 'True');
  const named = degraded !== undefined ? /^\d+ failed; ([^@\s]+)@/.exec(degraded.message) : null;
  if (named !== null && !out.has(named[1] as string)) out.set(named[1] as string, { phase: 'Failed', reason: degraded?.reason ?? 'RetriesExhausted' });
  return out;
}

/** Rules 5 to 8: from the tasks it depends on, the Dag's inputs and its successes. */
function fromUpstream(task: string, upstream: TaskPhase[], dependsOn: number, status: Status): TaskPhase {
  if (upstream.some((u) => u.phase === 'Failed')) return { phase: 'Waiting', reason: 'UpstreamFailed' };
  if (upstream.some((u) => u.phase !== 'Satisfied')) return { phase: 'Waiting', reason: 'UpstreamNotSatisfied' };
  const waiting = status.waiting?.[0];
  if (dependsOn === 0 && waiting !== undefined) return { phase: 'Waiting', reason: waiting.reason };
  if (succeededLatest(task, status)) return { phase: 'Satisfied', reason: 'Succeeded' };
  if (status.phase === 'WorkingOnIt' || status.phase === 'Pending' || status.phase === 'Waiting') return { phase: 'Pending', reason: 'Due' };
  return { phase: 'Unknown', reason: 'NoTaskRecord' };
}

/** Did `task` succeed for the latest period the status names? Periods compare as written (ISO order). */
function succeededLatest(task: string, status: Status): boolean {
  const periods = [
    ...(status.successes ?? []).map((s) => s.period),
    ...(status.leases ?? []).map((l) => periodOfKey(l.key ?? l.partition.replace('@', '|'))),
    ...(status.retries ?? []).map((r) => periodOfKey(r.key)),
    ...(status.waiting ?? []).map((w) => w.period),
    ...(status.lastPeriod !== undefined ? [status.lastPeriod] : []),
    ...(status.successFloor !== undefined ? [status.successFloor.through] : []),
  ];
  if (periods.length === 0) return false;
  const latest = periods.reduce((a, b) => (b > a ? b : a));
  if (status.lastPeriod === latest) return true;
  if ((status.successes ?? []).some((s) => s.task === task && s.period === latest)) return true;
  const floor = status.successFloor;
  return floor !== undefined && floor.through >= latest && !(floor.except ?? []).includes(latest);
}
