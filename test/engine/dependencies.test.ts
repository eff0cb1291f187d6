import { ownerConditions, ownerStatus } from '../../src/engine/index.js';
import { checker, expectation, expId, Simulation } from './simulation.js';

/** dependsOn between Expectations: which upstream partitions each partition waits for. */
describe('an Expectation that depends on another', () => {
  const world = (raw: Parameters<typeof expectation>[1], report: Parameters<typeof expectation>[1]) => ({
    checkers: [checker()],
    expectations: [expectation('raw', { action: undefined, ...raw }), expectation('report', report)],
  });

  it('waits for the upstream partition with the same key values, and only for it', () => {
    const keys = { partitions: { campaign: { values: ['1', '2'] } } };
    const sim = new Simulation(world(keys, { ...keys, dependsOn: [{ expectation: 'raw' }] }));
    sim.data.add(expId('raw', 'campaign=1'));
    sim.settle();
    expect(sim.launches.map((l) => l.node)).toEqual([expId('report', 'campaign=1')]);
    expect(sim.phaseOf(expId('report', 'campaign=2'))).toBe('Waiting/UpstreamNotSatisfied');
    expect(sim.messageOf(expId('report', 'campaign=2'))).toBe('waiting for Expectation raw campaign=2 (Waiting)');
  });

  it('names the upstream partition by its whole key, every key=value, so one of many campaigns is told apart', () => {
    const partitions = { date: { from: '2026-03-09', to: '2026-03-09', every: 'P1D' }, campaign: { values: Array.from({ length: 7 }, (_, i) => `cmp-0${i + 1}`) } };
    const sim = new Simulation({ checkers: [checker()], expectations: [expectation('camp-raw', { partitions }), expectation('camp-report', { partitions, dependsOn: [{ expectation: 'camp-raw' }] })] });
    const key = (c: string) => `date=2026-03-09/campaign=${c}`;
    for (let i = 1; i <= 7; i++) if (i !== 3 && i !== 5) sim.data.add(expId('camp-raw', key(`cmp-0${i}`)));
    sim.unrecoverable.set(expId('camp-raw', key('cmp-05')), 'the export is gone');
    sim.onLaunch = (l) => (l.node === expId('camp-raw', key('cmp-03')) ? 'hang' : 'succeed');
    sim.settle();
    expect(sim.messageOf(expId('camp-report', key('cmp-03')))).toBe(`Expectation camp-raw ${key('cmp-03')} is being worked on`);
    expect(sim.messageOf(expId('camp-report', key('cmp-05')))).toBe(`Expectation camp-raw ${key('cmp-05')} is Failed: the export is gone`);
    sim.finish(expId('camp-raw', key('cmp-03')), 'fail');
    sim.settle();
    expect(sim.messageOf(expId('camp-report', key('cmp-03')))).toBe(`waiting for Expectation camp-raw ${key('cmp-03')} (Pending)`);

    const owner = sim.engine.owner({ kind: 'Expectation', namespace: 'default', name: 'camp-report' });
    if (owner === undefined) throw new Error('no owner');
    const status = ownerStatus(owner, (n) => sim.engine.lease(n), (n) => sim.engine.retry(n));
    expect(status.waiting.map((w) => `${w.partition}: ${w.message}`)).toEqual([
      `${key('cmp-05')}: Expectation camp-raw ${key('cmp-05')} is Failed: the export is gone`,
      `${key('cmp-03')}: waiting for Expectation camp-raw ${key('cmp-03')} (Pending)`,
    ]);
    expect(ownerConditions(status, undefined, 1, sim.now).find((c) => c.type === 'Satisfied')?.message).toBe(
      `5/7 satisfied; ${key('cmp-05')} waits: Expectation camp-raw ${key('cmp-05')} is Failed: the export is gone`,
    );
  });

  it('follows an explicit keys mapping when the upstream names its keys differently', () => {
    const sim = new Simulation(
      world(
        { partitions: { cid: { values: ['1', '2'] } } },
        { partitions: { campaign: { values: ['1', '2'] } }, dependsOn: [{ expectation: 'raw', keys: { cid: 'campaign' } }] },
      ),
    );
    sim.data.add(expId('raw', 'cid=2'));
    sim.settle();
    expect(sim.launches.map((l) => l.node)).toEqual([expId('report', 'campaign=2')]);
    expect(sim.engine.node(expId('report', 'campaign=1'))?.cause?.id).toBe(expId('raw', 'cid=1'));
  });

  it('fans in: a daily total waits for every campaign of its day', () => {
    const date = { from: '2026-03-09', to: '2026-03-10', every: 'P1D' };
    const sim = new Simulation(world({ partitions: { date, campaign: { values: ['1', '2', '3'] } } }, { partitions: { date }, dependsOn: [{ expectation: 'raw' }] }));
    for (const c of ['1', '2', '3']) sim.data.add(expId('raw', `date=2026-03-09/campaign=${c}`));
    sim.data.add(expId('raw', 'date=2026-03-10/campaign=1'));
    sim.data.add(expId('raw', 'date=2026-03-10/campaign=3'));
    sim.settle();
    expect(sim.launches.map((l) => l.node)).toEqual([expId('report', 'date=2026-03-09')]);
    expect(sim.messageOf(expId('report', 'date=2026-03-10'))).toBe('waiting for Expectation raw date=2026-03-10/campaign=2 (Waiting)');
    expect(sim.engine.node(expId('report', 'date=2026-03-10'))?.cause?.id).toBe(expId('raw', 'date=2026-03-10/campaign=2'));
    sim.data.add(expId('raw', 'date=2026-03-10/campaign=2'));
    sim.engine.observe(expId('raw', 'date=2026-03-10/campaign=2'), 'satisfied', sim.now); // a push from the loader
    sim.settle();
    expect(sim.launches.map((l) => l.node)).toEqual([expId('report', 'date=2026-03-09'), expId('report', 'date=2026-03-10')]);
  });

  it('hourly -> daily (Within): a day runs only once all 24 of its hours hold', () => {
    const sim = new Simulation(
      world(
        { partitions: { hour: { from: '2026-03-09T00:00', to: '2026-03-09T23:00', every: 'PT1H' } } },
        { partitions: { date: { from: '2026-03-09', to: '2026-03-09', every: 'P1D' } }, dependsOn: [{ expectation: 'raw' }] },
      ),
    );
    for (let h = 0; h < 23; h++) sim.data.add(expId('raw', `hour=2026-03-09T${String(h).padStart(2, '0')}:00`));
    sim.settle();
    expect(sim.launches).toHaveLength(0);
    expect(sim.messageOf(expId('report', 'date=2026-03-09'))).toBe('waiting for Expectation raw hour=2026-03-09T23:00 (Waiting)');
    sim.data.add(expId('raw', 'hour=2026-03-09T23:00'));
    sim.engine.observe(expId('raw', 'hour=2026-03-09T23:00'), 'satisfied', sim.now);
    sim.settle();
    expect(sim.launches.map((l) => l.node)).toEqual([expId('report', 'date=2026-03-09')]);
  });

  it('hourly -> daily (Within): today waits, naming the hours that do not exist yet, while yesterday runs', () => {
    const sim = new Simulation(
      world(
        { partitions: { hour: { from: '2026-03-09T00:00', to: 'now', every: 'PT1H' } } },
        { partitions: { date: { from: '2026-03-09', every: 'P1D' } }, dependsOn: [{ expectation: 'raw' }] },
      ),
    );
    for (let h = 0; h < 24 + 13; h++) sim.data.add(expId('raw', `hour=2026-03-${h < 24 ? '09' : '10'}T${String(h % 24).padStart(2, '0')}:00`));
    sim.settle();
    expect(sim.launches.map((l) => l.node)).toEqual([expId('report', 'date=2026-03-09')]);
    expect(sim.phaseOf(expId('report', 'date=2026-03-10'))).toBe('Waiting/UpstreamMissing');
    expect(sim.messageOf(expId('report', 'date=2026-03-10'))).toBe('Expectation raw has no partition for date=2026-03-10 yet');
  });

  it('daily -> hourly (Containing): every hour of a day waits for that day', () => {
    const sim = new Simulation(
      world(
        { partitions: { date: { from: '2026-03-08', to: '2026-03-09', every: 'P1D' } } },
        { partitions: { hour: { from: '2026-03-08T22:00', to: '2026-03-09T01:00', every: 'PT1H' } }, dependsOn: [{ expectation: 'raw' }] },
      ),
    );
    sim.data.add(expId('raw', 'date=2026-03-09'));
    sim.settle();
    expect(sim.launches.map((l) => l.partition)).toEqual(['hour=2026-03-09T00:00', 'hour=2026-03-09T01:00']);
    expect(sim.messageOf(expId('report', 'hour=2026-03-08T23:00'))).toBe('waiting for Expectation raw date=2026-03-08 (Waiting)');
  });

  it('Latest: a daily report uses the latest weekly dimension that has ended by its day', () => {
    const sim = new Simulation(
      world(
        { partitions: { week: { from: '2026-02-23', to: '2026-03-10', every: 'P7D' } } },
        { partitions: { date: { from: '2026-03-08', to: '2026-03-09', every: 'P1D' } }, dependsOn: [{ expectation: 'raw', periods: 'Latest' }] },
      ),
    );
    sim.data.add(expId('raw', 'week=2026-03-02'));
    sim.settle();
    expect(sim.launches.map((l) => l.partition)).toEqual(['date=2026-03-08', 'date=2026-03-09']);
  });

  it('never acts on an input whose newer, unsatisfied verdict arrived in the same pass', () => {
    const sim = new Simulation(world({ recheckEvery: '1h' }, { dependsOn: [{ expectation: 'raw' }], recheckEvery: '1h' }));
    sim.data.add(expId('raw'));
    sim.data.add(expId('report'));
    sim.settle();
    sim.checkerMode = 'silent';
    sim.advance(60 * 60_000);
    sim.step(); // both rechecks in flight
    // The report's verdict arrives first, then the news that raw was deleted: both before the next pass.
    sim.engine.observe(expId('report'), 'unsatisfied', sim.now);
    sim.engine.observe(expId('raw'), 'unsatisfied', sim.now);
    const plan = sim.step();
    expect(plan.launches).toHaveLength(0);
    expect(sim.phaseOf(expId('report'))).toBe('Waiting/UpstreamNotSatisfied');
  });

  it('is not valid (UnknownReference) while the Expectation it depends on does not exist, and works once it appears', () => {
    const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report', { dependsOn: [{ expectation: 'raw' }] })] });
    sim.settle();
    expect(sim.engine.problems()).toEqual([expect.objectContaining({ name: 'report', reason: 'UnknownReference' })]);
    expect(sim.engine.node(expId('report'))).toBeUndefined();
    expect(sim.launches).toHaveLength(0);
    sim.setWorld(world({}, { dependsOn: [{ expectation: 'raw' }] }));
    sim.data.add(expId('raw'));
    sim.settle();
    expect(sim.engine.problems()).toEqual([]);
    expect(sim.launches.map((l) => l.node)).toEqual([expId('report')]);
  });
});
