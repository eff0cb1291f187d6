/**
 * A Dag's latest periods x its tasks, for the node page: each cell the task's phase and reason in
 * that period, each row the period's own phase and its latest run (DagRun name and phase).
 * Pure. Two ways in, one table out:
 * - from the engine (the leader, `homeostat dev`): every period the Dag covers, run or not;
 * - from the DagRun objects (a standby): only the periods that have a run, as their statuses say.
 */
import type { Dag, DagRun, Phase } from '../api/types.js';
import type { Engine } from '../engine/engine.js';
import type { RunPhase } from '../engine/types.js';

/** How many periods the table shows by default, and at most (`?periods=N`). */
export const DEFAULT_PERIODS = 60;
export const MAX_PERIODS_SHOWN = 500;

export interface RunsCell {
  phase: Phase;
  reason?: string;
}

export interface RunsRow {
  period: string;
  /** The whole period's phase (from the engine; from a standby: the run's tasks, when they all agree). */
  phase?: Phase;
  reason?: string;
  /** The latest run of the period, if any. `Pending`: asked for, not opened yet (a DagRun without status). */
  run?: { name: string; phase: RunPhase | 'Pending'; reason?: string };
  /** One per task of `tasks`, in that order; null where the period has no such task (yet). */
  cells: (RunsCell | null)[];
}

export interface DagRunsTable {
  tasks: string[];
  /** Newest period first. */
  rows: RunsRow[];
  /** Older periods left out (`?periods=N` shows more, up to MAX_PERIODS_SHOWN). */
  periodsNotShown: number;
}

/** What the table needs of the engine: the only reads of its node store (easy to adapt when it changes). */
export interface DagPeriods {
  /** Every period of the Dag with its whole-period phase. */
  periods: { period: string; phase: Phase; reason: string }[];
  tasksOf(period: string): { task: string; phase: Phase; reason: string }[];
  runs: { name: string; period: string; phase: RunPhase; reason: string; startedAt: number }[];
}

export function dagPeriodsOf(engine: Engine, dag: { namespace: string; name: string }): DagPeriods | undefined {
  const owner = engine.owner({ kind: 'Dag', namespace: dag.namespace, name: dag.name });
  if (owner === undefined) return undefined;
  const periods = owner.nodes.filter((n) => n.alive && n.policy.task === undefined && n.period !== undefined).map((n) => ({ period: n.period as string, phase: n.phase, reason: n.reason }));
  return {
    periods,
    tasksOf: (period) => engine.tasksOfPeriod(dag, period).flatMap((n) => (n.policy.task !== undefined ? [{ task: n.policy.task, phase: n.phase, reason: n.reason }] : [])),
    runs: engine
      .runs()
      .filter((r) => r.namespace === dag.namespace && r.dag === dag.name)
      .map((r) => ({ name: r.name, period: r.period, phase: r.phase, reason: r.reason, startedAt: r.startedAt })),
  };
}

const taskNames = (dag: Dag): string[] => (dag.spec.tasks ?? []).map((t) => t.name);

/** The latest `limit` periods (clamped to 1..MAX_PERIODS_SHOWN) of what the engine knows. */
export function dagRunsFromEngine(dag: Dag, known: DagPeriods, limit = DEFAULT_PERIODS): DagRunsTable {
  const shown = clamp(limit);
  const tasks = taskNames(dag);
  const column = new Map(tasks.map((t, i) => [t, i]));
  // Period keys of one calendar sort as text (ISO dates and times).
  const periods = [...known.periods].sort((a, b) => (a.period < b.period ? 1 : a.period > b.period ? -1 : 0));
  const latestRun = latestRunPerPeriod(known.runs);
  const rows = periods.slice(0, shown).map((p): RunsRow => {
    const cells: (RunsCell | null)[] = tasks.map(() => null);
    for (const t of known.tasksOf(p.period)) {
      const i = column.get(t.task);
      if (i !== undefined) cells[i] = { phase: t.phase, reason: t.reason };
    }
    const run = latestRun.get(p.period);
    return { period: p.period, phase: p.phase, reason: p.reason, ...(run !== undefined ? { run: { name: run.name, phase: run.phase, reason: run.reason } } : {}), cells };
  });
  return { tasks, rows, periodsNotShown: Math.max(0, periods.length - rows.length) };
}

/** A standby's table: the periods that have a DagRun, the latest run of each, as its status says. */
export function dagRunsFromRuns(dag: Dag, dagRuns: readonly DagRun[], limit = DEFAULT_PERIODS): DagRunsTable {
  const shown = clamp(limit);
  const tasks = taskNames(dag);
  const namespace = dag.metadata.namespace ?? 'default';
  const mine = dagRuns.filter((r) => r.spec.dag === dag.metadata.name && (r.metadata.namespace ?? 'default') === namespace);
  const latest = new Map<string, DagRun>();
  for (const r of mine) {
    const seen = latest.get(r.spec.period);
    if (seen === undefined || startOf(r) > startOf(seen) || (startOf(r) === startOf(seen) && r.metadata.name > seen.metadata.name)) latest.set(r.spec.period, r);
  }
  const periods = [...latest.keys()].sort().reverse();
  const rows = periods.slice(0, shown).map((period): RunsRow => {
    const r = latest.get(period) as DagRun;
    const byTask = new Map((r.status?.tasks ?? []).map((t) => [t.name, t]));
    const cells = tasks.map((t): RunsCell | null => {
      const task = byTask.get(t);
      return task?.phase !== undefined ? { phase: task.phase, ...(task.message !== undefined ? { reason: task.message } : {}) } : null;
    });
    const phases = new Set(cells.map((c) => c?.phase));
    const phase = phases.size === 1 ? [...phases][0] : undefined;
    return { period, ...(phase !== undefined && phase !== null ? { phase } : {}), run: { name: r.metadata.name, phase: r.status?.phase ?? 'Pending', ...(r.spec.reason !== undefined ? { reason: r.spec.reason } : {}) }, cells };
  });
  return { tasks, rows, periodsNotShown: Math.max(0, periods.length - rows.length) };
}

const clamp = (limit: number): number => Math.min(MAX_PERIODS_SHOWN, Math.max(1, Number.isFinite(limit) ? Math.floor(limit) : DEFAULT_PERIODS));

/** When a DagRun started, as text that sorts: its status, else its creation. */
const startOf = (r: DagRun): string => r.status?.startedAt ?? r.metadata.creationTimestamp ?? '';

function latestRunPerPeriod<R extends { period: string; startedAt: number; name: string }>(runs: readonly R[]): Map<string, R> {
  const latest = new Map<string, R>();
  for (const r of runs) {
    const seen = latest.get(r.period);
    if (seen === undefined || r.startedAt > seen.startedAt || (r.startedAt === seen.startedAt && r.name > seen.name)) latest.set(r.period, r);
  }
  return latest;
}
