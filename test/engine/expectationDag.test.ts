import { checker, dag, expectation, expId, HOUR, Simulation, taskId } from './simulation.js';

const YESTERDAY = '2026-03-09';
const daily = (from: string) => ({ from, every: 'P1D' });

/** Expectations and Dags are nodes of one graph: each may depend on the other. */
describe('Expectations and Dags together', () => {
  it('an Expectation that depends on a Dag task waits for that task to succeed for the matching day', () => {
    const sim = new Simulation({
      checkers: [checker()],
      dags: [dag('ads', [{ name: 'load' }, { name: 'publish', dependsOn: ['load'] }], daily(YESTERDAY))],
      expectations: [expectation('report', { partitions: { date: { from: YESTERDAY, to: YESTERDAY, every: 'P1D' } }, dependsOn: [{ dag: 'ads', task: 'load' }] })],
    });
    sim.onLaunch = (l) => (l.task === 'load' ? 'hang' : 'succeed');
    sim.settle();
    const report = expId('report', `date=${YESTERDAY}`);
    expect(sim.phaseOf(report)).toBe('WorkingOnIt/UpstreamWorking');
    expect(sim.messageOf(report)).toBe(`Dag ads task load ${YESTERDAY} is being worked on`);
    sim.finish(taskId('ads', 'load', YESTERDAY));
    sim.settle();
    expect(sim.launchesOf(report)).toHaveLength(1);
  });

  it('an Expectation whose action is a Dag run repairs a deleted day by re-running the Dag for that day only', () => {
    const sim = new Simulation({
      checkers: [checker()],
      dags: [dag('load-campaigns', [{ name: 'load' }], daily('2026-03-08'))],
      expectations: [
        expectation('results', { partitions: { date: { from: '2026-03-08', to: YESTERDAY, every: 'P1D' } }, action: { dagRun: { dag: 'load-campaigns' } }, recheckEvery: '1h' }),
      ],
    });
    sim.onLaunch = (l) => {
      sim.data.add(expId('results', `date=${l.partition}`)); // the Dag writes the results of its day
      return 'succeed';
    };
    sim.settle();
    expect(sim.launches.map((l) => l.partition)).toEqual(['2026-03-08', YESTERDAY]);
    const results = expId('results', `date=${YESTERDAY}`);
    sim.data.delete(results);
    sim.advance(HOUR);
    sim.step(); // the recheck finds the day gone
    sim.step(); // the action: a run of the Dag for that day
    expect(sim.engine.lease(results)?.action).toBe('run:load-campaigns');
    sim.settle();
    expect(sim.launches.map((l) => l.partition)).toEqual(['2026-03-08', YESTERDAY, YESTERDAY]);
    expect(sim.engine.runs().filter((r) => r.period === YESTERDAY).map((r) => `${r.reason}/${r.phase}`)).toEqual(['Schedule/Succeeded', 'Expectation/Succeeded']);
    expect(sim.phaseOf(results)).toBe('Satisfied/StateSatisfied');
    expect(sim.engine.lease(results)).toBeUndefined();
  });

  it('an Expectation whose Dag run fails counts a failed attempt, naming the run', () => {
    const sim = new Simulation({
      checkers: [checker()],
      dags: [dag('load-campaigns', [{ name: 'load', retry: { limit: 0 } }], daily(YESTERDAY))],
      expectations: [expectation('results', { partitions: { date: { from: YESTERDAY, to: YESTERDAY, every: 'P1D' } }, action: { dagRun: { dag: 'load-campaigns' } } })],
    });
    sim.onLaunch = () => 'fail';
    sim.settle();
    const results = expId('results', `date=${YESTERDAY}`);
    sim.advance(HOUR);
    sim.settle();
    expect(sim.engine.retry(results)?.reason).toBe('ActionFailed');
    expect(sim.engine.retry(results)?.message).toMatch(/^Dag load-campaigns 2026-03-09 failed: task load failed/);
  });
});
