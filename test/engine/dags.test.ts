import type { RunRecord } from '../../src/engine/index.js';
import { dag, dagDependency, dagPeriodId, HOUR, MIN, Simulation, taskId } from './simulation.js';

const daily = (from: string) => ({ from, every: 'P1D' });
/** The simulation starts on 2026-03-10 at 12:00 UTC: the latest complete daily period is 2026-03-09. */
const YESTERDAY = '2026-03-09';

const runsOf = (sim: Simulation, dagName: string, period?: string): Pick<RunRecord, 'period' | 'reason' | 'phase'>[] =>
  sim.engine
    .runs()
    .filter((r) => r.dag === dagName && (period === undefined || r.period === period))
    .map(({ period: p, reason, phase }) => ({ period: p, reason, phase }));

describe('a Dag', () => {
  describe('tasks within a period', () => {
    const etl = () => dag('etl', [{ name: 'extract' }, { name: 'load', dependsOn: ['extract'] }], daily(YESTERDAY));

    it('runs a task once its upstream tasks have succeeded for the period, not before', () => {
      const sim = new Simulation({ dags: [etl()] });
      sim.onLaunch = () => 'hang';
      sim.settle();
      expect(sim.launches.map((l) => l.task)).toEqual(['extract']);
      expect(sim.phaseOf(taskId('etl', 'load', YESTERDAY))).toBe('WorkingOnIt/UpstreamWorking');
      expect(sim.messageOf(taskId('etl', 'load', YESTERDAY))).toBe(`Dag etl task extract ${YESTERDAY} is being worked on`);
      sim.finish(taskId('etl', 'extract', YESTERDAY));
      sim.settle();
      expect(sim.launches.map((l) => l.task)).toEqual(['extract', 'load']);
    });

    it('gives the task its period, its bounds and its names as template values', () => {
      const sim = new Simulation({ dags: [etl()] });
      sim.settle();
      expect(sim.launches[0]?.values).toEqual({ period: YESTERDAY, periodStart: '2026-03-09T00:00:00.000Z', periodEnd: '2026-03-10T00:00:00.000Z', dag: 'etl', task: 'extract' });
      expect(sim.launches[0]?.deadlineSeconds).toBe(30 * 60);
    });

    it('holds for the period once every task has succeeded, and records a Schedule run, Succeeded', () => {
      const sim = new Simulation({ dags: [etl()] });
      sim.settle();
      expect(sim.phaseOf(dagPeriodId('etl', YESTERDAY))).toBe('Satisfied/Succeeded');
      expect(runsOf(sim, 'etl')).toEqual([{ period: YESTERDAY, reason: 'Schedule', phase: 'Succeeded' }]);
      sim.runUntil(sim.now + 6 * HOUR, HOUR);
      expect(sim.launches).toHaveLength(2); // no second run of a period that holds
    });

    it('retries a failed task after its backoff, and the run goes on', () => {
      const sim = new Simulation({ dags: [etl()] });
      sim.onLaunch = (l) => (l.task === 'extract' && l.lease.attempt === 1 ? 'fail' : 'succeed');
      sim.settle();
      expect(sim.phaseOf(taskId('etl', 'extract', YESTERDAY))).toBe('Pending/Backoff');
      expect(sim.phaseOf(dagPeriodId('etl', YESTERDAY))).toBe('Pending/Backoff');
      expect(runsOf(sim, 'etl')).toEqual([{ period: YESTERDAY, reason: 'Schedule', phase: 'Running' }]);
      sim.advance(MIN);
      sim.settle();
      expect(runsOf(sim, 'etl')).toEqual([{ period: YESTERDAY, reason: 'Schedule', phase: 'Succeeded' }]);
    });

    it('fails the run when a task fails for good, and the downstream tasks do not start', () => {
      const sim = new Simulation({ dags: [etl()] });
      sim.onLaunch = () => 'fail';
      sim.settle(10, 10 * MIN);
      const extract = taskId('etl', 'extract', YESTERDAY);
      expect(sim.phaseOf(extract)).toBe('Failed/RetriesExhausted');
      expect(sim.phaseOf(taskId('etl', 'load', YESTERDAY))).toBe('Waiting/UpstreamFailed');
      expect(sim.messageOf(taskId('etl', 'load', YESTERDAY))).toMatch(/^Dag etl task extract 2026-03-09 is Failed: 2 attempts failed/);
      expect(sim.phaseOf(dagPeriodId('etl', YESTERDAY))).toBe('Failed/TaskFailed');
      expect(sim.launches.map((l) => l.task)).toEqual(['extract', 'extract']);
      const [run] = sim.engine.runs();
      expect(run).toMatchObject({ phase: 'Failed', reason: 'Schedule' });
      expect(run?.message).toMatch(/^task extract failed: 2 attempts failed/);
      expect(sim.events()).toContainEqual(expect.objectContaining({ type: 'Warning', reason: 'RunFailed' }));
    });

    it('runs every period from the start date (a backfill), each once', () => {
      const sim = new Simulation({ dags: [dag('etl', [{ name: 'extract' }], daily('2026-03-01'))] });
      sim.settle();
      expect(sim.launches.map((l) => l.partition)).toEqual(Array.from({ length: 9 }, (_, i) => `2026-03-0${i + 1}`));
      expect(runsOf(sim, 'etl').every((r) => r.phase === 'Succeeded' && r.reason === 'Schedule')).toBe(true);
    });

    it('runs a new period once it has ended', () => {
      const sim = new Simulation({ dags: [etl()] });
      sim.settle();
      sim.now = Date.parse('2026-03-11T00:00:00Z');
      sim.settle();
      expect(sim.launches.map((l) => `${l.task}@${l.partition}`)).toEqual(['extract@2026-03-09', 'load@2026-03-09', 'extract@2026-03-10', 'load@2026-03-10']);
    });
  });

  describe('maxActiveRuns', () => {
    it('starts at most maxActiveRuns of 30 backfilled periods at once, and starts the next as runs end', () => {
      const thirty = dag('etl', [{ name: 'extract' }, { name: 'load', dependsOn: ['extract'] }], daily('2026-02-08'), { maxActiveRuns: 4 });
      const sim = new Simulation({ dags: [thirty] });
      sim.onLaunch = () => 'hang';
      let mostOpen = 0;
      let mostPeriodsRunning = 0;
      for (let i = 0; i < 400 && sim.engine.runs().filter((r) => r.phase === 'Succeeded').length < 30; i++) {
        sim.step();
        mostOpen = Math.max(mostOpen, sim.engine.runs().filter((r) => r.phase === 'Running').length);
        mostPeriodsRunning = Math.max(mostPeriodsRunning, new Set([...sim.running.values()].map((l) => l.partition)).size);
        const [next] = sim.running.keys();
        if (next !== undefined) sim.finish(next);
      }
      expect(sim.engine.runs().filter((r) => r.phase === 'Succeeded')).toHaveLength(30);
      expect(mostOpen).toBe(4);
      expect(mostPeriodsRunning).toBe(4);
      expect(sim.launches).toHaveLength(60);
    });

    it('says ConcurrencyLimit for the periods that wait for a run slot', () => {
      const sim = new Simulation({ dags: [dag('etl', [{ name: 'extract' }], daily('2026-03-01'), { maxActiveRuns: 2 })] });
      sim.onLaunch = () => 'hang';
      sim.settle();
      expect(sim.launches.map((l) => l.partition)).toEqual(['2026-03-01', '2026-03-02']);
      expect(sim.phaseOf(taskId('etl', 'extract', '2026-03-03'))).toBe('Pending/ConcurrencyLimit');
      expect(sim.phaseOf(dagPeriodId('etl', '2026-03-03'))).toBe('Pending/ConcurrencyLimit');
    });

    it('frees the slot of a failed run', () => {
      const sim = new Simulation({ dags: [dag('etl', [{ name: 'extract', retry: { limit: 0 } }], daily('2026-03-08'), { maxActiveRuns: 1 })] });
      sim.onLaunch = (l) => (l.partition === '2026-03-08' ? 'fail' : 'succeed');
      sim.settle();
      expect(runsOf(sim, 'etl')).toEqual([
        { period: '2026-03-08', reason: 'Schedule', phase: 'Failed' },
        { period: '2026-03-09', reason: 'Schedule', phase: 'Succeeded' },
      ]);
    });
  });

  describe('a re-run request (Make rule)', () => {
    const sold = () => dag('sold', [{ name: 'load' }, { name: 'aggregate', dependsOn: ['load'] }], daily('2026-02-01'));
    const enrich = () => dag('enrich', [{ name: 'build' }], daily('2026-02-01'));
    const world = () => ({ dags: [sold(), enrich()], dagDependencies: [dagDependency('enrich-after-sold', 'enrich', [{ dag: 'sold' }])] });

    it.each([
      ['the latest period', YESTERDAY],
      ['a period a month ago', '2026-02-08'],
    ])('re-runs the tasks of %s, then its dependents for that period only, exactly once', (_name, period) => {
      const sim = new Simulation(world());
      sim.settle();
      expect(sim.launches).toHaveLength(3 * 37); // 2026-02-01 .. 2026-03-09
      const before = sim.launches.length;
      sim.advance(HOUR);
      expect(sim.engine.requestRun({ namespace: 'default', name: 'sold' }, period, { at: sim.now, reason: 'Manual', name: 'sold-rerun-1' })).toBe(true);
      sim.settle();
      sim.runUntil(sim.now + 6 * HOUR, HOUR); // before midnight, when 2026-03-10 would become a period
      expect(sim.launches.slice(before).map((l) => `${l.owner.name}/${l.task}@${l.partition}`)).toEqual([`sold/load@${period}`, `sold/aggregate@${period}`, `enrich/build@${period}`]);
      expect(runsOf(sim, 'sold', period)).toEqual([
        { period, reason: 'Schedule', phase: 'Succeeded' },
        { period, reason: 'Manual', phase: 'Succeeded' },
      ]);
      expect(runsOf(sim, 'enrich', period)).toEqual([
        { period, reason: 'Schedule', phase: 'Succeeded' },
        { period, reason: 'Dependency', phase: 'Succeeded' },
      ]);
      expect(sim.engine.runs().find((r) => r.dag === 'sold' && r.reason === 'Manual')?.name).toBe('sold-rerun-1');
    });

    it('re-runs a dependent only after the whole upstream run has succeeded again', () => {
      const sim = new Simulation(world());
      sim.settle();
      sim.onLaunch = () => 'hang';
      const before = sim.launches.length;
      sim.advance(MIN);
      sim.engine.requestRun({ namespace: 'default', name: 'sold' }, YESTERDAY, { at: sim.now, reason: 'Manual' });
      sim.settle();
      sim.finish(taskId('sold', 'load', YESTERDAY));
      sim.settle();
      expect(sim.launches.slice(before).map((l) => l.task)).toEqual(['load', 'aggregate']);
      // Make's rule: build is still newer than sold's latest success, so it stays Satisfied until sold succeeds again.
      expect(sim.phaseOf(taskId('enrich', 'build', YESTERDAY))).toBe('Satisfied/StateSatisfied');
      expect(sim.phaseOf(dagPeriodId('sold', YESTERDAY))).toBe('WorkingOnIt/Running');
      sim.finish(taskId('sold', 'aggregate', YESTERDAY));
      sim.settle();
      expect(sim.launches.slice(before).map((l) => l.task)).toEqual(['load', 'aggregate', 'build']);
    });

    it('ignores a request older than the one already known', () => {
      const sim = new Simulation(world());
      sim.settle();
      const ref = { namespace: 'default', name: 'sold' };
      expect(sim.engine.requestRun(ref, YESTERDAY, { at: sim.now, reason: 'Manual' })).toBe(true);
      expect(sim.engine.requestRun(ref, YESTERDAY, { at: sim.now - 1, reason: 'Manual' })).toBe(false);
    });

    it('resets the retries of a failed period: a manual re-run tries again', () => {
      const sim = new Simulation({ dags: [dag('etl', [{ name: 'extract' }], daily(YESTERDAY))] });
      sim.onLaunch = () => 'fail';
      sim.settle(10, 10 * MIN);
      expect(sim.phaseOf(dagPeriodId('etl', YESTERDAY))).toBe('Failed/TaskFailed');
      sim.onLaunch = () => 'succeed';
      sim.advance(HOUR);
      sim.engine.requestRun({ namespace: 'default', name: 'etl' }, YESTERDAY, { at: sim.now, reason: 'Manual' });
      sim.settle();
      expect(sim.phaseOf(dagPeriodId('etl', YESTERDAY))).toBe('Satisfied/Succeeded');
      expect(runsOf(sim, 'etl')).toEqual([
        { period: YESTERDAY, reason: 'Schedule', phase: 'Failed' },
        { period: YESTERDAY, reason: 'Manual', phase: 'Succeeded' },
      ]);
    });
  });

  describe('dependencies between Dags (DagDependency)', () => {
    it('an hourly upstream and a daily dependent: the day needs all 24 hours', () => {
      const sim = new Simulation({
        dags: [dag('clicks', [{ name: 'ingest' }], { from: '2026-03-09T00:00', every: 'PT1H' }), dag('report', [{ name: 'build' }], daily('2026-03-09'))],
        dagDependencies: [dagDependency('report-after-clicks', 'report', [{ dag: 'clicks' }])],
      });
      const late = taskId('clicks', 'ingest', '2026-03-09T17:00');
      sim.onLaunch = (l) => (l.node === late ? 'hang' : 'succeed');
      sim.settle();
      expect(sim.launches.filter((l) => l.owner.name === 'clicks')).toHaveLength(24 + 12); // yesterday and today until 12:00
      expect(sim.launchesOf(taskId('report', 'build', YESTERDAY))).toHaveLength(0);
      expect(sim.phaseOf(taskId('report', 'build', YESTERDAY))).toBe('WorkingOnIt/UpstreamWorking');
      sim.finish(late);
      sim.settle();
      expect(sim.launchesOf(taskId('report', 'build', YESTERDAY))).toHaveLength(1);
    });

    it('depends on a whole Dag: waits for every task of the period', () => {
      const sim = new Simulation({
        dags: [dag('ads', [{ name: 'load' }, { name: 'publish', dependsOn: ['load'] }], daily(YESTERDAY)), dag('enrich', [{ name: 'build' }], daily(YESTERDAY))],
        dagDependencies: [dagDependency('enrich-after-ads', 'enrich', [{ dag: 'ads' }])],
      });
      sim.onLaunch = (l) => (l.task === 'publish' ? 'hang' : 'succeed');
      sim.settle();
      expect(sim.launches.map((l) => l.task)).toEqual(['load', 'publish']);
      expect(sim.messageOf(taskId('enrich', 'build', YESTERDAY))).toBe(`Dag ads ${YESTERDAY} is being worked on`);
    });

    it('depends on a single task: starts as soon as that task has succeeded', () => {
      const sim = new Simulation({
        dags: [dag('ads', [{ name: 'load' }, { name: 'publish', dependsOn: ['load'] }], daily(YESTERDAY)), dag('enrich', [{ name: 'build' }], daily(YESTERDAY))],
        dagDependencies: [dagDependency('enrich-after-ads-load', 'enrich', [{ dag: 'ads', task: 'load' }])],
      });
      sim.onLaunch = (l) => (l.task === 'publish' ? 'hang' : 'succeed');
      sim.settle();
      expect(sim.launches.map((l) => l.task)).toEqual(['load', 'publish', 'build']);
    });

    it('a Dag without periods of its own takes those of its upstream', () => {
      const sim = new Simulation({
        dags: [dag('sold', [{ name: 'load' }], daily('2026-03-08')), dag('enrich', [{ name: 'build' }])],
        dagDependencies: [dagDependency('enrich-after-sold', 'enrich', [{ dag: 'sold' }])],
      });
      sim.settle();
      expect(sim.launches.map((l) => `${l.owner.name}@${l.partition}`)).toEqual(['sold@2026-03-08', 'sold@2026-03-09', 'enrich@2026-03-08', 'enrich@2026-03-09']);
    });

    it('records the first run of a dependent as Schedule and a run caused by an upstream re-run as Dependency', () => {
      const sim = new Simulation({
        dags: [dag('sold', [{ name: 'load' }], daily(YESTERDAY)), dag('enrich', [{ name: 'build' }], daily(YESTERDAY))],
        dagDependencies: [dagDependency('enrich-after-sold', 'enrich', [{ dag: 'sold' }])],
      });
      sim.settle();
      sim.advance(MIN);
      sim.engine.requestRun({ namespace: 'default', name: 'sold' }, YESTERDAY, { at: sim.now, reason: 'Manual' });
      sim.settle();
      expect(runsOf(sim, 'enrich')).toEqual([
        { period: YESTERDAY, reason: 'Schedule', phase: 'Succeeded' },
        { period: YESTERDAY, reason: 'Dependency', phase: 'Succeeded' },
      ]);
    });

    it('keeps at most historyLimit runs per period', () => {
      const sim = new Simulation({ dags: [dag('etl', [{ name: 'extract' }], daily(YESTERDAY), { historyLimit: 2 })] });
      sim.settle();
      for (let i = 0; i < 4; i++) {
        sim.advance(MIN);
        sim.engine.requestRun({ namespace: 'default', name: 'etl' }, YESTERDAY, { at: sim.now, reason: 'Manual' });
        sim.settle();
      }
      expect(sim.engine.runs()).toHaveLength(2);
      expect(sim.plans.flatMap((p) => p.removedRuns)).toHaveLength(3);
    });

    it("counts a user's DagRun in the history limit but never forgets it, until the user deletes it", () => {
      const sim = new Simulation({ dags: [dag('etl', [{ name: 'extract' }], daily(YESTERDAY), { historyLimit: 1 })] });
      sim.settle();
      sim.advance(MIN);
      sim.engine.requestRun({ namespace: 'default', name: 'etl' }, YESTERDAY, { at: sim.now, reason: 'Manual', name: 'mine' });
      sim.settle();
      for (let i = 0; i < 2; i++) {
        sim.advance(MIN);
        sim.engine.requestRun({ namespace: 'default', name: 'etl' }, YESTERDAY, { at: sim.now, reason: 'Manual' });
        sim.settle();
      }
      expect(sim.engine.runs().map((r) => `${r.name}${r.byUser === true ? ' (user)' : ''}`)).toEqual(['mine (user)', 'etl-2026-03-09-4']);
      expect(sim.plans.flatMap((p) => p.removedRuns).map((r) => r.name)).toEqual(['etl-2026-03-09-1', 'etl-2026-03-09-3']);
      // With the user's run and the latest, the limit (1) is passed: only the controller's own go.
      expect(sim.engine.runs().filter((r) => r.byUser !== true)).toHaveLength(1);
      sim.engine.forgetDeletedRuns(() => false);
      expect(sim.engine.runs().map((r) => r.name)).toEqual(['etl-2026-03-09-4']);
    });

    it('a finished run keeps each task as it ended: attempts, Job and phase, whatever later runs do', () => {
      const sim = new Simulation({ dags: [dag('etl', [{ name: 'extract', retry: { limit: 1, backoff: { initial: '1m' } } }, { name: 'load', dependsOn: ['extract'] }], daily(YESTERDAY))] });
      let failures = 1;
      sim.onLaunch = (l) => (l.task === 'extract' && failures-- > 0 ? 'fail' : 'succeed');
      sim.runUntil(sim.now + HOUR, MIN);
      const [first] = sim.engine.runs();
      expect(first?.phase).toBe('Succeeded');
      expect(first?.tasks).toEqual({
        extract: { attempts: 2, action: sim.launchesOf(taskId('etl', 'extract', YESTERDAY))[1]?.lease.action, phase: 'Satisfied', message: expect.any(String) },
        load: { attempts: 1, action: sim.launchesOf(taskId('etl', 'load', YESTERDAY))[0]?.lease.action, phase: 'Satisfied', message: expect.any(String) },
      });
      sim.onLaunch = () => 'hang';
      sim.advance(MIN);
      sim.engine.requestRun({ namespace: 'default', name: 'etl' }, YESTERDAY, { at: sim.now, reason: 'Manual' });
      sim.settle();
      expect(first?.tasks?.extract?.phase).toBe('Satisfied');
      expect(sim.engine.runs()[1]?.tasks).toEqual({ extract: { attempts: 1, action: expect.any(String) } });
    });
  });
});

