import { ownerStatus } from '../../src/engine/index.js';
import { checker, dag, expectation, expId, HOUR, MIN, Simulation, taskId } from './simulation.js';

const SECOND = 1000;

/**
 * DESIGN.md rule 1, told as the story of issue 9: the checker is the truth, so an action is never
 * launched on an observation older than the last attempt. A person who fixes the data by hand is
 * seen at the next retry at the latest, and nothing is launched onto data that is already there.
 */
describe('a manual fix while an action keeps failing', () => {
  const load = expId('load');
  const alwaysFailing = (limit = 5) => {
    const sim = new Simulation({ checkers: [checker()], expectations: [expectation('load', { recheckEvery: '1h', retry: { limit, backoff: { initial: '20s', max: '10m' } } })] });
    sim.onLaunch = () => 'fail';
    return sim;
  };

  it('is seen at the next retry time: checked, Satisfied, no new launch', () => {
    const sim = alwaysFailing();
    sim.step(); // checked: unsatisfied
    sim.step(); // attempt 1 launched; it fails
    sim.step(); // the failure is reported: backoff 20 s
    expect(sim.phaseOf(load)).toBe('Pending/Backoff');
    const checksBefore = sim.checked.length;

    sim.advance(10 * SECOND);
    sim.data.add(load); // a person fixes it by hand during the backoff
    sim.runUntil(sim.now + 56 * SECOND, SECOND); // 66 s after the failure

    expect(sim.checked.length).toBe(checksBefore + 1); // one check, at the retry time
    expect(sim.phaseOf(load)).toBe('Satisfied/StateSatisfied');
    expect(sim.launches).toHaveLength(1);
    expect(sim.engine.retry(load)).toBeUndefined(); // satisfied: its failed attempts are behind it
  });

  it('checks once before each retry, and launches when the check still says unsatisfied', () => {
    const sim = alwaysFailing(2);
    sim.runUntil(sim.now + 30 * MIN, 5 * SECOND);
    expect(sim.launches.map((l) => l.lease.attempt)).toEqual([1, 2, 3]);
    expect(sim.checked).toHaveLength(3); // the first check, then one per retry: no check storm
    expect(sim.phaseOf(load)).toBe('Failed/RetriesExhausted');
    expect(sim.engine.retry(load)).toMatchObject({ failures: 3, attempts: 3 }); // a check spends no attempt
  });

  it('says it is checking before the retry while that check is in flight', () => {
    const sim = alwaysFailing();
    sim.step();
    sim.step();
    sim.step();
    sim.checkerMode = 'silent';
    sim.advance(20 * SECOND);
    const plan = sim.step();
    expect(plan.checks.flatMap((c) => c.items.map((i) => i.node))).toEqual([load]);
    expect(plan.launches).toHaveLength(0);
    expect(sim.phaseOf(load)).toBe('Pending/Rechecking');
    expect(sim.messageOf(load)).toBe('checking the state again before attempt 2');
  });

  it('turns a Failed partition Satisfied at the next recheck after a manual fix, and forgets its failures', () => {
    const sim = alwaysFailing(1);
    sim.runUntil(sim.now + 10 * MIN, 5 * SECOND);
    expect(sim.phaseOf(load)).toBe('Failed/RetriesExhausted');
    const launches = sim.launches.length;
    const lastCheck = sim.now;

    sim.data.add(load);
    sim.runUntil(sim.now + HOUR, 5 * MIN);
    expect(sim.phaseOf(load)).toBe('Satisfied/StateSatisfied');
    expect(sim.launches).toHaveLength(launches);
    expect(sim.engine.retry(load)).toBeUndefined();
    const owner = sim.engine.owners()[0];
    if (owner === undefined) throw new Error('no owner');
    expect(ownerStatus(owner, (n) => sim.engine.lease(n), (n) => sim.engine.retry(n)).failures).toEqual([]);

    // Deleted again later: it is acted on afresh, with its whole retry budget.
    sim.data.delete(load);
    sim.onLaunch = () => 'succeed';
    sim.runUntil(lastCheck + 3 * HOUR, 5 * MIN);
    expect(sim.phaseOf(load)).toBe('Satisfied/StateSatisfied');
    expect(sim.launches.slice(launches).map((l) => l.lease.attempt)).toEqual([1]);
  });

  it('leaves Dag tasks as they were: their rule is Make, a retry needs no checker', () => {
    const sim = new Simulation({ dags: [dag('ads', [{ name: 'load', retry: { limit: 2, backoff: { initial: '1m', max: '5m' } } }], { from: '2026-03-09', every: 'P1D' })] });
    sim.onLaunch = () => 'fail';
    sim.runUntil(sim.now + HOUR, MIN);
    expect(sim.launchesOf(taskId('ads', 'load', '2026-03-09'))).toHaveLength(3);
    expect(sim.checked).toHaveLength(0);
    expect(sim.phaseOf(taskId('ads', 'load', '2026-03-09'))).toBe('Failed/RetriesExhausted');
  });
});
