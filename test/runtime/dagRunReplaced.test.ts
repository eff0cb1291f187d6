import { describe, expect, it } from '@jest/globals';
import type { Dag, DagRun } from '../../src/api/types.js';
import { type ActionLaunch, emptyWorld } from '../../src/engine/index.js';
import { convergence } from '../../src/runtime/convergence.js';
import { silentLogger } from '../../src/runtime/log.js';
import { type ActionEnd, type Ports, systemClock } from '../../src/runtime/ports.js';
import { Reconciler } from '../../src/runtime/reconciler.js';

const PERIOD = '2026-01-01';
const ETL: Dag = {
  apiVersion: 'homeostat.dev/v1alpha1',
  kind: 'Dag',
  metadata: { name: 'etl', namespace: 'default', generation: 1 },
  spec: { periods: { from: PERIOD, to: PERIOD, every: 'P1D' }, tasks: [{ name: 'load', job: { template: { spec: { containers: [{ name: 'load', image: 'x', command: ['load'] }] } } } }] },
};
/** A user's DagRun asking for the period again; `uid` tells one object from another of the same name. */
const again = (uid: string): DagRun => ({ apiVersion: 'homeostat.dev/v1alpha1', kind: 'DagRun', metadata: { name: 'again', namespace: 'default', uid }, spec: { dag: 'etl', period: PERIOD } });

/** Ports where every launched Job succeeds at once; keeps the launches and the DagRun statuses written. */
function fakePorts(): { ports: Ports; launches: ActionLaunch[]; runs: Map<string, Record<string, unknown>> } {
  const launches: ActionLaunch[] = [];
  const runs = new Map<string, Record<string, unknown>>();
  let ended: (end: ActionEnd) => void = () => undefined;
  const ports: Ports = {
    clock: systemClock,
    actions: {
      onEnded: (listener) => void (ended = listener),
      launch: async (l) => {
        launches.push(l);
        setImmediate(() => ended({ node: l.node, attempt: l.lease.attempt, action: l.lease.action, outcome: 'succeeded' }));
      },
      cancel: async () => undefined,
      adopt: async () => undefined,
    },
    checks: { onAnswer: () => undefined, request: async () => undefined },
    state: { load: async () => undefined, save: async () => undefined },
    status: {
      writeStatus: async () => undefined,
      writeRun: async (run, status) => void runs.set(run.name, status),
      removeRun: async (run) => void runs.delete(run.name),
      recordEvent: () => undefined,
    },
  };
  return { ports, launches, runs };
}

async function settled(reconciler: Reconciler): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(reconciler.idle() && convergence(reconciler.engine).converged)) {
    if (Date.now() > deadline) throw new Error('not settled');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('a DagRun deleted and created again under the same name', () => {
  it('between two passes, is a new run of its period: its Job runs again and its status is its own', async () => {
    const { ports, launches, runs } = fakePorts();
    const reconciler = await Reconciler.start(ports, { holder: 'test', log: silentLogger(), newDagGraceMs: 0 });
    const declare = (dagRuns: DagRun[]) => reconciler.setDeclared({ world: { ...emptyWorld(), dags: [ETL] }, side: { checkers: [], dagDependencies: [], dagRuns } });
    declare([]);
    await settled(reconciler);
    expect(launches).toHaveLength(1); // the period's scheduled run

    declare([again('uid-1')]);
    await settled(reconciler);
    expect(launches).toHaveLength(2);
    expect(runs.get('again')).toMatchObject({ phase: 'Succeeded' });
    const first = runs.get('again')?.startedAt;

    // kubectl delete, then kubectl create: no pass in between saw the DagRun gone.
    await new Promise((r) => setTimeout(r, 1100)); // status times are in seconds
    const recreatedAt = Date.now();
    declare([again('uid-2')]);
    await settled(reconciler);
    await reconciler.stop();

    expect(launches).toHaveLength(3);
    expect(runs.get('again')).toMatchObject({ phase: 'Succeeded' });
    expect(runs.get('again')?.startedAt).not.toBe(first);
    expect(Date.parse(String(runs.get('again')?.startedAt))).toBeGreaterThanOrEqual(Math.floor(recreatedAt / 1000) * 1000);
  });
});
