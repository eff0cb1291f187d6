import { ownerStatus } from '../../src/engine/index.js';
import { checker, expectation, expId, MIN, Simulation } from './simulation.js';

/** DESIGN.md rule 2: leases, their expiry, heartbeats, retries and restarts. */
describe('a lease', () => {
  const report = expId('report');
  const hangingReport = (spec: Parameters<typeof expectation>[1] = {}) => {
    const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report', spec)] });
    sim.onLaunch = () => 'hang';
    sim.step(); // checked: unsatisfied
    sim.step(); // lease granted, action launched
    return sim;
  };

  describe('expiry', () => {
    it('cancels the action, counts a failed attempt and backs off', () => {
      const sim = hangingReport();
      const first = sim.launches[0];
      expect(first?.deadlineSeconds).toBe(600);
      expect(first?.lease.expiresAt).toBe(sim.now + 10 * MIN);

      sim.advance(10 * MIN);
      const plan = sim.step();
      expect(plan.cancels).toEqual([{ node: report, owner: first?.owner, action: first?.lease.action, reason: 'LeaseExpired' }]);
      expect(sim.engine.lease(report)).toBeUndefined();
      expect(sim.engine.retry(report)).toMatchObject({ failures: 1, reason: 'LeaseExpired' });
      expect(sim.phaseOf(report)).toBe('Pending/Backoff');
      expect(plan.events).toContainEqual(expect.objectContaining({ type: 'Warning', reason: 'LeaseExpired' }));
    });

    it('launches the retry, attempt 2, once the backoff has passed and not before', () => {
      const sim = hangingReport();
      sim.advance(10 * MIN);
      const expired = sim.step();
      expect(expired.nextWakeAt).toBe(sim.now + MIN);
      sim.advance(MIN - 1);
      expect(sim.step().launches).toHaveLength(0);
      sim.advance(1);
      expect(sim.step().launches).toHaveLength(0); // the state is checked again first
      const retry = sim.step();
      expect(retry.launches.map((l) => l.lease.attempt)).toEqual([2]);
      expect(retry.launches[0]?.lease.action).not.toBe(sim.launches[0]?.lease.action);
    });

    it('backs off exponentially, doubling from the initial wait up to the maximum', () => {
      const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report', { retry: { limit: 6, backoff: { initial: '1m', max: '5m' } } })] });
      sim.onLaunch = () => 'hang';
      sim.settle(1000, 60 * MIN);
      const starts = sim.launches.map((l) => l.lease.acquiredAt);
      const waits = starts.slice(1).map((start, i) => (start - ((starts[i] as number) + 10 * MIN)) / MIN);
      expect(waits).toEqual([1, 2, 4, 5, 5, 5]);
      expect(sim.phaseOf(report)).toBe('Failed/RetriesExhausted');
      expect(sim.messageOf(report)).toBe('7 attempts failed; last: LeaseExpired: action ' + sim.launches[6]?.lease.action + ' did not finish within its lease');
      expect(sim.cancels().map((c) => c.reason)).toEqual(Array(7).fill('LeaseExpired'));
    });

    it('ignores the late report of the expired attempt', () => {
      const sim = hangingReport();
      sim.advance(10 * MIN);
      sim.step();
      expect(sim.engine.actionFinished(report, 1, true, sim.now)).toBe(false);
      expect(sim.phaseOf(report)).toBe('Pending/Backoff');
    });
  });

  describe('verification after the action', () => {
    it('keeps the lease of an action that finished in time while its verification check is in flight, past the lease end', () => {
      const sim = hangingReport();
      sim.advance(9.5 * MIN);
      sim.finish(report);
      sim.checkerMode = 'silent';
      sim.step(); // the success is reported: a verification check is asked (1m timeout), not answered yet
      sim.advance(0.5 * MIN); // the lease ends
      expect(sim.step().cancels).toHaveLength(0);
      expect(sim.phaseOf(report)).toBe('WorkingOnIt/Verifying');
      sim.engine.observe(report, 'satisfied', sim.now); // the late verdict
      sim.step();
      expect(sim.phaseOf(report)).toBe('Satisfied/StateSatisfied');
      expect(sim.engine.retry(report)).toBeUndefined();
      expect(sim.launches).toHaveLength(1);
    });

    it('expires a finished action whose verification check timed out, and says so', () => {
      const sim = hangingReport();
      sim.advance(9 * MIN);
      sim.finish(report);
      sim.checkerMode = 'silent';
      sim.step();
      sim.advance(MIN); // the checker timeout (1m) and the lease end together
      sim.step();
      expect(sim.engine.retry(report)).toMatchObject({ reason: 'LeaseExpired', message: `action ${sim.launches[0]?.lease.action} finished but its result could not be checked within its lease` });
      expect(sim.phaseOf(report)).toBe('Unknown/CheckerTimeout'); // and no retry is launched on Unknown
      sim.advance(10 * MIN);
      sim.step();
      expect(sim.launches).toHaveLength(1);
    });
  });

  describe('renewal (heartbeat)', () => {
    it('keeps a renewed lease alive past its first expiry, then lets it expire at the new time', () => {
      const sim = hangingReport();
      const start = sim.now;
      sim.advance(9 * MIN);
      expect(sim.engine.renewLease(report, 1, sim.now + 10 * MIN)).toBe(true);
      sim.step();
      sim.advance(MIN); // the original expiry
      const atFirstExpiry = sim.step();
      expect(atFirstExpiry.cancels).toHaveLength(0);
      expect(sim.phaseOf(report)).toBe('WorkingOnIt/ActionRunning');
      expect(sim.engine.lease(report)?.expiresAt).toBe(start + 19 * MIN);
      sim.advance(9 * MIN);
      expect(sim.step().cancels.map((c) => c.reason)).toEqual(['LeaseExpired']);
    });

    it('refuses to renew for another attempt, and never shortens a lease', () => {
      const sim = hangingReport();
      const expiresAt = sim.engine.lease(report)?.expiresAt;
      expect(sim.engine.renewLease(report, 2, sim.now + 60 * MIN)).toBe(false);
      expect(sim.engine.renewLease(report, 1, sim.now + MIN)).toBe(true);
      expect(sim.engine.lease(report)?.expiresAt).toBe(expiresAt);
    });

    it('lets an action that keeps renewing work far longer than workingTimeout', () => {
      const sim = hangingReport();
      for (let i = 0; i < 12; i++) {
        sim.advance(5 * MIN);
        sim.engine.renewLease(report, 1, sim.now + 10 * MIN);
        expect(sim.step().cancels).toHaveLength(0);
      }
      sim.finish(report);
      sim.settle();
      expect(sim.phaseOf(report)).toBe('Satisfied/StateSatisfied');
      expect(sim.launches).toHaveLength(1);
    });
  });

  describe('action reports', () => {
    it('ignores a report for another attempt (stale actionFinished)', () => {
      const sim = hangingReport({ workingTimeout: '5m' });
      sim.advance(5 * MIN);
      sim.step(); // attempt 1 expired
      sim.advance(MIN);
      sim.step(); // checked again
      sim.step(); // attempt 2 launched
      expect(sim.engine.lease(report)?.attempt).toBe(2);
      expect(sim.engine.actionFinished(report, 1, false, sim.now, 'old pod failed')).toBe(false);
      expect(sim.engine.actionFinished(report, 3, true, sim.now)).toBe(false);
      sim.step();
      expect(sim.engine.lease(report)).toMatchObject({ attempt: 2 });
      expect(sim.engine.lease(report)?.outcome).toBeUndefined();
      expect(sim.phaseOf(report)).toBe('WorkingOnIt/ActionStarted');
    });

    it('ignores a second report of the same attempt', () => {
      const sim = hangingReport();
      expect(sim.engine.actionFinished(report, 1, false, sim.now)).toBe(true);
      expect(sim.engine.actionFinished(report, 1, true, sim.now)).toBe(false);
      sim.step();
      expect(sim.phaseOf(report)).toBe('Pending/Backoff');
    });

    it('numbers attempts on: the attempt after a failure is attempt 2', () => {
      const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report')] });
      sim.onLaunch = (l) => (l.lease.attempt === 1 ? 'fail' : 'succeed');
      sim.settle(50, MIN);
      expect(sim.launches.map((l) => l.lease.attempt)).toEqual([1, 2]);
      expect(sim.phaseOf(report)).toBe('Satisfied/StateSatisfied');
      expect(sim.engine.retry(report)).toBeUndefined();
    });

    it('asks a crashed checker again after a backoff when it verifies a finished action', () => {
      const sim = hangingReport();
      sim.finish(report);
      sim.crashing.add(report);
      sim.step(); // the success is reported: a verification check, which crashes
      for (let i = 0; i < 5; i++) expect(sim.step().checks).toHaveLength(0);
      expect(sim.phaseOf(report)).toBe('WorkingOnIt/Verifying');
      sim.crashing.delete(report);
      sim.advance(MIN);
      sim.settle();
      expect(sim.phaseOf(report)).toBe('Satisfied/StateSatisfied');
      expect(sim.launches).toHaveLength(1);
    });

    it('ends the lease with the state Failed, not "succeeded", when the checker says unrecoverable after the action', () => {
      const sim = hangingReport();
      sim.unrecoverable.set(report, 'the source is gone');
      sim.finish(report, 'succeed-without-effect');
      sim.settle();
      expect(sim.phaseOf(report)).toBe('Failed/Unrecoverable');
      expect(sim.engine.lease(report)).toBeUndefined();
      const said = sim.events().map((e) => `${e.type}/${e.reason}`);
      expect(said).toEqual(['Normal/ActionStarted', 'Warning/Unrecoverable']);
    });

    it('cancels a running action when a recheck says unrecoverable, with that reason', () => {
      const sim = hangingReport({ recheckEvery: '5m' });
      sim.unrecoverable.set(report, 'the source is gone');
      sim.advance(5 * MIN);
      sim.settle();
      expect(sim.cancels().map((c) => c.reason)).toEqual(['Unrecoverable']);
      expect(sim.phaseOf(report)).toBe('Failed/Unrecoverable');
    });
  });

  describe('maxConcurrentActions', () => {
    const five = { partitions: { campaign: { values: ['1', '2', '3', '4', '5'] } }, maxConcurrentActions: 2, retry: { limit: 5 } };
    const campaign = (n: number) => expId('report', `campaign=${n}`);

    it('bounds the live leases of an Expectation; the others wait with ConcurrencyLimit', () => {
      const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report', five)] });
      sim.onLaunch = () => 'hang';
      sim.settle();
      const owner = sim.engine.owners()[0];
      if (owner === undefined) throw new Error('no owner');
      expect(sim.engine.leasesOf(owner)).toHaveLength(2);
      expect([3, 4, 5].map((n) => sim.phaseOf(campaign(n)))).toEqual(Array(3).fill('Pending/ConcurrencyLimit'));
      expect(ownerStatus(owner, (n) => sim.engine.lease(n), (n) => sim.engine.retry(n)).leases).toHaveLength(2);
    });

    it('frees a slot as each action ends, until every partition is done, never exceeding the limit', () => {
      const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report', five)] });
      sim.onLaunch = () => 'hang';
      const owner = () => sim.engine.owners()[0] as NonNullable<ReturnType<Simulation['engine']['owners']>[0]>;
      let most = 0;
      for (let i = 0; i < 40; i++) {
        sim.step();
        most = Math.max(most, sim.engine.leasesOf(owner()).length);
        const [first] = sim.running.keys();
        if (first !== undefined && i % 2 === 1) sim.finish(first, i % 4 === 1 ? 'succeed' : 'fail');
        sim.advance(MIN);
      }
      sim.settle(200, MIN);
      expect(most).toBe(2);
      expect([1, 2, 3, 4, 5].map((n) => sim.phaseOf(campaign(n)))).toEqual(Array(5).fill('Satisfied/StateSatisfied'));
    });

    it('frees the slot of an expired lease', () => {
      const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report', { ...five, maxConcurrentActions: 1 })] });
      sim.onLaunch = () => 'hang';
      sim.settle();
      expect(sim.launches.map((l) => l.node)).toEqual([campaign(1)]);
      sim.advance(10 * MIN);
      const plan = sim.step();
      expect(plan.cancels).toHaveLength(1);
      expect(plan.launches.map((l) => l.node)).toEqual([campaign(2)]);
    });
  });

  describe('a restart (snapshot and restore)', () => {
    it('keeps the lease: the new engine adopts it and launches no second action', () => {
      const sim = hangingReport();
      const lease = sim.engine.lease(report);
      sim.restart();
      sim.settle(20);
      sim.advance(5 * MIN);
      sim.settle(20);
      expect(sim.launches).toHaveLength(1);
      expect(sim.engine.lease(report)).toEqual(lease);
      expect(sim.phaseOf(report)).toBe('WorkingOnIt/ActionRunning');
    });

    it('accepts the report of the adopted action and reaches Satisfied', () => {
      const sim = hangingReport();
      sim.restart();
      sim.step();
      sim.finish(report);
      sim.settle();
      expect(sim.phaseOf(report)).toBe('Satisfied/StateSatisfied');
      expect(sim.launches).toHaveLength(1);
    });

    it('still expires the adopted lease on time: cancel, then attempt 2', () => {
      const sim = hangingReport();
      const action = sim.engine.lease(report)?.action;
      sim.restart();
      sim.step();
      sim.advance(10 * MIN);
      expect(sim.step().cancels).toEqual([expect.objectContaining({ action, reason: 'LeaseExpired' })]);
      sim.advance(MIN);
      expect(sim.step().checks).toHaveLength(1);
      expect(sim.step().launches.map((l) => l.lease.attempt)).toEqual([2]);
    });

    it('keeps retry records: a restart neither skips the backoff nor reuses an attempt number', () => {
      const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report')] });
      sim.onLaunch = () => 'fail';
      sim.step();
      sim.step();
      sim.step(); // attempt 1 failed: backoff 1m
      sim.restart();
      sim.onLaunch = () => 'succeed';
      sim.step();
      sim.step();
      expect(sim.launches).toHaveLength(1);
      sim.advance(MIN);
      sim.settle();
      expect(sim.launches.map((l) => l.lease.attempt)).toEqual([1, 2]);
    });

    describe('an adopted lease whose action never started (the controller stopped between saving the lease and creating its Job)', () => {
      const neverStarted = (spec: Parameters<typeof expectation>[1] = {}) => {
        const sim = hangingReport(spec);
        const lease = sim.engine.lease(report);
        if (lease === undefined) throw new Error('no lease');
        sim.running.delete(report); // the Job was never created
        sim.restart();
        sim.onLaunch = () => 'succeed';
        return { sim, lease };
      };

      it('says ActionNotStarted, not a failure, and spends no attempt', () => {
        const { sim, lease } = neverStarted();
        expect(sim.engine.actionNotStarted(report, lease.attempt, sim.now, `no Job ${lease.action} exists`)).toBe(true);
        const said = sim.step().events.map((e) => `${e.type}/${e.reason}: ${e.message}`);
        expect(sim.engine.lease(report)).toBeUndefined();
        expect(sim.engine.retry(report)).toBeUndefined();
        expect(said[0]).toBe(`Normal/ActionNotStarted: action ${lease.action} (attempt 1) never started: no Job ${lease.action} exists; it is not counted as an attempt`);
        expect(said.filter((e) => e.startsWith('Warning'))).toEqual([]);
      });

      it('checks the state afresh, then launches the same attempt again under a new name', () => {
        const { sim, lease } = neverStarted();
        sim.advance(5 * 1000);
        sim.engine.actionNotStarted(report, lease.attempt, sim.now);
        const plan = sim.step();
        expect(plan.launches).toHaveLength(0);
        expect(plan.checks.flatMap((c) => c.items.map((i) => i.node))).toEqual([report]);
        sim.settle();
        expect(sim.launches.map((l) => l.lease.attempt)).toEqual([1, 1]);
        expect(sim.launches[1]?.lease.action).not.toBe(lease.action);
        expect(sim.phaseOf(report)).toBe('Satisfied/StateSatisfied');
      });

      it('launches nothing when the fresh check says the state holds', () => {
        const { sim, lease } = neverStarted();
        sim.data.add(report);
        sim.engine.actionNotStarted(report, lease.attempt, sim.now);
        sim.settle();
        expect(sim.launches).toHaveLength(1);
        expect(sim.phaseOf(report)).toBe('Satisfied/StateSatisfied');
      });

      it('never marks a partition Failed from crashes alone, however small the retry limit', () => {
        const { sim } = neverStarted({ retry: { limit: 0 } });
        for (let crash = 0; crash < 5; crash++) {
          const lease = sim.engine.lease(report);
          if (lease === undefined) throw new Error('no lease');
          sim.restart();
          sim.advance(1000);
          sim.engine.actionNotStarted(report, lease.attempt, sim.now);
          sim.onLaunch = () => 'hang';
          sim.step(); // checked afresh
          sim.step(); // launched again, and the controller stops again before creating the Job
          sim.running.delete(report);
        }
        expect(sim.phaseOf(report)).toBe('WorkingOnIt/ActionStarted');
        expect(sim.engine.retry(report)).toBeUndefined();
      });

      it('ignores the report for another attempt, or for a lease already ended', () => {
        const { sim, lease } = neverStarted();
        expect(sim.engine.actionNotStarted(report, lease.attempt + 1, sim.now)).toBe(false);
        expect(sim.engine.actionFinished(report, lease.attempt, false, sim.now)).toBe(true);
        expect(sim.engine.actionNotStarted(report, lease.attempt, sim.now)).toBe(false);
      });
    });

    it('counts adopted leases against maxConcurrentActions', () => {
      const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report', { partitions: { campaign: { values: ['1', '2'] } }, maxConcurrentActions: 1 })] });
      sim.onLaunch = () => 'hang';
      sim.settle();
      sim.restart();
      sim.settle();
      expect(sim.launches).toHaveLength(1);
      expect(sim.phaseOf(expId('report', 'campaign=2'))).toBe('Pending/ConcurrencyLimit');
    });

    it('restores observations when asked, so nothing needs checking again at once', () => {
      const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report')] });
      sim.data.add(report);
      sim.settle();
      sim.restart(true);
      const plan = sim.step();
      expect(plan.checks).toHaveLength(0);
      expect(sim.phaseOf(report)).toBe('Satisfied/StateSatisfied');
    });
  });
});
