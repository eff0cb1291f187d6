// The figures of the peer benchmark, computed from what the tasks recorded (one JSON line per task
// run: its Dag, task, period, start and end in ms since the epoch). Pure: no I/O, no clock, so the
// same code reads Homeostat's and Airflow's records and a unit test can feed it made-up ones.

/** One task run, as bench/peers/homeostat/record.sh and airflow/dags/peers_common.py write it. */
export interface TaskRecord {
  system: string;
  dag: string;
  task: string;
  /** The period (YYYY-MM-DD); empty for an Asset-triggered run, which has none of its own. */
  period: string;
  start: number;
  end: number;
  run?: string;
  /** Asset-triggered runs: the upstream events that triggered them, each with its period. */
  consumes?: { asset: string; period: string | null }[];
}

/** An upstream the dependent waits for: a Dag's task, announced (for Assets) as `asset`. */
export interface Upstream {
  dag: string;
  task: string;
  asset?: string;
}

/** How the dependent's runs tell which upstream periods they were for. */
export interface Dependent {
  dag: string;
  task: string;
  upstreams: Upstream[];
  /** `period`: a run is for its own period (same-day dependency); `assets`: for the periods of the events it consumed. */
  matches: 'period' | 'assets';
}

/** One line of the records file, or an error naming the line. */
export function parseRecords(text: string, source: string): TaskRecord[] {
  const records: TaskRecord[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new Error(`${source}:${index + 1}: not JSON (${(error as Error).message}): ${line.slice(0, 120)}`);
    }
    const r = value as Partial<TaskRecord>;
    if (typeof r.dag !== 'string' || typeof r.task !== 'string' || typeof r.period !== 'string' || typeof r.start !== 'number' || typeof r.end !== 'number') {
      throw new Error(`${source}:${index + 1}: a task record needs dag, task, period (strings), start and end (ms): ${line.slice(0, 120)}`);
    }
    records.push(r as TaskRecord);
  });
  return records;
}

/** Nearest-rank percentile of unsorted values (p in 0..100); NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

/** Whether one run of the dependent was for upstream `u`'s period `period`. */
function covers(record: TaskRecord, dependent: Dependent, u: Upstream, period: string): boolean {
  if (dependent.matches === 'period') return record.period === period;
  return (record.consumes ?? []).some((c) => c.asset === (u.asset ?? u.dag) && c.period === period);
}

function runsOf(records: readonly TaskRecord[], dag: string, task: string): TaskRecord[] {
  return records.filter((r) => r.dag === dag && r.task === task).sort((a, b) => a.start - b.start);
}

export interface PeriodTiming {
  period: string;
  /** The end of the last of the upstreams' first successes for the period. */
  upstreamsDone: number;
  /** The start of the dependent's first run that had seen every upstream for the period; undefined if none did. */
  dependentStart?: number;
  dependentEnd?: number;
}

/**
 * For each period the upstreams succeeded for (on or after `since`): when the last upstream
 * finished, and when the dependent first started having seen all of them. With Assets a run may
 * consume sold(D) and a later run ads(D): the period counts as started with the later one.
 */
export function periodTimings(records: readonly TaskRecord[], dependent: Dependent, since = 0): PeriodTiming[] {
  const periods = new Set(runsOf(records, dependent.upstreams[0]?.dag ?? '', dependent.upstreams[0]?.task ?? '').map((r) => r.period));
  const dependentRuns = runsOf(records, dependent.dag, dependent.task).filter((r) => r.start >= since);
  const timings: PeriodTiming[] = [];
  for (const period of [...periods].sort()) {
    let upstreamsDone = 0;
    let complete = true;
    let dependentRun: TaskRecord | undefined;
    for (const u of dependent.upstreams) {
      const first = runsOf(records, u.dag, u.task).find((r) => r.period === period && r.end >= since);
      if (first === undefined) complete = false;
      else upstreamsDone = Math.max(upstreamsDone, first.end);
      const seen = dependentRuns.find((r) => covers(r, dependent, u, period));
      if (seen === undefined) complete = false;
      else if (dependentRun === undefined || seen.start > dependentRun.start) dependentRun = seen;
    }
    if (upstreamsDone === 0) continue;
    timings.push({ period, upstreamsDone, ...(complete && dependentRun !== undefined ? { dependentStart: dependentRun.start, dependentEnd: dependentRun.end } : {}) });
  }
  return timings;
}

export interface LatencyFigures {
  /** Periods whose upstreams all succeeded. */
  periods: number;
  /** Of those, the periods the dependent ran for. */
  started: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Periods the dependent started before its last upstream had finished: a broken dependency. */
  early: string[];
}

/** The time from the last upstream success to the dependent's first task start, over the periods. */
export function dependencyLatency(timings: readonly PeriodTiming[]): LatencyFigures {
  const started = timings.filter((t) => t.dependentStart !== undefined);
  const delays = started.map((t) => (t.dependentStart as number) - t.upstreamsDone);
  return {
    periods: timings.length,
    started: started.length,
    p50Ms: percentile(delays, 50),
    p99Ms: percentile(delays, 99),
    maxMs: delays.length > 0 ? Math.max(...delays) : Number.NaN,
    early: started.filter((t) => (t.dependentStart as number) < t.upstreamsDone).map((t) => t.period),
  };
}

/**
 * Wall time of the backfill: from `go` (the system was told) until the dependent has run for
 * every one of the expected periods; undefined while one has not.
 */
export function backfillWallMs(timings: readonly PeriodTiming[], expectedPeriods: number, go: number): number | undefined {
  const done = timings.filter((t) => t.dependentEnd !== undefined);
  if (done.length < expectedPeriods) return undefined;
  return Math.max(...done.map((t) => t.dependentEnd as number)) - go;
}

/**
 * Re-run of one old upstream period: from the first manual step (`since`) until the dependent
 * started again having seen the upstream's new success for it; undefined if it has not.
 */
export function rerunMs(records: readonly TaskRecord[], dependent: Dependent, upstream: Upstream, period: string, since: number): number | undefined {
  const again = runsOf(records, upstream.dag, upstream.task).find((r) => r.period === period && r.start >= since);
  if (again === undefined) return undefined;
  const dependentRun = runsOf(records, dependent.dag, dependent.task).find((r) => r.start >= again.end && covers(r, dependent, upstream, period));
  return dependentRun === undefined ? undefined : dependentRun.start - since;
}

/** How many times slower the peer is (peer / homeostat); undefined when either is missing or zero. */
export function ratio(homeostat: number | undefined, peer: number | undefined): number | undefined {
  if (homeostat === undefined || peer === undefined || !Number.isFinite(homeostat) || !Number.isFinite(peer) || homeostat <= 0) return undefined;
  return peer / homeostat;
}
