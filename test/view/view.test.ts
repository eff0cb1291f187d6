import { Engine } from '../../src/engine/index.js';
import { explain, explanationText } from '../../src/view/explain.js';
import { buildGraph } from '../../src/view/graph.js';
import { tryParseLabelSelector as parseSelector } from '../../src/api/labelSelector.js';
import { partitionSummary } from '../../src/view/partitionSummary.js';
import { checker, dag, dagDependency, expectation, HOUR, MIN, Simulation, taskId } from '../engine/simulation.js';

/** DESIGN.md's Mediator: enrich depends on Dag sold and on task load of Dag ads, all daily. */
const TODAY = '2026-03-09';
const mediator = () => ({
  dags: [
    dag('sold', [{ name: 'load' }, { name: 'aggregate', dependsOn: ['load'] }], { from: '2026-02-01', every: 'P1D' }),
    dag('ads', [{ name: 'load', retry: { limit: 1, backoff: { initial: '1m' } } }, { name: 'publish', dependsOn: ['load'] }], { from: '2026-02-01', every: 'P1D' }),
    dag('enrich', [{ name: 'join' }, { name: 'write', dependsOn: ['join'] }], { from: '2026-02-01', every: 'P1D' }),
  ],
  dagDependencies: [dagDependency('enrich-inputs', 'enrich', [{ dag: 'sold' }, { dag: 'ads', task: 'load', periods: 'Same' }])],
});

describe('the graph of the declared objects', () => {
  it('shows every Dag with its tasks, the task edges and each DagDependency upstream with its period mapping', () => {
    const world = mediator();
    const graph = buildGraph({ checkers: [], expectations: [], ...world });
    expect(graph.nodes.filter((n) => n.kind === 'Dag').map((n) => n.name).sort()).toEqual(['ads', 'enrich', 'sold']);
    expect(graph.nodes.filter((n) => n.kind === 'DagTask')).toHaveLength(6);
    const edges = graph.edges.map((e) => `${e.from} -> ${e.to} ${e.kind}${e.periods !== undefined ? ` ${e.periods}` : ''}`);
    expect(edges).toEqual(expect.arrayContaining([
      'Dag/default/sold -> Dag/default/enrich dagDependency Auto',
      'DagTask/default/ads/load -> Dag/default/enrich dagDependency Same',
      'DagTask/default/enrich/join -> DagTask/default/enrich/write task',
    ]));
  });

  it('links an Expectation to its checker, its inputs and the Dag its action runs, and filters by label and namespace', () => {
    const raw = expectation('raw', { dependsOn: [{ dag: 'sold', task: 'load' }], action: { dagRun: { dag: 'sold' } } });
    raw.metadata.labels = { team: 'ads' };
    const world = { checkers: [checker()], expectations: [raw], ...mediator() };
    const all = buildGraph(world);
    expect(all.edges.filter((e) => e.to === 'Expectation/default/raw' || e.from === 'Expectation/default/raw').map((e) => `${e.from} -> ${e.to} ${e.kind}`).sort()).toEqual([
      'DagTask/default/sold/load -> Expectation/default/raw dependsOn',
      'Expectation/default/raw -> Dag/default/sold dagRun',
      'StateChecker/default/files -> Expectation/default/raw checker',
    ]);
    const selector = parseSelector('team=ads');
    if (!selector.ok) throw new Error(selector.error);
    expect(buildGraph(world, { selector: selector.value }).nodes.map((n) => n.id)).toEqual(['Expectation/default/raw']);
    expect(buildGraph(world, { namespace: 'elsewhere' }).nodes).toEqual([]);
  });

  it('stays bounded: nodes past the cap are counted, not listed', () => {
    const dags = Array.from({ length: 50 }, (_, i) => dag(`d${i}`, [{ name: 't' }], { from: '2026-03-01', every: 'P1D' }));
    const graph = buildGraph({ checkers: [], expectations: [], dags, dagDependencies: [] }, { maxNodes: 10 });
    expect(graph.nodes).toHaveLength(10);
    expect(graph.nodesNotShown).toBe(90);
  });

  it('reads a bad label selector as an error naming the part', () => {
    expect(parseSelector('a=b,=c')).toEqual({ ok: false, error: 'label selector "a=b,=c": at character 5: expected a label key, found "="' });
  });
});

