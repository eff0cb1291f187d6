/**
 * What a Dag's status, as the controller writes it, tells of its failed tasks and settled periods,
 * for the views that have no engine (statusExplain.ts). A Dag's status has no failures list (an
 * Expectation's has): in a cluster its `retries` hold every task's failed attempts and its
 * `successes`/`successFloor` what succeeded; everywhere (also status.json of embedded mode, which
 * keeps no state) its Degraded condition names the first failure. Pure.
 */
import type { Dag } from '../api/types.js';
import { DEFAULT_TASK_RETRY_LIMIT } from '../engine/compile.js';

/** A task whose retries are spent, in the engine's words (engine/decide.ts RetriesExhausted). */
export interface TaskFailure {
  task: string;
  period: string;
  reason: string;
  message: string;
  /** From the retry record, when the status holds it (a cluster's). */
  retry?: { failures: number; nextAttemptAt: string; message: string };
}

interface StatusRetry {
  key?: string;
  failures?: number;
  attempts?: number;
  reason?: string;
  message?: string;
  nextAttemptAt?: string;
}
interface StatusCondition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}
interface StatusSuccess {
  task?: string;
  period?: string;
}

const statusOf = (dag: Dag): Record<string, unknown> => (dag.status ?? {}) as Record<string, unknown>;
const listOf = <T>(value: unknown): T[] => (Array.isArray(value) ? (value as T[]) : []);

/** The Degraded condition's first failure: `N failed; task@period: message`, reason RetriesExhausted. */
const DEGRADED = /^\d+ failed; ([^@\s]+)@(\S+): (.*)$/s;

/** The Dag's tasks whose retries are spent, by period then task. */
export function dagTaskFailures(dag: Dag): TaskFailure[] {
  const status = statusOf(dag);
  const limits = new Map(dag.spec.tasks.map((t) => [t.name, t.retry?.limit ?? DEFAULT_TASK_RETRY_LIMIT]));
  const out = new Map<string, TaskFailure>();
  for (const r of listOf<StatusRetry>(status.retries)) {
    const bar = r.key?.indexOf('|') ?? -1;
    if (r.key === undefined || bar < 0 || typeof r.failures !== 'number') continue;
    const task = r.key.slice(0, bar);
    const limit = limits.get(task);
    // Failed attempts beyond the limit: the task is Failed until its period is asked again.
    if (limit === undefined || r.failures <= limit) continue;
    const last = `${r.reason ?? ''}: ${r.message ?? ''}`;
    out.set(r.key, {
      task,
      period: r.key.slice(bar + 1),
      reason: 'RetriesExhausted',
      message: `${r.failures} attempts failed; last: ${last}`,
      ...(r.nextAttemptAt !== undefined ? { retry: { failures: r.failures, nextAttemptAt: r.nextAttemptAt, message: r.message ?? '' } } : {}),
    });
  }
  const degraded = listOf<StatusCondition>(status.conditions).find((c) => c.type === 'Degraded' && c.status === 'True' && c.reason === 'RetriesExhausted');
  const first = DEGRADED.exec(degraded?.message ?? '');
  if (first !== null && limits.has(first[1] as string) && !out.has(`${first[1]}|${first[2]}`)) {
    out.set(`${first[1]}|${first[2]}`, { task: first[1] as string, period: first[2] as string, reason: 'RetriesExhausted', message: first[3] as string });
  }
  return [...out.values()].sort((a, b) => (a.period < b.period ? -1 : a.period > b.period ? 1 : a.task < b.task ? -1 : 1));
}

/** Whether the status records a success of every task for the period (a cluster's status: successes and fold). */
export function dagPeriodSucceeded(dag: Dag, period: string): boolean {
  const status = statusOf(dag);
  const floor = status.successFloor as { through?: string; except?: string[] } | undefined;
  if (floor?.through !== undefined && period <= floor.through && !(floor.except ?? []).includes(period)) return true;
  const done = new Set(listOf<StatusSuccess>(status.successes).filter((s) => s.period === period).map((s) => s.task));
  return dag.spec.tasks.length > 0 && dag.spec.tasks.every((t) => done.has(t.name));
}
