import { ownerConditions, ownerStatus } from '../../src/engine/index.js';
import { dag, dagDependency, dagPeriodId, HOUR, MIN, Simulation, taskId } from './simulation.js';

/**
 * DESIGN.md's Mediator scenario, told step by step: Dag enrich depends on Dag sold and on task
 * load of Dag ads, all daily. The Dags never talk to each other; the DagDependency wires them.
 */
describe('the Mediator scenario', () => {
  const TODAY = '2026-03-09'; // the latest complete day when the story starts (2026-03-10 12:00 UTC)
  const MONTH_AGO = '2026-02-07';
  const world = () => ({
    dags: [
      dag('sold', [{ name: 'load' }, { name: 'aggregate', dependsOn: ['load'] }], { from: '2026-02-01', every: 'P1D' }),
      dag('ads', [{ name: 'load', retry: { limit: 1, backoff: { initial: '1m' } } }, { name: 'publish', dependsOn: ['load'] }], { from: '2026-02-01', every: 'P1D' }),
      dag('enrich', [{ name: 'join' }, { name: 'write', dependsOn: ['join'] }], { from: '2026-02-01', every: 'P1D' }),
    ],
    dagDependencies: [dagDependency('enrich-inputs', 'enrich', [{ dag: 'sold' }, { dag: 'ads', task: 'load' }])],
  });
  const enrichJoin = (day: string) => taskId('enrich', 'join', day);
  const launched = (sim: Simulation, from = 0) => sim.launches.slice(from).map((l) => `${l.owner.name}/${l.task}@${l.partition}`);

  /** Every day before TODAY has run; TODAY's tasks do what `today` says. */
  const story = (today: (dagName: string, task: string) => 'succeed' | 'fail' | 'hang') => {
    const sim = new Simulation(world());
    sim.onLaunch = (l) => (l.partition === TODAY ? today(l.owner.name, l.task ?? '') : 'succeed');
    sim.settle(500); // the clock stands still: nothing expires, nothing new is due
    return sim;
  };

  it('enrich for day D starts only after both sold and ads load have succeeded for D', () => {
    const sim = story((d) => (d === 'enrich' ? 'succeed' : 'hang'));
    expect(sim.launchesOf(enrichJoin(TODAY))).toHaveLength(0);
    expect(sim.phaseOf(enrichJoin(TODAY))).toBe('WorkingOnIt/UpstreamWorking');
    // `kubectl get dag`'s RUNNING counts periods with a task running: enrich has none.
    const statusOf = (name: string) => ownerStatus(sim.engine.owner({ kind: 'Dag', namespace: 'default', name }) as never, (id) => sim.engine.lease(id), (id) => sim.engine.retry(id));
    expect([statusOf('enrich').running, statusOf('sold').running]).toEqual([0, 1]);

    sim.finish(taskId('sold', 'load', TODAY));
    sim.settle();
    sim.finish(taskId('sold', 'aggregate', TODAY));
    sim.settle();
    expect(sim.phaseOf(dagPeriodId('sold', TODAY))).toBe('Satisfied/Succeeded');
    expect(sim.launchesOf(enrichJoin(TODAY))).toHaveLength(0); // sold alone is not enough
    expect(sim.messageOf(enrichJoin(TODAY))).toBe(`Dag ads task load ${TODAY} is being worked on`);
    // What `kubectl get dag enrich -o yaml` shows: the period waits, naming the upstream at work and its period.
    const enrich = statusOf('enrich');
    expect(enrich.reason).toBe('UpstreamWorking'); // the REASON column of `kubectl get dag`
    expect(enrich.waiting).toEqual([{ partition: TODAY, reason: 'UpstreamWorking', message: `Dag ads task load ${TODAY} is being worked on` }]);
    const conditions = Object.fromEntries(ownerConditions(enrich, undefined, 1, sim.now).map((c) => [c.type, `${c.status}/${c.reason}: ${c.message}`]));
    expect(conditions.Satisfied).toBe(`False/WorkingOnIt: 36/37 satisfied; ${TODAY} waits: Dag ads task load ${TODAY} is being worked on`);
    expect(conditions.Progressing).toBe(`True/WorkingOnIt: 0 working, 1 waiting on an upstream being worked on (${TODAY} waits: Dag ads task load ${TODAY} is being worked on), 0 pending`);

    sim.finish(taskId('ads', 'load', TODAY));
    sim.settle();
    expect(sim.launchesOf(enrichJoin(TODAY))).toHaveLength(1); // at once, while ads publish still runs
    expect(sim.running.has(taskId('ads', 'publish', TODAY))).toBe(true);
    expect(sim.phaseOf(dagPeriodId('enrich', TODAY))).toBe('Satisfied/Succeeded');
  });

  it('the days before D, already complete upstream, ran in the backfill', () => {
    const sim = story(() => 'hang');
    expect(sim.launchesOf(enrichJoin('2026-03-08'))).toHaveLength(1);
    expect(sim.launchesOf(enrichJoin(MONTH_AGO))).toHaveLength(1);
    expect(sim.engine.runs().filter((r) => r.dag === 'enrich' && r.phase === 'Succeeded')).toHaveLength(36);
  });

  it('if ads fails for D, enrich for D waits and says why', () => {
    const sim = story((d, t) => (d === 'ads' && t === 'load' ? 'fail' : 'succeed'));
    sim.runUntil(sim.now + HOUR, MIN);
    expect(sim.phaseOf(taskId('ads', 'load', TODAY))).toBe('Failed/RetriesExhausted');
    expect(sim.phaseOf(enrichJoin(TODAY))).toBe('Waiting/UpstreamFailed');
    expect(sim.messageOf(enrichJoin(TODAY))).toBe(`Dag ads task load ${TODAY} is Failed: 2 attempts failed; last: ActionFailed: exit code 1`);
    expect(sim.phaseOf(dagPeriodId('enrich', TODAY))).toBe('Waiting/UpstreamFailed');
    expect(sim.messageOf(dagPeriodId('enrich', TODAY))).toMatch(/^Dag ads task load 2026-03-09 is Failed/);
    expect(sim.launchesOf(enrichJoin(TODAY))).toHaveLength(0);
    expect(sim.engine.runs().filter((r) => r.dag === 'enrich' && r.period === TODAY)).toHaveLength(0); // no run was started
    // What `kubectl get dag enrich -o yaml` shows: the period waits, naming the failed input.
    const enrich = sim.engine.owner({ kind: 'Dag', namespace: 'default', name: 'enrich' });
    const status = ownerStatus(enrich as never, (id) => sim.engine.lease(id), (id) => sim.engine.retry(id));
    expect(status.waiting).toEqual([{ partition: TODAY, reason: 'UpstreamFailed', message: expect.stringMatching(/^Dag ads task load 2026-03-09 is Failed/) }]);
    expect(ownerConditions(status, undefined, 1, sim.now).find((c) => c.type === 'Satisfied')?.message).toMatch(/^36\/37 satisfied; 2026-03-09 waits: Dag ads task load 2026-03-09 is Failed/);

    // Someone re-runs ads for D after fixing it: enrich for D follows.
    sim.onLaunch = () => 'succeed';
    sim.advance(MIN);
    sim.engine.requestRun({ namespace: 'default', name: 'ads' }, TODAY, { at: sim.now, reason: 'Manual' });
    sim.settle();
    expect(sim.launchesOf(enrichJoin(TODAY))).toHaveLength(1);
  });

  it.each([
    ['today', TODAY],
    ['a month ago', MONTH_AGO],
  ])('re-running sold for D (%s) re-runs enrich for D only, once', (_when, day) => {
    const sim = story(() => 'succeed');
    const before = sim.launches.length;
    sim.advance(HOUR);
    sim.engine.requestRun({ namespace: 'default', name: 'sold' }, day, { at: sim.now, reason: 'Manual', name: `sold-${day}-again` });
    sim.runUntil(sim.now + 6 * HOUR, 30 * MIN);
    expect(launched(sim, before)).toEqual([`sold/load@${day}`, `sold/aggregate@${day}`, `enrich/join@${day}`, `enrich/write@${day}`]);
    const runs = sim.engine.runs().filter((r) => r.period === day && r.reason !== 'Schedule');
    expect(runs.map((r) => `${r.dag}:${r.reason}:${r.phase}`)).toEqual(['sold:Manual:Succeeded', 'enrich:Dependency:Succeeded']);
    expect(sim.engine.runs().filter((r) => r.dag === 'ads' && r.reason !== 'Schedule')).toEqual([]);
  });

  it('re-running ads for D re-runs enrich for D too, through the task it depends on', () => {
    const sim = story(() => 'succeed');
    const before = sim.launches.length;
    sim.advance(HOUR);
    sim.engine.requestRun({ namespace: 'default', name: 'ads' }, TODAY, { at: sim.now, reason: 'Manual' });
    sim.runUntil(sim.now + 2 * HOUR, 30 * MIN);
    expect(launched(sim, before)).toEqual([`ads/load@${TODAY}`, `ads/publish@${TODAY}`, `enrich/join@${TODAY}`, `enrich/write@${TODAY}`]);
  });
});
