import { checker, expectation, expId, Simulation } from './simulation.js';

const MIN = 60_000;

describe('an Expectation partition', () => {
  it('is Unknown until checked, then acts, then is Satisfied', () => {
    const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report')] });
    const id = expId('report');
    expect(sim.phaseOf(id)).toBe('Unknown/NeverChecked');
    sim.step(); // check requested and answered: unsatisfied
    sim.step(); // action due: launched
    expect(sim.launches).toHaveLength(1);
    expect(sim.phaseOf(id)).toBe('WorkingOnIt/ActionStarted');
    sim.settle();
    expect(sim.phaseOf(id)).toBe('Satisfied/StateSatisfied');
    expect(sim.engine.lease(id)).toBeUndefined();
  });

  it('counts an action that succeeds without effect as a failed attempt, then Fails after the retry limit', () => {
    const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report')] });
    sim.onLaunch = () => 'succeed-without-effect';
    sim.settle(500, 10 * MIN);
    const id = expId('report');
    expect(sim.phaseOf(id)).toBe('Failed/RetriesExhausted');
    expect(sim.launches).toHaveLength(3); // limit 2: the first attempt and two retries
    expect(sim.engine.node(id)?.message).toContain('ActionDidNotSatisfy');
  });

  it('releases the lease when the state is fixed by hand while the action runs', () => {
    const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report', { recheckEvery: '5m' })] });
    sim.onLaunch = () => 'hang';
    sim.step();
    sim.step();
    const id = expId('report');
    expect(sim.engine.lease(id)).toBeDefined();
    sim.data.add(id);
    sim.advance(6 * MIN); // a recheck comes due, within the 10m lease
    const plan = sim.step();
    expect(plan.checks.length).toBe(1);
    const after = sim.step();
    expect(after.cancels.map((c) => c.reason)).toEqual(['StateSatisfied']);
    expect(sim.phaseOf(id)).toBe('Satisfied/StateSatisfied');
    expect(sim.engine.lease(id)).toBeUndefined();
  });
});
