import { describe, expect, it } from '@jest/globals';
import { register as globalRegistry } from 'prom-client';
import { type ControllerMetrics, createMetrics } from '../../src/server/metrics.js';

/** The metric name each field documents, in the order ControllerMetrics declares them. */
const NAMES: Record<keyof ControllerMetrics, string> = {
  reconcilePasses: 'homeostat_reconcile_passes_total',
  reconcileDuration: 'homeostat_reconcile_duration_seconds',
  queueDepth: 'homeostat_queue_depth',
  liveLeases: 'homeostat_live_leases',
  actionsLaunched: 'homeostat_actions_launched_total',
  actionsCancelled: 'homeostat_actions_cancelled_total',
  actionsEnded: 'homeostat_actions_ended_total',
  checkerCalls: 'homeostat_checker_calls_total',
  checksInFlight: 'homeostat_checks_in_flight',
  checksWaiting: 'homeostat_checks_waiting',
  checkerErrors: 'homeostat_checker_errors_total',
  watchRestarts: 'homeostat_watch_restarts_total',
  statusWrites: 'homeostat_status_writes_total',
  statusConflicts: 'homeostat_status_conflicts_total',
  observationRequests: 'homeostat_observation_requests_total',
  observationResults: 'homeostat_observation_results_total',
  leader: 'homeostat_leader',
  memorySettles: 'homeostat_memory_settles_total',
};

describe('createMetrics', () => {
  it('registers every controller metric, named homeostat_*, with help text', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const registered = (await metrics.registry.getMetricsAsJSON()).map((m) => [m.name, m.help !== '']);
    expect(registered.sort()).toEqual(Object.values(NAMES).map((name) => [name, true]).sort());
  });

  it('counts what the runtime and the adapters report', async () => {
    const metrics = createMetrics({ processMetrics: false });
    metrics.reconcilePasses.inc({ result: 'retry' });
    metrics.reconcileDuration.observe({ result: 'ok' }, 0.02);
    const end = metrics.reconcileDuration.startTimer({ result: 'error' });
    end();
    metrics.queueDepth.set(7);
    metrics.liveLeases.inc();
    metrics.liveLeases.inc();
    metrics.liveLeases.dec();
    metrics.actionsLaunched.inc();
    metrics.actionsCancelled.inc(2);
    metrics.actionsEnded.inc({ outcome: 'lost' });
    metrics.checkerCalls.inc({ mode: 'Http' });
    metrics.checkerErrors.inc({ reason: 'CheckerTimeout' });
    metrics.watchRestarts.inc({ resource: 'jobs' });
    metrics.statusWrites.inc({ kind: 'Expectation' }, 3);
    metrics.statusConflicts.inc({ kind: 'DagRun' });
    const text = await metrics.registry.metrics();
    for (const line of [
      'homeostat_reconcile_passes_total{result="retry"} 1',
      'homeostat_reconcile_duration_seconds_bucket{le="0.025",result="ok"} 1',
      'homeostat_reconcile_duration_seconds_count{result="error"} 1',
      'homeostat_queue_depth 7',
      'homeostat_live_leases 1',
      'homeostat_actions_launched_total 1',
      'homeostat_actions_cancelled_total 2',
      'homeostat_actions_ended_total{outcome="lost"} 1',
      'homeostat_checker_calls_total{mode="Http"} 1',
      'homeostat_checker_errors_total{reason="CheckerTimeout"} 1',
      'homeostat_watch_restarts_total{resource="jobs"} 1',
      'homeostat_status_writes_total{kind="Expectation"} 3',
      'homeostat_status_conflicts_total{kind="DagRun"} 1',
    ]) {
      expect(text).toContain(line);
    }
  });

  it('shows unlabeled counters at zero before anything happened', async () => {
    expect(await createMetrics({ processMetrics: false }).registry.metrics()).toContain('homeostat_actions_launched_total 0');
  });

  it('uses a registry of its own: two sets never collide, the global registry stays empty', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.actionsLaunched.inc();
    expect(await b.registry.metrics()).toContain('homeostat_actions_launched_total 0');
    expect(await globalRegistry.metrics()).not.toContain('homeostat_');
  });

  it('adds the process and Node.js metrics unless told not to', async () => {
    expect(await createMetrics().registry.metrics()).toMatch(/^process_cpu_user_seconds_total /m);
    expect(await createMetrics().registry.metrics()).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(await createMetrics({ processMetrics: false }).registry.metrics()).not.toContain('process_cpu');
  });
});
