import { ownerConditions, ownerStatus } from '../../src/engine/index.js';
import { checker, expectation, expId, MIN, Simulation } from './simulation.js';

/** Issue 10 item 3: an owner that turns invalid for a while keeps its leases and running actions. */
describe('an Expectation whose StateChecker is deleted while its action runs', () => {
  const node = expId('load', 'campaign=1');
  const other = expId('load', 'campaign=2');
  const load = () => expectation('load', { partitions: { campaign: { values: ['1', '2'] } } });
  const withChecker = () => ({ checkers: [checker()], expectations: [load()] });
  const withoutChecker = () => ({ checkers: [], expectations: [load()] });

  /** Campaign 1 is being loaded (its action hangs), campaign 2 holds. */
  const running = () => {
    const sim = new Simulation(withChecker());
    sim.data.add(other);
    sim.onLaunch = () => 'hang';
    sim.settle();
    expect(sim.running.has(node)).toBe(true);
    return sim;
  };

  it('keeps the lease and the action, says Valid=False, and launches or checks nothing meanwhile', () => {
    const sim = running();
    const checksBefore = sim.checked.length;
    sim.setWorld(withoutChecker());
    sim.advance(6 * 60 * MIN); // a recheck would be due by now
    sim.settle();
    expect(sim.cancels()).toEqual([]);
    expect(sim.engine.lease(node)).toEqual(expect.objectContaining({ attempt: 1 }));
    expect(sim.running.has(node)).toBe(true);
    expect(sim.checked.length).toBe(checksBefore);
    expect(sim.launchesOf(node)).toHaveLength(1);
    const owner = sim.engine.owner({ kind: 'Expectation', namespace: 'default', name: 'load' });
    if (owner === undefined) throw new Error('no owner');
    const status = ownerStatus(owner, (n) => sim.engine.lease(n), (n) => sim.engine.retry(n));
    expect(status.leases.map((l) => l.partition)).toEqual(['campaign=1']);
    expect(ownerConditions(status, undefined, 1, sim.now).find((c) => c.type === 'Valid')).toEqual(
      expect.objectContaining({ status: 'False', reason: 'UnknownReference', message: 'spec.checker.ref: StateChecker files not found in namespace default' }),
    );
  });

  it('records an action that ends while it is invalid, and carries on with the same nodes once the checker is back: no second launch', () => {
    const sim = running();
    sim.setWorld(withoutChecker());
    sim.settle();
    sim.finish(node, 'succeed');
    sim.settle();
    expect(sim.engine.lease(node)?.outcome).toBe('succeeded');
    sim.setWorld(withChecker());
    sim.settle();
    expect(sim.phaseOf(node)).toBe('Satisfied/StateSatisfied');
    expect(sim.phaseOf(other)).toBe('Satisfied/StateSatisfied');
    expect(sim.launchesOf(node)).toHaveLength(1);
    expect(sim.launches).toHaveLength(1);
    expect(sim.cancels()).toEqual([]);
  });

  it('carries on with an action still running when the checker comes back', () => {
    const sim = running();
    sim.setWorld(withoutChecker());
    sim.settle();
    sim.setWorld(withChecker());
    sim.settle();
    expect(sim.phaseOf(node)).toBe('WorkingOnIt/ActionRunning');
    sim.finish(node, 'succeed');
    sim.settle();
    expect(sim.phaseOf(node)).toBe('Satisfied/StateSatisfied');
    expect(sim.launches).toHaveLength(1);
    expect(sim.cancels()).toEqual([]);
  });

  it('keeps the lease through a restart while it is invalid, and carries on with it afterwards', () => {
    const sim = running();
    sim.setWorld(withoutChecker());
    sim.settle();
    sim.restart();
    sim.settle();
    expect(sim.engine.snapshot().leases).toEqual([expect.objectContaining({ node, attempt: 1 })]);
    sim.setWorld(withChecker());
    sim.finish(node, 'succeed');
    sim.settle();
    expect(sim.phaseOf(node)).toBe('Satisfied/StateSatisfied');
    expect(sim.launches).toHaveLength(1);
    expect(sim.cancels()).toEqual([]);
  });

  it('cancels the action of a lease kept through a restart once the Expectation is deleted', () => {
    const sim = running();
    sim.setWorld(withoutChecker());
    sim.restart();
    sim.settle();
    sim.setWorld({ checkers: [], expectations: [] });
    sim.settle();
    expect(sim.cancels()).toEqual([expect.objectContaining({ node, reason: 'NodeRemoved' })]);
    expect(sim.engine.snapshot().leases).toEqual([]);
  });

  it('cancels the action as before once the Expectation itself is deleted', () => {
    const sim = running();
    sim.setWorld(withoutChecker());
    sim.settle();
    sim.setWorld({ checkers: [], expectations: [] });
    sim.settle();
    expect(sim.cancels()).toEqual([expect.objectContaining({ node, reason: 'NodeRemoved' })]);
    expect(sim.engine.lease(node)).toBeUndefined();
  });
});

describe('an Expectation whose valuesFrom ConfigMap cannot be read for a while', () => {
  const node = expId('load', 'campaign=1');
  const load = () => expectation('load', { partitions: { campaign: { valuesFrom: { configMap: 'campaigns', key: 'ids' } } } });
  const readable = () => ({ checkers: [checker()], expectations: [load()], configMaps: new Map([['default/campaigns', { ids: '1\n' }]]) });
  const unreadable = () => ({ checkers: [checker()], expectations: [load()], configMaps: new Map(), configMapErrors: new Map([['default/campaigns', 'HTTP 503']]) });

  it('is Valid=False ConfigMapUnreadable (not missing), keeps its running action, and carries on once the read works', () => {
    const sim = new Simulation(readable());
    sim.onLaunch = () => 'hang';
    sim.settle();
    sim.setWorld(unreadable());
    sim.settle();
    expect(sim.engine.problems()).toEqual([
      expect.objectContaining({ name: 'load', reason: 'ConfigMapUnreadable', message: 'partitions.campaign.valuesFrom: ConfigMap campaigns could not be read (HTTP 503); trying again' }),
    ]);
    expect(sim.cancels()).toEqual([]);
    expect(sim.engine.lease(node)).toBeDefined();
    sim.setWorld(readable());
    sim.finish(node, 'succeed');
    sim.settle();
    expect(sim.phaseOf(node)).toBe('Satisfied/StateSatisfied');
    expect(sim.launches).toHaveLength(1);
    expect(sim.cancels()).toEqual([]);
  });
});
