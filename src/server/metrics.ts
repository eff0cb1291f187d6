/**
 * The controller's Prometheus metrics, in a registry of their own (never prom-client's global
 * one, so two controllers in one process, or two tests, never share counters).
 *
 * The runtime and the Kubernetes adapter see only `ControllerMetrics`: plain instrument
 * interfaces that prom-client's Counter, Gauge and Histogram satisfy structurally, so code that
 * counts never imports prom-client (or this folder: imports point from server to runtime).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Route } from './route.js';

import type { ControllerMetrics } from '../runtime/metrics.js';

export type * from '../runtime/metrics.js';

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
    actionsEnded: counter('actions_ended_total', 'Actions that ended, by outcome (succeeded, failed, lost, notStarted).', ['outcome']),
    checkerCalls: counter('checker_calls_total', 'Batched checks requested, by checker mode.', ['mode']),
    checksInFlight: gauge('checks_in_flight', 'Checks started and not answered yet (each holds a slot of --max-checks-in-flight).'),
    checksWaiting: gauge('checks_waiting', 'Checks waiting for a free slot of --max-checks-in-flight.'),
    checkerErrors: counter('checker_errors_total', 'Batched checks that got no verdict, by reason.', ['reason']),
    watchRestarts: counter('watch_restarts_total', 'Watches that ended and were started again, by resource.', ['resource']),
    statusWrites: counter('status_writes_total', 'Status subresource writes, by kind.', ['kind']),
    statusConflicts: counter('status_conflicts_total', 'Status writes refused with 409 Conflict, by kind.', ['kind']),
    observationRequests: counter('observation_requests_total', 'Answers of POST /v1/observations, by HTTP status code.', ['code']),
    observationResults: counter('observation_results_total', 'Pushed results handed to the controller, by state.', ['state']),
    leader: gauge('leader', '1 while this replica acts (holds the leader election Lease, or runs without leader election), else 0.'),
    memorySettles: counter('memory_settles_total', 'Memory-reducing full collections run once the process was idle after a burst of work.'),
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
