/**
 * What the runtime and the adapters count, as plain instrument interfaces. prom-client's Counter,
 * Gauge and Histogram satisfy them structurally; src/server/metrics.ts builds the real registry.
 * They live here so counting code never imports the server (imports point server -> runtime).
 */
import type { CheckFailure } from '../checkers/protocol.js';
import type { ActionOutcome, ObjectRef } from './ports.js';

/** A counter whose samples carry labels: `inc({ result: 'ok' })`. */
export interface LabeledCounter<Labels extends Record<string, string>> {
  inc(labels: Labels, value?: number): void;
}

/** A counter without labels. */
export interface PlainCounter {
  inc(value?: number): void;
}

/** A value that goes up and down. */
export interface Level {
  set(value: number): void;
  inc(value?: number): void;
  dec(value?: number): void;
}

/** Durations, in seconds. `startTimer(labels)` returns a function that observes the time since. */
export interface LabeledHistogram<Labels extends Record<string, string>> {
  observe(labels: Labels, seconds: number): void;
  startTimer(labels?: Partial<Labels>): (labels?: Partial<Labels>) => number;
}

/** How a reconcile pass ended: everything handed over, some port call to retry, or it threw. */
export type ReconcileResult = 'ok' | 'retry' | 'error';

/** How a checker was asked: a Job, an HTTP service, a local command (Push checkers are never asked). */
export type CheckerMode = 'Job' | 'Http' | 'Command';

/** What the runtime and the adapters count. Each field is one metric, named in its comment. */
export interface ControllerMetrics {
  /** homeostat_reconcile_passes_total{result}: reconcile passes, by how they ended. */
  reconcilePasses: LabeledCounter<{ result: ReconcileResult }>;
  /** homeostat_reconcile_duration_seconds{result}: how long one reconcile pass took. */
  reconcileDuration: LabeledHistogram<{ result: ReconcileResult }>;
  /** homeostat_queue_depth: nodes marked for reconciliation and not planned yet (pending work). */
  queueDepth: Level;
  /** homeostat_live_leases: leases held and not yet ended (actions "working on it"). */
  liveLeases: Level;
  /** homeostat_actions_launched_total: actions (Jobs, DagRuns, processes) handed to a runner. */
  actionsLaunched: PlainCounter;
  /** homeostat_actions_cancelled_total: actions cancelled (lease expired, node forgotten). */
  actionsCancelled: PlainCounter;
  /** homeostat_actions_ended_total{outcome}: actions that ended, by outcome (succeeded, failed, lost, notStarted). */
  actionsEnded: LabeledCounter<{ outcome: ActionOutcome }>;
  /** homeostat_checker_calls_total{mode}: batched checks requested, by checker mode. */
  checkerCalls: LabeledCounter<{ mode: CheckerMode }>;
  /** homeostat_checks_in_flight: checks started and not answered yet, each holding one of --max-checks-in-flight's slots. */
  checksInFlight: Level;
  /** homeostat_checks_waiting: checks waiting for a free slot (a cold start queues most of them). */
  checksWaiting: Level;
  /** homeostat_checker_errors_total{reason}: batches that got no verdict (CheckerFailed, CheckerTimeout). */
  checkerErrors: LabeledCounter<{ reason: CheckFailure }>;
  /** homeostat_watch_restarts_total{resource}: watches that ended and were started again, by resource (plural). */
  watchRestarts: LabeledCounter<{ resource: string }>;
  /** homeostat_status_writes_total{kind}: status subresource writes, by kind. */
  statusWrites: LabeledCounter<{ kind: ObjectRef['kind'] }>;
  /** homeostat_status_conflicts_total{kind}: status writes refused with 409 Conflict, by kind. */
  statusConflicts: LabeledCounter<{ kind: ObjectRef['kind'] }>;
  /** homeostat_observation_requests_total{code}: POST /v1/observations answers, by HTTP status code. */
  observationRequests: LabeledCounter<{ code: string }>;
  /** homeostat_observation_results_total{state}: pushed results handed to the controller, by state. */
  observationResults: LabeledCounter<{ state: string }>;
  /**
   * homeostat_leader: 1 while this replica acts (it holds the leader election Lease, or runs
   * without leader election), else 0. Across replicas the sum should be 1.
   */
  leader: Level;
  /** homeostat_memory_settles_total: memory-reducing collections run once idle after a burst of work (src/cli/memorySettler.ts). */
  memorySettles: PlainCounter;
}