describe('explain', () => {
  /** Every day before TODAY has run; ads load fails for TODAY. */
  const failedAds = () => {
    const sim = new Simulation(mediator());
    sim.onLaunch = (l) => (l.partition === TODAY && l.owner.name === 'ads' && l.task === 'load' ? 'fail' : 'succeed');
    sim.settle(500);
    sim.runUntil(sim.now + HOUR, MIN);
    return sim;
  };

  it('a waiting Dag period names the failed upstream task and its message as the root cause', () => {
    const sim = failedAds();
    const result = explain(sim.engine, { kind: 'Dag', namespace: 'default', name: 'enrich', partition: TODAY }, sim.now);
    if (!result.ok) throw new Error(result.message);
    const [first] = result.value.steps;
    expect(first).toMatchObject({ what: `Dag enrich ${TODAY}`, phase: 'Waiting', reason: 'UpstreamFailed' });
    const root = result.value.steps.filter((s) => s.rootCause && s.phase !== 'Satisfied');
    expect(root.map((s) => s.node)).toEqual([taskId('ads', 'load', TODAY)]);
    expect(root[0]).toMatchObject({ phase: 'Failed', reason: 'RetriesExhausted', message: '2 attempts failed; last: ActionFailed: exit code 1', retry: { failures: 2 } });
    const text = explanationText(result.value).join('\n');
    expect(text).toContain(`Dag ads task load ${TODAY}: Failed (RetriesExhausted) 2 attempts failed; last: ActionFailed: exit code 1  <- root cause`);
  });

  it('without a partition, explains the object\'s most telling one (the failed or waiting period)', () => {
    const sim = failedAds();
    const result = explain(sim.engine, { kind: 'Dag', namespace: 'default', name: 'enrich' }, sim.now);
    expect(result.ok && result.value.partition).toBe(TODAY);
  });

  it('names the lease holder and its expiry while an upstream is at work', () => {
    const sim = new Simulation(mediator());
    sim.onLaunch = (l) => (l.partition === TODAY && l.owner.name === 'ads' ? 'hang' : 'succeed');
    sim.settle(500);
    const result = explain(sim.engine, { kind: 'Dag', namespace: 'default', name: 'enrich', partition: TODAY }, sim.now);
    if (!result.ok) throw new Error(result.message);
    const atWork = result.value.steps.find((s) => s.node === taskId('ads', 'load', TODAY));
    expect(atWork?.lease).toMatchObject({ holder: 'test', attempt: 1 });
    expect(Date.parse(atWork?.lease?.expiresAt ?? '')).toBeGreaterThan(sim.now);
  });

  it('answers 404 for an unknown object or partition', () => {
    const sim = new Simulation(mediator());
    expect(explain(sim.engine, { kind: 'Dag', namespace: 'default', name: 'nope' }, sim.now)).toMatchObject({ ok: false, status: 404 });
    expect(explain(sim.engine, { kind: 'Dag', namespace: 'default', name: 'enrich', partition: '1999-01-01' }, sim.now)).toMatchObject({ ok: false, status: 404 });
  });

  it('stays bounded in depth and steps on a Dag of 11,000 hourly periods waiting on another', () => {
    // 11,000+ hourly periods of b, each waiting for the same period of a, whose task hangs.
    const dags = [dag('a', [{ name: 't' }], { from: '2025-01-01T00:00:00Z', every: 'PT1H' }), dag('b', [{ name: 't' }], { from: '2025-01-01T00:00:00Z', every: 'PT1H' })];
    const sim = new Simulation({ dags, dagDependencies: [dagDependency('b-after-a', 'b', [{ dag: 'a' }])] }, Date.parse('2026-05-01T00:00:00Z'), { maxNodesPerObject: 100_000, maxNodesTotal: 1_000_000 });
    sim.onLaunch = () => 'hang';
    sim.step();
    const result = explain(sim.engine, { kind: 'Dag', namespace: 'default', name: 'b' }, sim.now, { maxDepth: 3, maxSteps: 50 });
    if (!result.ok) throw new Error(result.message);
    expect(result.value.steps.length).toBeLessThanOrEqual(50);
    expect(Math.max(...result.value.steps.map((s) => s.depth))).toBeLessThanOrEqual(3);
  });
});

describe('the partition summary', () => {
  it('stays small at 365k partitions: a bounded grid of time buckets x values, counts per phase', () => {
    const values = Array.from({ length: 1000 }, (_, i) => String(i));
    const big = expectation('big', { partitions: { date: { from: '2025-03-11', every: 'P1D' }, campaign: { values } } } as never);
    const engine = new Engine({ holder: 'test', maxNodesPerObject: 1_000_000, maxNodesTotal: 1_000_000 });
    engine.setWorld({ checkers: [checker()], expectations: [big], dags: [], dagDependencies: [], configMaps: new Map() }, Date.parse('2026-03-10T12:00:00Z'));
    const owner = engine.owner({ kind: 'Expectation', namespace: 'default', name: 'big' });
    if (owner === undefined) throw new Error('not compiled');
    const summary = partitionSummary(owner, (id) => engine.lease(id), (id) => engine.retry(id));
    expect(summary.total).toBe(365_000);
    expect(summary.counts.Unknown).toBe(365_000);
    expect(summary.buckets.length).toBeLessThanOrEqual(120);
    expect(summary.buckets.reduce((n, b) => n + b.periods, 0)).toBe(365);
    expect(summary.values).toHaveLength(50);
    expect(summary.values[49]).toBe('(other)');
    expect(summary.cells.length).toBeLessThanOrEqual(120 * 50);
    expect(summary.cells.reduce((n, c) => n + (c.counts.Unknown ?? 0), 0)).toBe(365_000);
    expect(JSON.stringify(summary).length).toBeLessThan(1_000_000);
  });
});
