import { checker, expectation, expId, MIN, Simulation } from './simulation.js';

/** DESIGN.md section 3, the phase table: one case per row and reason. */
describe('the phase of an Expectation partition', () => {
  const report = expId('report');
  const raw = expId('raw');

  describe('Satisfied', () => {
    it('is Satisfied/StateSatisfied when the checker says the state holds, and nothing is launched', () => {
      const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report')] });
      sim.data.add(report);
      sim.settle();
      expect(sim.phaseOf(report)).toBe('Satisfied/StateSatisfied');
      expect(sim.launches).toHaveLength(0);
    });
  });

  describe('WorkingOnIt', () => {
    it('is WorkingOnIt/ActionStarted in the pass that grants the lease, then ActionRunning', () => {
      const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report')] });
      sim.onLaunch = () => 'hang';
      sim.step();
      sim.step();
      expect(sim.phaseOf(report)).toBe('WorkingOnIt/ActionStarted');
      sim.advance(MIN);
      sim.engine.renewLease(report, 1, sim.now + 10 * MIN); // any later decision about the node
      sim.step();
      expect(sim.phaseOf(report)).toBe('WorkingOnIt/ActionRunning');
      expect(sim.engine.lease(report)?.attempt).toBe(1);
    });

    it('is WorkingOnIt/Verifying while the result of a finished action is being checked', () => {
      const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report')] });
      sim.onLaunch = () => 'hang';
      sim.step();
      sim.step();
      sim.checkerMode = 'silent';
      sim.finish(report);
      sim.step();
      expect(sim.phaseOf(report)).toBe('WorkingOnIt/Verifying');
    });

    it('is WorkingOnIt/UpstreamWorking, naming the dependency, while an input is being worked on', () => {
      const sim = new Simulation({
        checkers: [checker()],
        expectations: [expectation('raw'), expectation('report', { dependsOn: [{ expectation: 'raw' }] })],
      });
      sim.onLaunch = () => 'hang';
      sim.settle();
      expect(sim.phaseOf(raw)).toBe('WorkingOnIt/ActionStarted');
      expect(sim.phaseOf(report)).toBe('WorkingOnIt/UpstreamWorking');
      expect(sim.messageOf(report)).toBe('Expectation raw is being worked on');
      expect(sim.launchesOf(report)).toHaveLength(0);
    });
  });

  describe('Waiting', () => {
    it('is Waiting/UpstreamNotSatisfied, naming the dependency and its phase', () => {
      const sim = new Simulation({
        checkers: [checker()],
        expectations: [expectation('raw', { action: undefined }), expectation('report', { dependsOn: [{ expectation: 'raw' }] })],
      });
      sim.settle();
      expect(sim.phaseOf(raw)).toBe('Waiting/NoAction');
      expect(sim.phaseOf(report)).toBe('Waiting/UpstreamNotSatisfied');
      expect(sim.messageOf(report)).toBe('waiting for Expectation raw (Waiting)');
      expect(sim.engine.node(report)?.cause?.id).toBe(raw);
      expect(sim.launches).toHaveLength(0);
    });

    it('is Waiting/UpstreamMissing when the dependency has no matching partition', () => {
      const sim = new Simulation({
        checkers: [checker()],
        expectations: [
          expectation('raw', { partitions: { campaign: { values: ['1'] } } }),
          expectation('report', { partitions: { campaign: { values: ['1', '2'] } }, dependsOn: [{ expectation: 'raw' }] }),
        ],
      });
      sim.settle();
      expect(sim.phaseOf(expId('report', 'campaign=2'))).toBe('Waiting/UpstreamMissing');
      expect(sim.messageOf(expId('report', 'campaign=2'))).toBe('Expectation raw has no partition for campaign=2 yet');
      expect(sim.phaseOf(expId('report', 'campaign=1'))).toBe('Satisfied/StateSatisfied');
    });

    it('is Waiting/NoAction for an unsatisfied sensor (an Expectation without an action)', () => {
      const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report', { action: undefined })] });
      sim.settle();
      expect(sim.phaseOf(report)).toBe('Waiting/NoAction');
      expect(sim.launches).toHaveLength(0);
    });
  });

  describe('Pending', () => {
    it('is Pending/Backoff after a failed attempt, until the backoff has passed', () => {
      const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report')] });
      sim.onLaunch = () => 'fail';
      sim.step();
      sim.step();
      sim.step(); // the failure is reported
      expect(sim.phaseOf(report)).toBe('Pending/Backoff');
      expect(sim.messageOf(report)).toBe('attempt 2 after backoff (last: ActionFailed: exit code 1)');
      expect(sim.launches).toHaveLength(1);
    });

    it('is Pending/ConcurrencyLimit when the Expectation already runs maxConcurrentActions actions', () => {
      const sim = new Simulation({
        checkers: [checker()],
        expectations: [expectation('report', { partitions: { campaign: { values: ['1', '2'] } }, maxConcurrentActions: 1 })],
      });
      sim.onLaunch = () => 'hang';
      sim.settle();
      expect(sim.phaseOf(expId('report', 'campaign=1'))).toBe('WorkingOnIt/ActionStarted');
      expect(sim.phaseOf(expId('report', 'campaign=2'))).toBe('Pending/ConcurrencyLimit');
    });

    it('is Pending/Suspended when the action is suspended; checks go on', () => {
      const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report', { suspend: true })] });
      sim.settle();
      expect(sim.phaseOf(report)).toBe('Pending/Suspended');
      expect(sim.checked).toEqual([report]);
      expect(sim.launches).toHaveLength(0);
    });
  });

  describe('Failed', () => {
    it('is Failed/RetriesExhausted once every retry failed, saying why, and acts no more', () => {
      const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report')] });
      sim.onLaunch = () => 'fail';
      sim.settle(500, 10 * MIN);
      expect(sim.phaseOf(report)).toBe('Failed/RetriesExhausted');
      expect(sim.messageOf(report)).toBe('3 attempts failed; last: ActionFailed: exit code 1');
      expect(sim.launches).toHaveLength(3);
      sim.runUntil(sim.now + 24 * 60 * MIN, 30 * MIN);
      expect(sim.launches).toHaveLength(3);
    });

    it('is Failed/Unrecoverable with the checker message when the checker says the state cannot be reached', () => {
      const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report')] });
      sim.unrecoverable.set(report, 'source file s3://in/report.csv does not exist');
      sim.settle();
      expect(sim.phaseOf(report)).toBe('Failed/Unrecoverable');
      expect(sim.messageOf(report)).toBe('source file s3://in/report.csv does not exist');
      expect(sim.launches).toHaveLength(0);
    });
  });

  describe('Unknown', () => {
    it('is Unknown/NeverChecked before the first verdict, and launches nothing', () => {
      const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report')] });
      sim.checkerMode = 'silent';
      expect(sim.phaseOf(report)).toBe('Unknown/NeverChecked');
      const plan = sim.step();
      expect(plan.checks).toHaveLength(1);
      expect(plan.launches).toHaveLength(0);
      expect(sim.phaseOf(report)).toBe('Unknown/NeverChecked');
    });

    it('is Unknown/CheckerFailed when the checker crashes, and launches nothing', () => {
      const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report')] });
      sim.checkerMode = 'crash';
      sim.settle();
      expect(sim.phaseOf(report)).toBe('Unknown/CheckerFailed');
      expect(sim.messageOf(report)).toBe('the checker exited with code 2');
      expect(sim.launches).toHaveLength(0);
    });

    it('is Unknown/CheckerTimeout when the checker does not answer within its timeout, and launches nothing', () => {
      const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report')] });
      sim.checkerMode = 'silent';
      const first = sim.step();
      expect(first.nextWakeAt).toBe(sim.now + MIN); // the checker's 1m timeout
      sim.advance(MIN);
      sim.step();
      expect(sim.phaseOf(report)).toBe('Unknown/CheckerTimeout');
      expect(sim.launches).toHaveLength(0);
    });

    it('is Unknown when the checker answers no verdict for the partition, and launches nothing', () => {
      const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report')] });
      sim.checkerMode = 'silent';
      sim.step();
      sim.engine.observe(report, 'unknown', sim.now);
      sim.step();
      expect(sim.phaseOf(report)).toBe('Unknown/NoVerdict');
      expect(sim.messageOf(report)).toBe('the checker gave no verdict for this partition');
      expect(sim.launches).toHaveLength(0);
    });

    it('turns a satisfied partition Unknown when a later check fails: the old verdict is not trusted', () => {
      const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report', { recheckEvery: '1h' })] });
      sim.data.add(report);
      sim.settle();
      sim.checkerMode = 'crash';
      sim.advance(60 * MIN);
      sim.settle();
      expect(sim.phaseOf(report)).toBe('Unknown/CheckerFailed');
    });

    it('asks a failed checker again only after a backoff, not in a loop', () => {
      const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report')] });
      sim.checkerMode = 'crash';
      sim.step();
      for (let i = 0; i < 5; i++) expect(sim.step().checks).toHaveLength(0);
      sim.advance(MIN); // retry.backoff.initial
      expect(sim.step().checks).toHaveLength(1);
      sim.checkerMode = 'answer';
      sim.advance(2 * MIN); // the second failure doubled the wait
      sim.settle();
      expect(sim.phaseOf(report)).toBe('Satisfied/StateSatisfied');
    });

    it('asks a checker that gave no verdict again only after a backoff, not in a loop', () => {
      const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report')] });
      sim.checkerMode = 'silent';
      sim.step();
      sim.engine.observe(report, 'unknown', sim.now, 'no verdict for this partition');
      for (let i = 0; i < 5; i++) expect(sim.step().checks).toHaveLength(0);
      sim.advance(MIN);
      expect(sim.step().checks).toHaveLength(1);
    });

    it('launches nothing on Unknown even when every input is Satisfied and retries are left', () => {
      const sim = new Simulation({
        checkers: [checker()],
        expectations: [expectation('raw'), expectation('report', { dependsOn: [{ expectation: 'raw' }] })],
      });
      sim.data.add(raw);
      sim.crashing.add(report);
      sim.runUntil(sim.now + 60 * MIN, MIN);
      expect(sim.phaseOf(raw)).toBe('Satisfied/StateSatisfied');
      expect(sim.engine.node(report)?.phase).toBe('Unknown');
      expect(sim.launchesOf(report)).toHaveLength(0);
    });
  });
});