describe('a Dag applied with its DagDependency, one object at a time', () => {
  const up = dag('up', [{ name: 'load' }], daily(YESTERDAY));
  const down = dag('down', [{ name: 'use' }], daily(YESTERDAY));
  const wiring = dagDependency('down-inputs', 'down', [{ dag: 'up' }]);

  it('a Dag seen after the first world starts nothing for newDagGraceMs, so its DagDependency arriving next still holds it back', () => {
    const sim = new Simulation({ dags: [up] }, undefined, { newDagGraceMs: 2_000 });
    sim.onLaunch = () => 'hang';
    sim.settle();
    sim.setWorld({ dags: [up, down] }); // kubectl apply: the Dag first...
    sim.settle();
    expect(sim.phaseOf(taskId('down', 'use', YESTERDAY))).toBe('Pending/NewDag');
    sim.advance(500);
    sim.setWorld({ dags: [up, down], dagDependencies: [wiring] }); // ...its DagDependency 0.5 s later
    sim.runUntil(sim.now + 5_000, 500);
    expect(sim.launchesOf(taskId('down', 'use', YESTERDAY))).toHaveLength(0);
    expect(sim.phaseOf(taskId('down', 'use', YESTERDAY))).toBe('WorkingOnIt/UpstreamWorking');
    sim.finish(taskId('up', 'load', YESTERDAY));
    sim.settle();
    expect(sim.launchesOf(taskId('down', 'use', YESTERDAY))).toHaveLength(1);
  });

  it('without a DagDependency, the new Dag starts once the grace has passed', () => {
    const sim = new Simulation({ dags: [up] }, undefined, { newDagGraceMs: 2_000 });
    sim.settle();
    const added = sim.now;
    sim.setWorld({ dags: [up, down] });
    sim.runUntil(added + 5_000, 250);
    const [launch] = sim.launchesOf(taskId('down', 'use', YESTERDAY));
    expect(launch?.lease.acquiredAt).toBe(added + 2_000);
  });

  it('the Dags of the first world (a start, a restart) do not wait', () => {
    const sim = new Simulation({ dags: [up, down] }, undefined, { newDagGraceMs: 2_000 });
    sim.settle();
    expect(sim.launchesOf(taskId('down', 'use', YESTERDAY))).toHaveLength(1);
  });
});
