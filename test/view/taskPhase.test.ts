import type { Dag, DefinitionSource } from '../../src/api/types.js';
import { buildGraph } from '../../src/view/graph.js';
import { taskPhases } from '../../src/view/taskPhase.js';
import { dag } from '../engine/simulation.js';

/** ads: fetch -> load -> publish, daily; load may retry once (limit 1). */
const ads = (status: Dag['status']): Dag => {
  const d = dag('ads', [{ name: 'fetch' }, { name: 'load', dependsOn: ['fetch'], retry: { limit: 1 } }, { name: 'publish', dependsOn: ['load'] }], { from: '2026-11-28', every: 'P1D' });
  return status !== undefined ? { ...d, status } : d;
};
const at = '2026-12-01T10:00:00Z';
const success = (task: string, period: string) => ({ task, period, startedAt: at, finishedAt: at });
const phases = (d: Dag) => Object.fromEntries([...taskPhases(d)].map(([task, p]) => [task, `${p.phase}/${p.reason}`]));

describe('the phase of a Dag task, from the Dag status as the controller writes it', () => {
  it('has none before a controller wrote a status (the page says Unknown)', () => {
    expect(phases(ads(undefined))).toEqual({});
  });

  it('is Satisfied for every task of a Satisfied Dag', () => {
    expect(phases(ads({ phase: 'Satisfied', reason: 'Succeeded' }))).toEqual({ fetch: 'Satisfied/Succeeded', load: 'Satisfied/Succeeded', publish: 'Satisfied/Succeeded' });
  });

  it('a task whose retries are exhausted is Failed; the task after it Waiting; the task before it, which succeeded, Satisfied', () => {
    const status: Dag['status'] = {
      phase: 'Failed',
      reason: 'TaskFailed',
      retries: [{ key: 'load|2026-11-30', failures: 2, attempts: 2, reason: 'RetriesExhausted', message: '2 attempts failed', nextAttemptAt: at }],
      successes: [success('fetch', '2026-11-29'), success('fetch', '2026-11-30')],
    };
    expect(phases(ads(status))).toEqual({ fetch: 'Satisfied/Succeeded', load: 'Failed/RetriesExhausted', publish: 'Waiting/UpstreamFailed' });
  });

  it('a task backing off before its next attempt is Pending; one with a live lease WorkingOnIt', () => {
    const status: Dag['status'] = {
      phase: 'WorkingOnIt',
      leases: [{ partition: 'fetch@2026-11-30', key: 'fetch|2026-11-30', attempt: 1, holder: 'c', action: 'ads-fetch-1', acquiredAt: at, expiresAt: at }],
      retries: [{ key: 'load|2026-11-29', failures: 1, attempts: 1, reason: 'ActionFailed', message: 'exit code 1', nextAttemptAt: at }],
      successes: [success('fetch', '2026-11-29')],
    };
    expect(phases(ads(status))).toEqual({ fetch: 'WorkingOnIt/ActionRunning', load: 'Pending/ActionFailed', publish: 'Waiting/UpstreamNotSatisfied' });
  });

  it('without retry records (embedded status.json), the Degraded condition names the failed task', () => {
    const status: Dag['status'] = {
      phase: 'Failed',
      conditions: [{ type: 'Degraded', status: 'True', reason: 'RetriesExhausted', message: '3 failed; load@2026-11-28: 2 attempts failed', lastTransitionTime: at }],
      successes: [success('fetch', '2026-11-30')],
    };
    expect(phases(ads(status))).toEqual({ fetch: 'Satisfied/Succeeded', load: 'Failed/RetriesExhausted', publish: 'Waiting/UpstreamFailed' });
  });

  it('a Dag waiting on an input: its first task waits with the reason, the rest wait on it', () => {
    const status: Dag['status'] = { phase: 'Waiting', waiting: [{ period: '2026-11-30', reason: 'UpstreamFailed', message: 'Dag sold 2026-11-30 is Failed' }] };
    expect(phases(ads(status))).toEqual({ fetch: 'Waiting/UpstreamFailed', load: 'Waiting/UpstreamNotSatisfied', publish: 'Waiting/UpstreamNotSatisfied' });
  });

  it('the graph carries the task phases on the DagTask nodes', () => {
    const status: Dag['status'] = { phase: 'Failed', retries: [{ key: 'load|2026-11-30', failures: 2, attempts: 2, reason: 'RetriesExhausted', message: '', nextAttemptAt: at }], successes: [success('fetch', '2026-11-30')] };
    const graph = buildGraph({ checkers: [], expectations: [], dags: [ads(status)], dagDependencies: [] });
    expect(graph.nodes.filter((n) => n.kind === 'DagTask').map((n) => `${n.task ?? ''} ${n.phase ?? '-'}`)).toEqual(['fetch Satisfied', 'load Failed', 'publish Waiting']);
  });
});

describe('DefinitionSources in the graph', () => {
  const source = (name: string, ready: 'True' | 'False'): DefinitionSource => ({
    apiVersion: 'homeostat.dev/v1alpha1',
    kind: 'DefinitionSource',
    metadata: { name, namespace: 'default' },
    spec: { directory: { path: '/defs' } },
    status: { counts: { files: 2, objects: 1 }, conditions: [{ type: 'Ready', status: ready, reason: ready === 'True' ? 'Scanned' : 'SourceUnreachable', message: '', lastTransitionTime: at }] },
  });

  it('shows each source with its scan state, and an edge to every object it loaded (label homeostat.dev/source)', () => {
    const loaded = ads(undefined);
    loaded.metadata.labels = { 'homeostat.dev/source': 'team-defs' };
    const graph = buildGraph({ checkers: [], expectations: [], dags: [loaded, dag('by-hand', [{ name: 't' }])], dagDependencies: [], sources: [source('team-defs', 'True'), source('broken', 'False')] });
    expect(graph.nodes.filter((n) => n.kind === 'DefinitionSource').map((n) => `${n.id} ${n.phase ?? '-'} ${n.reason ?? '-'} ${JSON.stringify(n.counts)}`)).toEqual([
      'DefinitionSource/default/team-defs Satisfied Scanned {"files":2,"objects":1}',
      'DefinitionSource/default/broken Failed SourceUnreachable {"files":2,"objects":1}',
    ]);
    expect(graph.edges.filter((e) => e.kind === 'source').map((e) => `${e.from} -> ${e.to}`)).toEqual(['DefinitionSource/default/team-defs -> Dag/default/ads']);
  });
});
