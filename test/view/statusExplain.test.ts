import type { Dag } from '../../src/api/types.js';
import { ownerStates, stateFields } from '../../src/kube/leaseRecords.js';
import { StatusComposer } from '../../src/runtime/statusComposer.js';
import { explain, type ExplainStep } from '../../src/view/explain.js';
import { explainFromStatus } from '../../src/view/statusExplain.js';
import { dag, dagDependency, MIN, Simulation } from '../engine/simulation.js';

const TODAY = '2026-03-09';
const ADS = dag('ads', [{ name: 'load', retry: { limit: 1, backoff: { initial: '1m' } } }, { name: 'publish', dependsOn: ['load'] }], { from: '2026-03-07', every: 'P1D' });

/** ads load fails for TODAY until its retries are spent; the other days succeed. */
function failedLoad(): Simulation {
  const sim = new Simulation({ dags: [ADS] });
  sim.onLaunch = (l) => (l.partition === TODAY && l.task === 'load' ? 'fail' : 'succeed');
  sim.settle(500);
  sim.runUntil(sim.now + 15 * MIN, MIN);
  return sim;
}

/**
 * The Dag's status as the controller writes it: the composed summary (also what `homeostat dev`
 * writes into status.json), and in a cluster the engine's state with it (kube/statusStore.ts).
 */
function writtenStatus(sim: Simulation, inCluster: boolean, declared: Dag = ADS): Dag {
  const composer = new StatusComposer(sim.engine);
  composer.declare({ expectations: [], dags: [declared] });
  const [write] = composer.owners([{ kind: 'Dag', namespace: 'default', name: declared.metadata.name }], sim.now);
  const state = ownerStates(sim.engine.snapshot(false)).get(`Dag/default/${declared.metadata.name}`);
  const status = { ...write?.status, ...(inCluster && state !== undefined ? stateFields('Dag', state) : {}) };
  return { ...declared, status } as Dag;
}

const said = (steps: ExplainStep[]) => steps.map((s) => ({ what: s.what, phase: s.phase, reason: s.reason, message: s.message, rootCause: s.rootCause }));

describe('explain from the statuses, for a Dag', () => {
  it.each([
    ['in a cluster (summary and state)', true],
    ['in embedded mode (status.json)', false],
  ])('%s: names the failed period and its failed task with its last error, as the engine does', (_, inCluster) => {
    const sim = failedLoad();
    const target = { kind: 'Dag' as const, namespace: 'default', name: 'ads' };
    const engine = explain(sim.engine, target, sim.now);
    const fromStatus = explainFromStatus({ expectations: [], dags: [writtenStatus(sim, inCluster)] }, target);
    if (!engine.ok || !fromStatus.ok) throw new Error('no explanation');
    expect(fromStatus.value.partition).toBe(TODAY);
    expect(said(fromStatus.value.steps)).toEqual(said(engine.value.steps));
    expect(said(fromStatus.value.steps)).toEqual([
      { what: `Dag ads ${TODAY}`, phase: 'Failed', reason: 'TaskFailed', message: 'task load failed: 2 attempts failed; last: ActionFailed: exit code 1', rootCause: false },
      { what: `Dag ads task load ${TODAY}`, phase: 'Failed', reason: 'RetriesExhausted', message: '2 attempts failed; last: ActionFailed: exit code 1', rootCause: true },
    ]);
    // The retry record is in a cluster's status only.
    expect(fromStatus.value.steps[1]?.retry?.failures).toBe(inCluster ? 2 : undefined);
    // Asked for that period by name, the same.
    const named = explainFromStatus({ expectations: [], dags: [writtenStatus(sim, inCluster)] }, { ...target, partition: TODAY });
    expect(named.ok && said(named.value.steps)).toEqual(said(engine.value.steps));
  });

  it('a period whose tasks all succeeded says so, as the engine does (a cluster status records the successes)', () => {
    const sim = failedLoad();
    const target = { kind: 'Dag' as const, namespace: 'default', name: 'ads', partition: '2026-03-08' };
    const engine = explain(sim.engine, target, sim.now);
    const fromStatus = explainFromStatus({ expectations: [], dags: [writtenStatus(sim, true)] }, target);
    expect(fromStatus.ok && said(fromStatus.value.steps)).toEqual(engine.ok && said(engine.value.steps));
    expect(fromStatus.ok && said(fromStatus.value.steps)).toEqual([{ what: 'Dag ads 2026-03-08', phase: 'Satisfied', reason: 'Succeeded', message: 'every task succeeded for 2026-03-08', rootCause: true }]);
  });

  it("a Dag waiting on another's failed task follows it there, and says what the engine says of it", () => {
    const enrich = dag('enrich', [{ name: 'join' }], { from: '2026-03-07', every: 'P1D' });
    const sim = new Simulation({ dags: [ADS, enrich], dagDependencies: [dagDependency('enrich-inputs', 'enrich', [{ dag: 'ads', task: 'load' }])] });
    sim.onLaunch = (l) => (l.partition === TODAY && l.task === 'load' ? 'fail' : 'succeed');
    sim.settle(500);
    sim.runUntil(sim.now + 15 * MIN, MIN);
    const target = { kind: 'Dag' as const, namespace: 'default', name: 'enrich', partition: TODAY };
    const engine = explain(sim.engine, target, sim.now);
    const fromStatus = explainFromStatus({ expectations: [], dags: [writtenStatus(sim, true), writtenStatus(sim, true, enrich)] }, target);
    // The engine walks every input (enrich's task join waits on the same cause); a status only the first chain.
    expect(fromStatus.ok && said(fromStatus.value.steps)).toEqual(engine.ok && said(engine.value.steps.slice(0, 2)));
    expect(fromStatus.ok && fromStatus.value.steps.at(-1)).toMatchObject({ what: `Dag ads task load ${TODAY}`, reason: 'RetriesExhausted', retry: { failures: 2 } });
  });
});
