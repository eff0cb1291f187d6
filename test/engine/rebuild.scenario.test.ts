import type { ActionLaunch } from '../../src/engine/index.js';
import { checker, expectation, expId, HOUR, MIN, Simulation } from './simulation.js';

/**
 * Make's rule for Expectations (`dependsOn[].rebuild: OnInputChange`): raw files per day and
 * campaign, summed up per day. When campaign 8 is added, its raw files are built and each day's
 * aggregate, built from 7 campaigns, is built again once; the default (Never) leaves it as it is.
 */
describe('rebuild on input change: raw (date x campaign) -> daily aggregate (date)', () => {
  const DAYS = ['2026-03-08', '2026-03-09', '2026-03-10'];
  const campaigns = (n: number) => Array.from({ length: n }, (_, i) => String(i + 1));
  const raw = (date: string, campaign: string) => expId('raw', `date=${date}/campaign=${campaign}`);
  const daily = (date: string) => expId('daily', `date=${date}`);
  const AGGREGATE_SLOTS = 2;

  const world = (campaignCount: number, rebuild?: 'Never' | 'OnInputChange') => {
    const date = { from: DAYS[0] as string, to: 'today', every: 'P1D' };
    return {
      checkers: [checker('files')],
      expectations: [
        expectation('raw', { partitions: { date, campaign: { values: campaigns(campaignCount) } } }),
        expectation('daily', {
          partitions: { date },
          dependsOn: [{ expectation: 'raw', ...(rebuild !== undefined ? { rebuild } : {}) }],
          maxConcurrentActions: AGGREGATE_SLOTS,
        }),
      ],
    };
  };

  /** Runs like Simulation.runUntil, and returns the most aggregate leases held at once. */
  const runWatching = (sim: Simulation, until: number, tick: number): number => {
    let most = 0;
    const owner = () => sim.engine.owner({ kind: 'Expectation', namespace: 'default', name: 'daily' });
    for (let i = 0; i < 10_000 && sim.now < until; i++) {
      const plan = sim.step();
      const held = owner();
      most = Math.max(most, held === undefined ? 0 : sim.engine.leasesOf(held).length);
      if (plan.checks.length === 0 && plan.launches.length === 0) sim.now = Math.min(until, plan.nextWakeAt !== undefined ? Math.max(sim.now + 1, Math.min(plan.nextWakeAt, sim.now + tick)) : sim.now + tick);
    }
    return most;
  };

  const dailyLaunches = (launches: ActionLaunch[]) => launches.filter((l) => l.owner.name === 'daily').map((l) => l.partition).sort();

  /** Everything built from 7 campaigns, and settled. */
  const converged = (rebuild?: 'Never' | 'OnInputChange') => {
    const sim = new Simulation(world(7, rebuild));
    sim.runUntil(sim.now + HOUR, 5 * MIN);
    for (const d of DAYS) expect(sim.phaseOf(daily(d))).toBe('Satisfied/StateSatisfied');
    expect(dailyLaunches(sim.launches)).toEqual(DAYS.map((d) => `date=${d}`));
    return sim;
  };

  /** A fixed point: nothing is due, and hours of rechecks launch nothing. */
  const expectFixedPoint = (sim: Simulation) => {
    const before = sim.launches.length;
    sim.runUntil(sim.now + 7 * HOUR, 30 * MIN); // one recheck of everything, within the same day
    expect(sim.launches.slice(before)).toEqual([]);
    expect(sim.engine.pendingCount()).toBe(0);
    for (const d of DAYS) expect(sim.phaseOf(daily(d))).toBe('Satisfied/StateSatisfied');
  };

  it('adding campaign 8 builds its raw files, then rebuilds each day once, at most 2 at a time', () => {
    const sim = converged('OnInputChange');
    const before = sim.launches.length;
    sim.setWorld(world(8, 'OnInputChange'));
    const most = runWatching(sim, sim.now + HOUR, 5 * MIN);

    const added = sim.launches.slice(before);
    expect(added.filter((l) => l.owner.name === 'raw').map((l) => l.partition).sort()).toEqual(DAYS.map((d) => `date=${d}/campaign=8`));
    expect(dailyLaunches(added)).toEqual(DAYS.map((d) => `date=${d}`)); // each day exactly once
    expect(most).toBe(AGGREGATE_SLOTS);
    // Every aggregate launch came after the raw file of its day was made.
    for (const d of DAYS) expect(added.findIndex((l) => l.node === raw(d, '8'))).toBeLessThan(added.findIndex((l) => l.node === daily(d)));
    expectFixedPoint(sim);
  });

  it('a rebuild held back by the concurrency limit is Pending/InputChanged, naming the input', () => {
    const sim = converged('OnInputChange');
    sim.setWorld(world(8, 'OnInputChange'));
    const seen = new Map<string, string>();
    for (let i = 0; i < 20; i++) {
      sim.step();
      for (const d of DAYS) if (sim.phaseOf(daily(d)) === 'Pending/InputChanged') seen.set(d, sim.messageOf(daily(d)) ?? '');
    }
    expect(seen.size).toBe(DAYS.length - AGGREGATE_SLOTS); // the days held back by the concurrency limit
    for (const [d, message] of seen) expect(message).toBe(`Expectation raw date=${d}/campaign=8 was made again after this partition was built; waiting for a free slot (concurrency limit)`);
  });

  it('a raw file fixed by hand (unsatisfied, then satisfied without action) rebuilds its day once', () => {
    const sim = converged('OnInputChange');
    const broken = raw('2026-03-09', '3');
    sim.onLaunch = (l) => (l.node === broken ? 'fail' : 'succeed');
    sim.data.delete(broken);
    sim.engine.observe(broken, 'unsatisfied', sim.now);
    sim.runUntil(sim.now + HOUR, 5 * MIN);
    expect(sim.phaseOf(broken)).toBe('Failed/RetriesExhausted');
    const before = sim.launches.length;

    sim.data.add(broken);
    sim.engine.observe(broken, 'satisfied', sim.now);
    sim.runUntil(sim.now + HOUR, 5 * MIN);
    expect(sim.phaseOf(broken)).toBe('Satisfied/StateSatisfied');
    expect(sim.launches.slice(before).map((l) => l.node)).toEqual([daily('2026-03-09')]);
    expectFixedPoint(sim);
  });

  it('a satisfied verdict taken while a rebuild runs does not end it: only the check after it does', () => {
    const sim = converged('OnInputChange');
    const day = daily('2026-03-08');
    sim.onLaunch = (l) => (l.node === day ? 'hang' : 'succeed');
    sim.setWorld(world(8, 'OnInputChange'));
    sim.settle();
    expect(sim.phaseOf(day)).toMatch(/^WorkingOnIt\//);
    sim.engine.observe(day, 'satisfied', sim.now); // a push: the old aggregate still exists
    sim.settle();
    expect(sim.cancels()).toEqual([]);
    expect(sim.phaseOf(day)).toBe('WorkingOnIt/ActionRunning');
    sim.finish(day);
    sim.settle();
    expect(sim.phaseOf(day)).toBe('Satisfied/StateSatisfied');
    expect(sim.launchesOf(day)).toHaveLength(2);
    expectFixedPoint(sim);
  });

  it('a rebuild that fails backs off and is tried again, then stops once it succeeds', () => {
    const sim = converged('OnInputChange');
    const day = daily('2026-03-09');
    let failures = 1;
    sim.onLaunch = (l) => (l.node === day && failures-- > 0 ? 'fail' : 'succeed');
    sim.setWorld(world(8, 'OnInputChange'));
    sim.settle();
    expect(sim.phaseOf(day)).toBe('Pending/Backoff');
    sim.runUntil(sim.now + HOUR, 5 * MIN);
    expect(sim.launchesOf(day)).toHaveLength(3); // built, the failed rebuild, the rebuild after backoff
    expectFixedPoint(sim);
  });

  it.each([
    ['Never', 'Never' as const],
    ['the default', undefined],
  ])('with %s, adding campaign 8 builds its raw files and leaves the aggregates alone', (_name, rebuild) => {
    const sim = converged(rebuild);
    const before = sim.launches.length;
    sim.setWorld(world(8, rebuild));
    sim.runUntil(sim.now + HOUR, 5 * MIN);
    const added = sim.launches.slice(before);
    expect(added.map((l) => l.node).sort()).toEqual(DAYS.map((d) => raw(d, '8')).sort());
    expectFixedPoint(sim);
  });

  it.each([
    ['without observations', false],
    ['with observations', true],
  ])('a restart (%s) rebuilds nothing', (_name, withObservations) => {
    const sim = converged('OnInputChange');
    sim.restart(withObservations);
    expectFixedPoint(sim);
  });

  it('a restart after campaign 8 was built rebuilds nothing more', () => {
    const sim = converged('OnInputChange');
    sim.setWorld(world(8, 'OnInputChange'));
    sim.runUntil(sim.now + HOUR, 5 * MIN);
    expect(dailyLaunches(sim.launches)).toHaveLength(2 * DAYS.length);
    sim.restart();
    expectFixedPoint(sim);
  });
});
