import { checker, expectation, expId, HOUR, MIN, Simulation } from './simulation.js';

/** DESIGN.md rules 4 to 7: rechecks, repairs, backfill, narrowing, blocked inputs, spec changes, batches. */
describe('the partitions of an Expectation', () => {
  const campaigns = (...values: string[]) => ({ partitions: { campaign: { values } } });
  const report = (n: string) => expId('report', `campaign=${n}`);

  describe('recheckEvery', () => {
    it('checks a satisfied partition again once recheckEvery has passed, and not before', () => {
      const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report', { recheckEvery: '6h' })] });
      sim.data.add(expId('report'));
      const first = sim.step();
      expect(first.checks).toHaveLength(1);
      sim.step();
      sim.advance(6 * HOUR - 1);
      expect(sim.step().checks).toHaveLength(0);
      sim.advance(1);
      expect(sim.step().checks).toHaveLength(1);
      expect(sim.launches).toHaveLength(0);
    });

    it('rebuilds a partition whose data was deleted, once a recheck notices', () => {
      const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report', { ...campaigns('1', '2'), recheckEvery: '1h' })] });
      sim.settle();
      expect(sim.launches).toHaveLength(2);
      sim.data.delete(report('2'));
      sim.advance(HOUR);
      sim.settle();
      expect(sim.launches.map((l) => l.node)).toEqual([report('1'), report('2'), report('2')]);
      expect(sim.phaseOf(report('2'))).toBe('Satisfied/StateSatisfied');
    });
  });

  describe('widening (automatic backfill)', () => {
    it('creates only the new nodes when a value is added: only they are checked and built', () => {
      const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report', campaigns('1', '2'))] });
      sim.settle();
      const checkedBefore = sim.checked.length;
      sim.setWorld({ checkers: [checker()], expectations: [expectation('report', campaigns('1', '2', '3'), 2)] });
      sim.settle();
      expect(new Set(sim.checked.slice(checkedBefore))).toEqual(new Set([report('3')])); // its first check, then the one verifying its action
      expect(sim.launches.map((l) => l.node)).toEqual([report('1'), report('2'), report('3')]);
      expect(sim.phaseOf(report('3'))).toBe('Satisfied/StateSatisfied');
    });

    it('backfills when an earlier start date is declared', () => {
      const days = (from: string) => ({ partitions: { date: { from, to: '2026-03-10', every: 'P1D' } } });
      const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report', days('2026-03-08'))] });
      sim.settle();
      sim.setWorld({ checkers: [checker()], expectations: [expectation('report', days('2026-03-01'), 2)] });
      sim.settle();
      expect(sim.launches.map((l) => l.partition)).toEqual([
        'date=2026-03-08', 'date=2026-03-09', 'date=2026-03-10',
        'date=2026-03-01', 'date=2026-03-02', 'date=2026-03-03', 'date=2026-03-04', 'date=2026-03-05', 'date=2026-03-06', 'date=2026-03-07',
      ]);
    });

    it('adds the new day when time passes (to: today), and builds only that day', () => {
      const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report', { partitions: { date: { from: '2026-03-09', every: 'P1D' } } })] });
      sim.settle();
      expect(sim.launches.map((l) => l.partition)).toEqual(['date=2026-03-09', 'date=2026-03-10']);
      sim.now = Date.parse('2026-03-11T00:00:00Z') - 1;
      sim.settle();
      expect(sim.launches).toHaveLength(2);
      sim.now += 1;
      sim.settle();
      expect(sim.launches.map((l) => l.partition)).toEqual(['date=2026-03-09', 'date=2026-03-10', 'date=2026-03-11']);
    });
  });

  describe('time partitions', () => {
    it('gives each hour of the day the clocks go back its own node: 25 of them', () => {
      const hours = { partitions: { hour: { from: '2026-10-25T00:00', to: '2026-10-25T23:00', every: 'PT1H', timeZone: 'Europe/Lisbon' } } };
      const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report', hours)] }, Date.parse('2026-11-01T00:00:00Z'));
      sim.settle();
      expect(new Set(sim.launches.map((l) => l.node)).size).toBe(25);
      expect(sim.launches.map((l) => l.values['hour']).slice(1, 3)).toEqual(['2026-10-25T01:00+01:00', '2026-10-25T01:00+00:00']);
      const owner = sim.engine.owners()[0];
      expect(owner?.nodes.filter((n) => n.phase === 'Satisfied')).toHaveLength(25);
    });
  });

  describe('narrowing', () => {
    it('forgets the removed nodes and cancels their leases', () => {
      const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report', campaigns('1', '2', '3'))] });
      sim.onLaunch = () => 'hang';
      sim.settle();
      const gone = sim.engine.lease(report('3'));
      sim.setWorld({ checkers: [checker()], expectations: [expectation('report', campaigns('1', '2'), 2)] });
      const plan = sim.step();
      expect(plan.cancels).toEqual([expect.objectContaining({ node: report('3'), action: gone?.action, reason: 'NodeRemoved' })]);
      expect(sim.engine.node(report('3'))).toBeUndefined();
      expect(sim.engine.lease(report('3'))).toBeUndefined();
      expect(sim.engine.lease(report('1'))).toBeDefined();
      expect(sim.engine.actionFinished(report('3'), 1, true, sim.now)).toBe(false);
      expect(sim.engine.observe(report('3'), 'satisfied', sim.now)).toBe(false);
    });

    it('gives the slot of a forgotten lease back to maxConcurrentActions', () => {
      const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report', { ...campaigns('1', '2'), maxConcurrentActions: 1 })] });
      sim.onLaunch = () => 'hang';
      sim.settle();
      expect(sim.launches.map((l) => l.node)).toEqual([report('1')]);
      sim.setWorld({ checkers: [checker()], expectations: [expectation('report', { ...campaigns('2'), maxConcurrentActions: 1 }, 2)] });
      sim.settle();
      expect(sim.launches.map((l) => l.node)).toEqual([report('1'), report('2')]);
    });

    it('forgets the retry record too: a value added back starts from attempt 1', () => {
      const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report', campaigns('1'))] });
      sim.onLaunch = () => 'fail';
      sim.settle(500, 10 * MIN);
      expect(sim.phaseOf(report('1'))).toBe('Failed/RetriesExhausted');
      sim.setWorld({ checkers: [checker()], expectations: [expectation('report', campaigns('2'))] });
      sim.settle();
      sim.onLaunch = () => 'succeed';
      sim.setWorld({ checkers: [checker()], expectations: [expectation('report', campaigns('1', '2'))] });
      sim.settle();
      expect(sim.phaseOf(report('1'))).toBe('Satisfied/StateSatisfied');
      expect(sim.launchesOf(report('1')).map((l) => l.lease.attempt)).toEqual([1, 2, 3, 1]);
    });
  });

  describe('a failed upstream', () => {
    it('blocks the dependent with a reason naming it, and nothing runs on the failed input', () => {
      const sim = new Simulation({
        checkers: [checker()],
        expectations: [expectation('raw', campaigns('1', '2')), expectation('report', { ...campaigns('1', '2'), dependsOn: [{ expectation: 'raw' }] })],
      });
      sim.unrecoverable.set(expId('raw', 'campaign=2'), 'the export for campaign 2 was never produced');
      sim.settle();
      expect(sim.phaseOf(report('1'))).toBe('Satisfied/StateSatisfied');
      expect(sim.phaseOf(report('2'))).toBe('Waiting/UpstreamFailed');
      expect(sim.messageOf(report('2'))).toBe('Expectation raw campaign=2 is Failed: the export for campaign 2 was never produced');
      expect(sim.launchesOf(report('2'))).toHaveLength(0);
    });

    it('names the root failure two levels down', () => {
      const sim = new Simulation({
        checkers: [checker()],
        expectations: [
          expectation('raw'),
          expectation('clean', { dependsOn: [{ expectation: 'raw' }] }),
          expectation('report', { dependsOn: [{ expectation: 'clean' }] }),
        ],
      });
      sim.onLaunch = (l) => (l.node === expId('raw') ? 'fail' : 'succeed');
      sim.settle(500, 10 * MIN);
      expect(sim.phaseOf(expId('raw'))).toBe('Failed/RetriesExhausted');
      expect(sim.phaseOf(expId('report'))).toBe('Waiting/UpstreamFailed');
      expect(sim.messageOf(expId('report'))).toMatch(/^Expectation raw is Failed: 3 attempts failed/);
      expect(sim.engine.node(expId('report'))?.cause?.id).toBe(expId('raw'));
    });

    it('unblocks the dependent when the upstream is fixed by hand', () => {
      const sim = new Simulation({
        checkers: [checker()],
        expectations: [expectation('raw', { recheckEvery: '1h' }), expectation('report', { dependsOn: [{ expectation: 'raw' }] })],
      });
      sim.unrecoverable.set(expId('raw'), 'gone');
      sim.settle();
      sim.unrecoverable.delete(expId('raw'));
      sim.data.add(expId('raw'));
      sim.advance(HOUR);
      sim.settle();
      expect(sim.phaseOf(expId('report'))).toBe('Satisfied/StateSatisfied');
      expect(sim.launches.map((l) => l.node)).toEqual([expId('report')]);
    });
  });

  describe('a spec change (generation bump)', () => {
    it('resets retries: a Failed partition is tried again from attempt 1', () => {
      const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report')] });
      sim.onLaunch = () => 'fail';
      sim.settle(500, 10 * MIN);
      expect(sim.phaseOf(expId('report'))).toBe('Failed/RetriesExhausted');
      const fixed = expectation('report', { action: { job: { template: { spec: { containers: [{ name: 'report', image: 'example/job:2' }] } } } } }, 2);
      sim.onLaunch = () => 'succeed';
      sim.setWorld({ checkers: [checker()], expectations: [fixed] });
      sim.settle();
      expect(sim.phaseOf(expId('report'))).toBe('Satisfied/StateSatisfied');
      expect(sim.launches.map((l) => l.lease.attempt)).toEqual([1, 2, 3, 1]);
    });

    it('resets retries during a backoff: the new spec is tried at once', () => {
      const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report', { retry: { limit: 3, backoff: { initial: '1h' } } })] });
      sim.onLaunch = () => 'fail';
      sim.settle();
      expect(sim.phaseOf(expId('report'))).toBe('Pending/Backoff');
      sim.setWorld({ checkers: [checker()], expectations: [expectation('report', { retry: { limit: 3, backoff: { initial: '2h' } } }, 2)] });
      expect(sim.step().launches.map((l) => l.lease.attempt)).toEqual([1]);
    });

    it('keeps retries when the world is given again unchanged', () => {
      const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report')] });
      sim.onLaunch = () => 'fail';
      sim.settle(500, 10 * MIN);
      sim.setWorld({ checkers: [checker()], expectations: [expectation('report')] });
      sim.settle(50, 10 * MIN);
      expect(sim.launches).toHaveLength(3);
      expect(sim.phaseOf(expId('report'))).toBe('Failed/RetriesExhausted');
    });
  });

  describe('checks', () => {
    it('are batched: one request carries at most the checker batchSize partitions', () => {
      const values = Array.from({ length: 250 }, (_, i) => String(i));
      const sim = new Simulation({ checkers: [checker('files', { batchSize: 100 })], expectations: [expectation('report', campaigns(...values))] });
      const plan = sim.step();
      expect(plan.checks.map((c) => c.items.length)).toEqual([100, 100, 50]);
      expect(new Set(plan.checks.flatMap((c) => c.items.map((i) => i.node))).size).toBe(250);
    });

    it('carry the checker identity, merged params, the timeout and each partition values', () => {
      const sim = new Simulation({
        checkers: [checker('files', { params: { bucket: 'in', table: 'default' } })],
        expectations: [expectation('report', { ...campaigns('7'), checker: { ref: 'files', params: { table: 'results' } } })],
      });
      const [request] = sim.step().checks;
      expect(request).toEqual({
        checker: { namespace: 'default', name: 'files' },
        owner: { kind: 'Expectation', namespace: 'default', name: 'report' },
        params: { bucket: 'in', table: 'results' },
        items: [{ node: report('7'), partition: 'campaign=7', values: { campaign: '7' } }],
        timeoutMs: MIN,
      });
    });

    it('are never batched across Expectations', () => {
      const sim = new Simulation({ checkers: [checker()], expectations: [expectation('a', campaigns('1', '2')), expectation('b', campaigns('1'))] });
      const plan = sim.step();
      expect(plan.checks.map((c) => [c.owner.name, c.items.length])).toEqual([['a', 2], ['b', 1]]);
    });
  });
});
