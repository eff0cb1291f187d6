import { checker, expectation, expId, Simulation } from './simulation.js';

/** Events: what a person hears about. Bounded per pass, and never at the cost of a Warning. */
describe('the events of a pass', () => {
  const campaigns = (n: number) => ({ partitions: { campaign: { values: Array.from({ length: n }, (_, i) => String(i + 1)) } } });

  it('says a partition Failed once, with a Warning naming the reason, and not again at each recheck', () => {
    const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report', { recheckEvery: '1h' })] });
    sim.unrecoverable.set(expId('report'), 'gone');
    sim.runUntil(sim.now + 24 * 3_600_000, 3_600_000);
    expect(sim.events().map((e) => `${e.type}/${e.reason}: ${e.message}`)).toEqual(['Warning/Unrecoverable: gone']);
    expect(sim.checked.length).toBeGreaterThan(20);
  });

  it('names the owner, the node and the partition', () => {
    const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report', campaigns(1))] });
    sim.settle();
    expect(sim.events()[0]).toEqual({
      owner: { kind: 'Expectation', namespace: 'default', name: 'report' },
      node: expId('report', 'campaign=1'),
      partition: 'campaign=1',
      type: 'Normal',
      reason: 'ActionStarted',
      message: `started ${sim.launches[0]?.lease.action} (attempt 1)`,
    });
  });

  it('sums up what is beyond maxEventsPerPlan in one event', () => {
    const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report', campaigns(30))] }, undefined, { maxEventsPerPlan: 10 });
    sim.step();
    const plan = sim.step(); // 30 actions started
    expect(plan.events).toHaveLength(11);
    expect(plan.events[10]).toMatchObject({ type: 'Normal', reason: 'EventsSummarized', message: 'and 20 more events in this pass' });
  });

  it('keeps every Warning when a pass has more events than maxEventsPerPlan', () => {
    const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report', campaigns(30))] }, undefined, { maxEventsPerPlan: 10 });
    sim.unrecoverable.set(expId('report', 'campaign=30'), 'gone');
    sim.step();
    const plan = sim.step(); // 29 actions started, and one partition Failed
    expect(plan.events.filter((e) => e.type === 'Warning').map((e) => e.partition)).toEqual(['campaign=30']);
    expect(plan.events).toHaveLength(11);
  });
});
