/**
 * The controller's Prometheus metrics, in a registry of their own (never prom-client's global
 * one, so two controllers in one process, or two tests, never share counters).
 *
 * The runtime and the Kubernetes adapter see only `ControllerMetrics`: plain instrument
 * interfaces that prom-client's Counter, Gauge and Histogram satisfy structurally, so code that
 * counts never imports prom-client (or this folder: imports point from server to runtime).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CheckFailure } from '../checkers/protocol.js';
import type { ActionOutcome, ObjectRef } from '../runtime/ports.js';
import type { Route } from './route.js';

// ---- instruments, as the counting code sees them ---------------------------------------------

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
  /** homeostat_actions_ended_total{outcome}: actions that ended, by outcome (succeeded, failed, lost). */
  actionsEnded: LabeledCounter<{ outcome: ActionOutcome }>;
  /** homeostat_checker_calls_total{mode}: batched checks requested, by checker mode. */
  checkerCalls: LabeledCounter<{ mode: CheckerMode }>;
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
}

/** The registry (for scraping) and the instruments (for counting). */
export interface Metrics extends ControllerMetrics {
  readonly registry: Registry;
}

export interface MetricsOptions {
  /** Also collect prom-client's process_* and nodejs_* metrics (CPU, memory, event loop lag, GC). Defaults to true. */
  processMetrics?: boolean;
}

/** Reconcile passes last from milliseconds (a small world) to tens of seconds (a large resync). */
const RECONCILE_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Creates a fresh registry with every Homeostat metric registered (at zero where it has no labels). */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Counter<L>({ name: `homeostat_${name}`, help, labelNames, registers });
  const gauge = (name: string, help: string) => new Gauge({ name: `homeostat_${name}`, help, registers });

  const metrics: Metrics = {
    registry,
    reconcilePasses: counter('reconcile_passes_total', 'Reconcile passes, by how they ended (ok, retry, error).', ['result']),
    reconcileDuration: new Histogram({
      name: 'homeostat_reconcile_duration_seconds',
      help: 'How long one reconcile pass took, by how it ended.',
      labelNames: ['result'],
      buckets: RECONCILE_BUCKETS,
      registers,
    }),
    queueDepth: gauge('queue_depth', 'Nodes marked for reconciliation and not planned yet.'),
    liveLeases: gauge('live_leases', 'Leases held and not yet ended.'),
    actionsLaunched: counter('actions_launched_total', 'Actions (Jobs, DagRuns, processes) handed to a runner.'),
    actionsCancelled: counter('actions_cancelled_total', 'Actions cancelled (lease expired, node forgotten).'),
    actionsEnded: counter('actions_ended_total', 'Actions that ended, by outcome (succeeded, failed, lost).', ['outcome']),
    checkerCalls: counter('checker_calls_total', 'Batched checks requested, by checker mode.', ['mode']),
    checkerErrors: counter('checker_errors_total', 'Batched checks that got no verdict, by reason.', ['reason']),
    watchRestarts: counter('watch_restarts_total', 'Watches that ended and were started again, by resource.', ['resource']),
    statusWrites: counter('status_writes_total', 'Status subresource writes, by kind.', ['kind']),
    statusConflicts: counter('status_conflicts_total', 'Status writes refused with 409 Conflict, by kind.', ['kind']),
    observationRequests: counter('observation_requests_total', 'Answers of POST /v1/observations, by HTTP status code.', ['code']),
    observationResults: counter('observation_results_total', 'Pushed results handed to the controller, by state.', ['state']),
  };
  // Conventional names (process_*, nodejs_*), unprefixed: dashboards expect them so.
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  return metrics;
}

/** GET /metrics: the Prometheus text exposition of the registry. */
export function metricsRoutes(metrics: Pick<Metrics, 'registry'>): Route[] {
  return [
    {
      method: 'GET',
      path: '/metrics',
      async handle(_req, res) {
        const body = await metrics.registry.metrics();
        res.writeHead(200, { 'Content-Type': metrics.registry.contentType, 'Cache-Control': 'no-store' }).end(body);
      },
    },
  ];
}
