import { NodeRecord } from '../../src/engine/model.js';
import { NodeStore } from '../../src/engine/nodeStore.js';
import { partitionSpace } from '../../src/engine/partitions.js';
import { checker, expectation, expId, Simulation } from './simulation.js';

describe('the node store (typed arrays per node slot)', () => {
  it('hands a released slot out again as a node never checked', () => {
    const store = new NodeStore(2);
    const space = partitionSpace({ campaign: { values: ['1', '2'] } }, 0);
    if (!space.ok) throw new Error(space.error);
    const owner = { key: 'Expectation/default/raw', store, space: space.value } as unknown as NodeRecord['owner'];
    const policy = { rule: 'check' } as NodeRecord['policy'];
    const gone = new NodeRecord(owner, policy, undefined);
    gone.row = 1;
    expect(gone.id).toBe('Expectation/default/raw|campaign=2');
    gone.checkFailures = 3;
    gone.nextCheckAt = 12_345;
    gone.phase = 'Failed';
    gone.reason = 'RetriesExhausted';
    gone.observation = { verdict: 'unknown', at: 5, reason: 'CheckerFailed', message: 'exit code 2' };
    const slot = gone.slot;
    const id = gone.id;
    gone.release();
    expect(gone.id).toBe(id); // a removed node's cancel and events still name it
    const next = new NodeRecord(owner, policy, undefined);
    expect(next.slot).toBe(slot);
    expect([next.checkFailures, next.nextCheckAt, next.phase, next.reason, next.observation, next.wakeAt, next.alive]).toEqual([0, 0, 'Unknown', 'NeverChecked', undefined, Infinity, true]);
  });

  it('keeps a removed node, still held somewhere, from writing into the node that took its slot', () => {
    const store = new NodeStore(2);
    const owner = { key: 'Expectation/default/raw', store } as unknown as NodeRecord['owner'];
    const policy = { rule: 'check' } as NodeRecord['policy'];
    const gone = new NodeRecord(owner, policy, undefined);
    gone.release();
    const next = new NodeRecord(owner, policy, undefined);
    gone.wakeAt = 99;
    gone.queued = true;
    gone.checkDeadline = 42;
    expect([next.wakeAt, next.queued, next.checkDeadline]).toEqual([Infinity, false, 0]);
    expect(gone.alive).toBe(false);
  });

  it('grows past its first capacity without losing what it holds', () => {
    const store = new NodeStore(2);
    const owner = { key: 'Expectation/default/raw', store } as unknown as NodeRecord['owner'];
    const policy = { rule: 'check' } as NodeRecord['policy'];
    const nodes = Array.from({ length: 50 }, (_, i) => {
      const node = new NodeRecord(owner, policy, undefined);
      node.doneAt = i + 1;
      return node;
    });
    expect(nodes.map((n) => n.doneAt)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(store.size).toBe(50);
  });
});

describe('nodes whose slot is reused by the engine', () => {
  it('a campaign removed while its check was backing off, and one added in the same change, is checked at once', () => {
    const sim = new Simulation({ checkers: [checker()], expectations: [expectation('raw', { partitions: { campaign: { values: ['1', '2'] } } })] });
    sim.crashing.add(expId('raw', 'campaign=2'));
    sim.step(); // campaign 2's check crashes
    sim.step(); // and it is Unknown, to be checked again after a backoff
    expect(sim.phaseOf(expId('raw', 'campaign=2'))).toBe('Unknown/CheckerFailed');
    sim.setWorld({ checkers: [checker()], expectations: [expectation('raw', { partitions: { campaign: { values: ['1', '3'] } } }, 2)] });
    const plan = sim.step();
    expect(plan.checks.flatMap((c) => c.items.map((i) => i.node))).toContain(expId('raw', 'campaign=3'));
    expect(sim.phaseOf(expId('raw', 'campaign=2'))).toBeUndefined();
    expect(sim.engine.observe(expId('raw', 'campaign=2'), 'satisfied', sim.now)).toBe(false);
  });

  it('finds partitions whose values hold `/`, `=` and `%` by their id, and nothing for a value not declared', () => {
    const values = ['a/b', 'x=y', '50%', 'plain'];
    const sim = new Simulation({ checkers: [checker()], expectations: [expectation('raw', { partitions: { path: { values } } })] });
    const plan = sim.step();
    const ids = plan.checks.flatMap((c) => c.items.map((i) => i.node));
    expect(ids).toHaveLength(4);
    for (const id of ids) expect(sim.engine.node(id)?.id).toBe(id);
    expect(plan.checks.flatMap((c) => c.items.map((i) => i.values['path']))).toEqual(values);
    expect(sim.engine.node(expId('raw', 'path=other'))).toBeUndefined();
    expect(sim.engine.node(expId('raw', 'path=plain/extra=1'))).toBeUndefined();
  });
});
