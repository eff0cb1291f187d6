import type { EngineSnapshot } from '../../src/engine/index.js';
import { dag, dagDependency, dagPeriodId, HOUR, MIN, Simulation, taskId } from './simulation.js';

/**
 * The saved state stays bounded: a Dag's successes beyond `maxSuccessesPerDag` are folded into
 * one record (a SuccessFloor) for its oldest settled periods. Folding must never change what runs:
 * nothing re-runs after a restart, and a re-run of a folded period still propagates, once.
 */
describe('folding old task successes', () => {
  const TODAY = '2026-03-09'; // the latest complete day on 2026-03-10 12:00 UTC
  const MONTH_AGO = '2026-02-07';
  const world = () => ({
    dags: [
      dag('sold', [{ name: 'load' }, { name: 'aggregate', dependsOn: ['load'] }], { from: '2026-02-01', every: 'P1D' }),
      dag('ads', [{ name: 'load', retry: { limit: 0 } }], { from: '2026-02-01', every: 'P1D' }),
      dag('enrich', [{ name: 'join' }], { from: '2026-02-01', every: 'P1D' }),
    ],
    dagDependencies: [dagDependency('enrich-inputs', 'enrich', [{ dag: 'sold' }, { dag: 'ads', task: 'load' }])],
  });
  const successesOf = (snap: EngineSnapshot, dagName: string) => snap.successes.filter(([id]) => id.startsWith(`Dag/default/${dagName}|`));
  const floorOf = (snap: EngineSnapshot, dagName: string) => new Map(snap.successFloors ?? []).get(`Dag/default/${dagName}`);
  const launched = (sim: Simulation, from: number) => sim.launches.slice(from).map((l) => `${l.owner.name}/${l.task}@${l.partition}`);

  /** 37 days of three Dags, all run, with at most `max` successes kept per Dag. */
  const ran = (max = 20) => {
    const sim = new Simulation(world(), undefined, { maxSuccessesPerDag: max });
    sim.settle(500);
    return sim;
  };

  it('keeps at most the allowed successes per Dag, folding the oldest periods', () => {
    const sim = ran(20);
    const snap = sim.engine.snapshot();
    for (const name of ['sold', 'ads', 'enrich']) {
      expect(successesOf(snap, name).length).toBeLessThanOrEqual(20);
      expect(floorOf(snap, name)?.through).toMatch(/^2026-0[23]-\d\d$/);
    }
    // The kept records are the newest periods; today is never folded while recent.
    expect(successesOf(snap, 'sold').map(([id]) => id)).toContain(taskId('sold', 'aggregate', TODAY));
    expect((floorOf(snap, 'sold')?.through ?? '') < TODAY).toBe(true);
    // Every period still reads as succeeded.
    expect(sim.phaseOf(dagPeriodId('enrich', MONTH_AGO))).toBe('Satisfied/Succeeded');
  });

  it('a restart from the folded state runs nothing again', () => {
    const sim = ran(20);
    const before = sim.launches.length;
    sim.restart();
    sim.advance(HOUR);
    sim.settle(500);
    expect(launched(sim, before)).toEqual([]);
    expect(sim.phaseOf(dagPeriodId('enrich', MONTH_AGO))).toBe('Satisfied/Succeeded');
    expect(sim.phaseOf(dagPeriodId('enrich', TODAY))).toBe('Satisfied/Succeeded');
  });

  it.each([
    ['before a restart', false],
    ['after a restart', true],
  ])('re-running sold for a folded day re-runs enrich for that day only, once (%s)', (_when, restart) => {
    const sim = ran(20);
    expect((floorOf(sim.engine.snapshot(), 'sold')?.through ?? '') >= MONTH_AGO).toBe(true);
    if (restart) sim.restart();
    const before = sim.launches.length;
    sim.advance(HOUR);
    sim.engine.requestRun({ namespace: 'default', name: 'sold' }, MONTH_AGO, { at: sim.now, reason: 'Manual' });
    sim.runUntil(sim.now + 6 * HOUR, 30 * MIN);
    expect(launched(sim, before)).toEqual([`sold/load@${MONTH_AGO}`, `sold/aggregate@${MONTH_AGO}`, `enrich/join@${MONTH_AGO}`]);
  });

  it('a period that failed is left out of the fold, and still re-runs when asked', () => {
    const sim = new Simulation(world(), undefined, { maxSuccessesPerDag: 10 });
    sim.onLaunch = (l) => (l.owner.name === 'ads' && l.partition === '2026-02-20' ? 'fail' : 'succeed');
    sim.settle(500);
    expect(sim.phaseOf(taskId('ads', 'load', '2026-02-20'))).toBe('Failed/RetriesExhausted');
    const snap = sim.engine.snapshot();
    for (const name of ['ads', 'enrich']) {
      expect((floorOf(snap, name)?.through ?? '') > '2026-02-20').toBe(true);
      expect(floorOf(snap, name)?.except).toContain('2026-02-20');
    }
    expect(sim.phaseOf(dagPeriodId('enrich', '2026-02-20'))).toBe('Waiting/UpstreamFailed');
    sim.restart();
    sim.settle(500);
    expect(sim.phaseOf(dagPeriodId('enrich', '2026-02-20'))).toBe('Waiting/UpstreamFailed');
    expect(sim.phaseOf(dagPeriodId('enrich', '2026-02-21'))).toBe('Satisfied/Succeeded');
    // Fixed and re-run: enrich follows for that day.
    sim.onLaunch = () => 'succeed';
    const before = sim.launches.length;
    sim.advance(MIN);
    sim.engine.requestRun({ namespace: 'default', name: 'ads' }, '2026-02-20', { at: sim.now, reason: 'Manual' });
    sim.settle(500);
    expect(launched(sim, before)).toEqual(['ads/load@2026-02-20', 'enrich/join@2026-02-20']);
  });

  it('a dependent folded further than its upstream does not run again after a restart', () => {
    const chain = {
      dags: [
        dag('up', [{ name: 'one' }], { from: '2026-02-01', every: 'P1D' }),
        dag('down', [{ name: 'a' }, { name: 'b', dependsOn: ['a'] }, { name: 'c', dependsOn: ['b'] }], { from: '2026-02-01', every: 'P1D' }),
      ],
      dagDependencies: [dagDependency('down-inputs', 'down', [{ dag: 'up' }])],
    };
    const sim = new Simulation(chain, undefined, { maxSuccessesPerDag: 20 });
    sim.settle(500);
    const snap = sim.engine.snapshot();
    // down (3 tasks a period) folds more periods than up (1 task): some of down's folded days have up's real records.
    expect((floorOf(snap, 'down')?.through ?? '') > (floorOf(snap, 'up')?.through ?? '')).toBe(true);
    const before = sim.launches.length;
    sim.restart();
    sim.advance(HOUR);
    sim.settle(500);
    expect(launched(sim, before)).toEqual([]);
  });

  it('a backfill of a Dag added while running starts its periods oldest first, so its successes fold as they come', () => {
    const hourly = dag('rate', [{ name: 'only' }], { from: '2026-02-01T00:00', every: 'PT1H' }, { maxActiveRuns: 50 });
    const sim = new Simulation({}, undefined, { maxSuccessesPerDag: 200, newDagGraceMs: 2_000 });
    sim.settle();
    sim.setWorld({ dags: [hourly] });
    sim.runUntil(sim.now + 10_000, 1_000);
    const starts = sim.launches.map((l) => l.partition);
    expect(starts.slice(0, 50)).toEqual([...starts.slice(0, 50)].sort());
    expect(starts).toHaveLength(900);
    expect(sim.engine.snapshot().successes.length).toBeLessThanOrEqual(200 + 50);
  });

  it('folds are stable: a settled Dag is not folded again on every pass', () => {
    const sim = ran(20);
    const first = floorOf(sim.engine.snapshot(), 'sold');
    sim.advance(HOUR);
    sim.settle(500);
    expect(floorOf(sim.engine.snapshot(), 'sold')).toEqual(first);
  });
});
