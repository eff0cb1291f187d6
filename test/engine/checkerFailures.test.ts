import { ownerConditions, ownerStatus } from '../../src/engine/index.js';
import { expectationStatus } from '../../src/runtime/statusDocuments.js';
import { checker, expectation, expId, MIN, Simulation } from './simulation.js';

/**
 * Issue 9 item 8: a checker that crashes, hangs or gives no verdict leaves partitions Unknown with
 * a precise reason. That reason reaches the status (a bounded list, a phase reason, Degraded) and
 * one Event per owner and transition, never one per check.
 */
describe('partitions whose check failed', () => {
  const campaigns = (n: number) => Array.from({ length: n }, (_, i) => String(i + 1).padStart(2, '0'));
  const world = (n = 3, spec = {}) => ({ checkers: [checker()], expectations: [expectation('report', { partitions: { campaign: { values: campaigns(n) } }, ...spec })] });
  const id = (c: string) => expId('report', `campaign=${c}`);
  const statusOf = (sim: Simulation) => ownerStatus(sim.engine.owner({ kind: 'Expectation', namespace: 'default', name: 'report' }) as never, (n) => sim.engine.lease(n), (n) => sim.engine.retry(n));
  const conditionsOf = (sim: Simulation) => Object.fromEntries(ownerConditions(statusOf(sim), undefined, 1, sim.now).map((c) => [c.type, `${c.status}/${c.reason}: ${c.message}`]));
  const checkerEvents = (sim: Simulation) => sim.events().filter((e) => /^Checker|^NoVerdict/.test(e.reason)).map((e) => `${e.type} ${e.reason}: ${e.partition}: ${e.message}`);

  it('a crashing checker: listed with its reason, phase reason CheckerFailed, Degraded=True/CheckerFailing naming the partition', () => {
    const sim = new Simulation(world());
    for (const c of ['01', '02']) sim.data.add(id(c));
    sim.crashing.add(id('03'));
    sim.settle();
    const status = statusOf(sim);
    expect(status.phase).toBe('Unknown');
    expect(status.reason).toBe('CheckerFailed');
    expect(status.checkerFailures).toEqual([{ partition: 'campaign=03', reason: 'CheckerFailed', message: 'the checker exited with code 2' }]);
    expect(status.checkerFailuresNotShown).toBe(0);
    expect(conditionsOf(sim).Degraded).toBe('True/CheckerFailing: 1 without a verdict (campaign=03: CheckerFailed: the checker exited with code 2)');
    expect(expectationStatus(status, [], 1)).toMatchObject({ reason: 'CheckerFailed', partitions: { unknown: 1, satisfied: 2 }, checkerFailures: [{ partition: 'campaign=03', reason: 'CheckerFailed' }] });
  });

  it('a checker that never answers: CheckerTimeout, in the list and the condition', () => {
    const sim = new Simulation(world(1));
    sim.checkerMode = 'silent';
    sim.step();
    sim.advance(MIN);
    sim.step();
    expect(statusOf(sim)).toMatchObject({ reason: 'CheckerTimeout', checkerFailures: [{ partition: 'campaign=01', reason: 'CheckerTimeout' }] });
    expect(conditionsOf(sim).Degraded).toMatch(/^True\/CheckerFailing: 1 without a verdict \(campaign=01: CheckerTimeout: /);
  });

  it('a verdict that leaves a partition out: NoVerdict', () => {
    const sim = new Simulation(world(1));
    sim.checkerMode = 'silent';
    sim.step();
    sim.engine.observe(id('01'), 'unknown', sim.now);
    sim.step();
    expect(statusOf(sim).checkerFailures).toEqual([{ partition: 'campaign=01', reason: 'NoVerdict', message: 'the checker gave no verdict for this partition' }]);
  });

  it('never checked is not a checker failure: Degraded stays False', () => {
    const sim = new Simulation(world(2));
    expect(statusOf(sim)).toMatchObject({ reason: 'NeverChecked', checkerFailures: [] });
    expect(conditionsOf(sim).Degraded).toBe('False/NoFailures: no failures');
  });

  it('keeps the list bounded and counts the rest', () => {
    const sim = new Simulation(world(30));
    sim.checkerMode = 'crash';
    sim.settle();
    const status = statusOf(sim);
    expect(status.checkerFailures).toHaveLength(20);
    expect(status.checkerFailures[0]?.partition).toBe('campaign=01');
    expect(status.checkerFailuresNotShown).toBe(10);
    expect(conditionsOf(sim).Degraded).toMatch(/^True\/CheckerFailing: 30 without a verdict \(campaign=01: CheckerFailed: /);
  });

  it('one Warning per owner and reason when partitions go into a checker failure, none while it goes on, one CheckerRecovered when they come out', () => {
    const sim = new Simulation(world(30, { recheckEvery: '1h' }));
    sim.checkerMode = 'crash';
    sim.settle();
    expect(checkerEvents(sim)).toEqual(['Warning CheckerFailed: campaign=01: no verdict: the checker exited with code 2; and 29 more partitions']);
    const seen = sim.events().length;
    sim.runUntil(sim.now + 30 * MIN, MIN); // the check is retried after its backoff, and fails again
    expect(sim.plans.some((p) => p.checks.length > 0)).toBe(true);
    expect(sim.events().slice(seen).filter((e) => e.reason === 'CheckerFailed')).toEqual([]);

    for (const c of campaigns(30)) sim.data.add(id(c));
    sim.checkerMode = 'answer';
    const before = sim.events().length;
    sim.runUntil(sim.now + 30 * MIN, MIN);
    expect(statusOf(sim)).toMatchObject({ phase: 'Satisfied', checkerFailures: [] });
    expect(sim.events().slice(before).filter((e) => e.reason === 'CheckerRecovered').map((e) => `${e.partition}: ${e.message}`)).toEqual([
      'campaign=01: the checker gives a verdict again (Satisfied); and 29 more partitions',
    ]);
    expect(conditionsOf(sim).Degraded).toBe('False/NoFailures: no failures');
  });

  it('a failed partition keeps Degraded\'s reason; the message counts the checker failures too', () => {
    const sim = new Simulation(world(2));
    sim.unrecoverable.set(id('01'), 'the source file is gone');
    sim.crashing.add(id('02'));
    sim.settle();
    expect(statusOf(sim).phase).toBe('Failed');
    expect(conditionsOf(sim).Degraded).toBe('True/Unrecoverable: 1 failed; campaign=01: the source file is gone; 1 without a verdict (campaign=02: CheckerFailed: the checker exited with code 2)');
  });
});
