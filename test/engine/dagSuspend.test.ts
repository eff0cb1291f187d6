import { dag, dagPeriodId, Simulation, taskId } from './simulation.js';

/** The simulation starts on 2026-03-10 at 12:00 UTC: the latest complete daily period is 2026-03-09. */
const YESTERDAY = '2026-03-09';
const etl = (suspend: boolean) => dag('etl', [{ name: 'extract' }, { name: 'load', dependsOn: ['extract'] }], { from: YESTERDAY, every: 'P1D' }, { suspend });

describe('a suspended Dag (spec.suspend)', () => {
  it('starts nothing and records no run, and says it is suspended', () => {
    const sim = new Simulation({ dags: [etl(true)] });
    sim.settle();
    expect(sim.launches).toEqual([]);
    expect(sim.engine.runs()).toEqual([]);
    expect(sim.phaseOf(taskId('etl', 'extract', YESTERDAY))).toBe('Pending/Suspended');
  });

  it('lets a running task finish and keeps its success: resumed, it runs only what is still due', () => {
    const sim = new Simulation({ dags: [etl(false)] });
    sim.onLaunch = () => 'hang';
    sim.settle();
    expect(sim.launches.map((l) => l.task)).toEqual(['extract']);

    sim.setWorld({ dags: [etl(true)] });
    sim.settle();
    expect(sim.cancels()).toEqual([]); // the running task is not stopped
    sim.finish(taskId('etl', 'extract', YESTERDAY));
    sim.settle();
    expect(sim.launches.map((l) => l.task)).toEqual(['extract']); // load does not start
    expect(sim.phaseOf(taskId('etl', 'load', YESTERDAY))).toBe('Pending/Suspended');

    sim.onLaunch = () => 'succeed';
    sim.setWorld({ dags: [etl(false)] });
    sim.settle();
    expect(sim.launches.map((l) => l.task)).toEqual(['extract', 'load']); // extract is not run again
    expect(sim.phaseOf(dagPeriodId('etl', YESTERDAY))).toBe('Satisfied/Succeeded');
  });
});
