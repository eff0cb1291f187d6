// What running the scenario on one system yields, and the pieces both drivers share.
import { type ChildProcess } from 'node:child_process';
import { backfillWallMs, type Dependent, dependencyLatency, type LatencyFigures, periodTimings, type TaskRecord } from './figures.js';
import { sameProcess, type TreeMonitor, type TreeUsage } from './procTree.js';

export const PERIODS = 30;
/** The old upstream period that is re-run: the 6th of the 30, 25 days back. */
export const RERUN_INDEX = 5;

/** One dependent's figures on one system. */
export interface DependentResult {
  label: string;
  /** What the reader must know to read the figures (e.g. periods never run). */
  note?: string;
  latency: LatencyFigures;
  /** Undefined when the dependent never ran for every period (Assets can leave events waiting). */
  backfillMs: number | undefined;
  rerun: { period: string; ms: number; steps: string[] };
  /** Runs of the dependent's task during the backfill (Assets batch several periods into one). */
  runs: number;
}

export interface SystemResult {
  system: string;
  /** From start to ready to be told what to run (Airflow: parsed DAGs, API up); not in the backfill figure. */
  startupMs?: number;
  dependents: DependentResult[];
  /** The whole tree: CPU over the whole scenario (start-up included), peaks over it. */
  usage: TreeUsage;
  /** CPU seconds the tree had used when it was told to run (Airflow: its start-up). */
  cpuAtGo: number;
  /** CPU seconds the tree used while nothing was left to do, over `idleSeconds`. */
  idleCpuSeconds: number;
  idleSeconds: number;
  settings: [string, string][];
}

/** Latency and backfill figures of one dependent from the records so far. */
export interface BackfillFigures {
  latency: LatencyFigures;
  /** Undefined while the dependent has not run for every period. */
  backfillMs: number | undefined;
  runs: number;
  /** The periods the upstreams succeeded for, oldest first. */
  periods: string[];
}

export function backfillFigures(records: TaskRecord[], dependent: Dependent, go: number): BackfillFigures {
  const timings = periodTimings(records, dependent).slice(0, PERIODS);
  const runs = records.filter((r) => r.dag === dependent.dag && r.task === dependent.task).length;
  return { latency: dependencyLatency(timings), backfillMs: backfillWallMs(timings, PERIODS, go), runs, periods: timings.map((t) => t.period) };
}

/** Waits `seconds` with nothing to do and returns the CPU seconds the tree used meanwhile. */
export async function idleCpu(monitor: TreeMonitor, seconds: number): Promise<number> {
  const before = monitor.sample().cpuSeconds;
  await new Promise((done) => setTimeout(done, seconds * 1000));
  return monitor.sample().cpuSeconds - before;
}

/**
 * Stops a system: SIGTERM to its process group, then, after `graceMs`, SIGKILL to every process
 * of its tree still there (by pid: only processes this benchmark started; a task runner that
 * made its own session is not in the group).
 */
export async function stopTree(child: ChildProcess, monitor: TreeMonitor, graceMs: number): Promise<void> {
  const pid = child.pid as number;
  monitor.sample();
  const exited = new Promise<void>((done) => (child.exitCode !== null || child.signalCode !== null ? done() : child.once('exit', () => done())));
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    // already gone
  }
  await Promise.race([exited, new Promise((done) => setTimeout(done, graceMs))]);
  await new Promise((done) => setTimeout(done, 1000));
  for (const [seen, start] of monitor.seen) {
    if (!sameProcess(seen, start)) continue;
    try {
      process.kill(seen, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  monitor.stop();
}
