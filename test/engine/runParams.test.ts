import { RunBook } from '../../src/engine/runBook.js';
import type { RunRecord } from '../../src/engine/index.js';
import { checker, dag, expectation, expId, HOUR, Simulation, taskId } from './simulation.js';

const YESTERDAY = '2026-03-09';
const daily = (from: string) => ({ from, every: 'P1D' });

/** Dag load has run its day with its default params; then results are expected per campaign, each run by load with its campaign. */
function campaignsAfterTheirDag(): Simulation {
  const load = dag('load', [{ name: 'load' }], daily(YESTERDAY), { params: { campaign: 'none' } });
  const sim = new Simulation({ checkers: [checker()], dags: [load] });
  sim.settle();
  sim.advance(HOUR);
  sim.setWorld({
    checkers: [checker()],
    dags: [load],
    expectations: [
      expectation('results', {
        partitions: { date: { from: YESTERDAY, to: YESTERDAY, every: 'P1D' }, campaign: { values: ['7', '8'] } },
        action: { dagRun: { dag: 'load', params: { campaign: '{{campaign}}' } } },
      }),
    ],
  });
  return sim;
}

/** One pass a second: each pass is later than the one before, as in a controller. */
function passSeconds(sim: Simulation, seconds: number): void {
  for (let i = 0; i < seconds; i++) {
    sim.step();
    sim.advance(1000);
  }
}

/** A run's params: a DagRun's `spec.params`, an Expectation's `action.dagRun.params`. */
describe('run params', () => {
  it("a re-run's params reach every task of its period as template values; the Dag's params are defaults and the period's own values win", () => {
    const sim = new Simulation({ dags: [dag('load', [{ name: 'fetch' }, { name: 'publish', dependsOn: ['fetch'] }], daily(YESTERDAY), { params: { campaign: 'all', region: 'eu' } })] });
    sim.settle();
    expect(sim.launches.map((l) => l.values['campaign'])).toEqual(['all', 'all']);

    sim.advance(HOUR);
    sim.engine.requestRun({ namespace: 'default', name: 'load' }, YESTERDAY, { at: sim.now, reason: 'Manual', name: 'load-campaign-7', params: { campaign: '7', period: '2020-01-01' } });
    sim.settle();
    const rerun = sim.launches.slice(2);
    expect(rerun.map((l) => [l.task, l.values['campaign'], l.values['region'], l.values['period']])).toEqual([
      ['fetch', '7', 'eu', YESTERDAY],
      ['publish', '7', 'eu', YESTERDAY],
    ]);
    expect(sim.engine.runs().find((r) => r.name === 'load-campaign-7')).toMatchObject({ phase: 'Succeeded', params: { campaign: '7', period: '2020-01-01' } });

    // The request is settled: the next run of the period, asked without params, has the defaults again.
    sim.advance(HOUR);
    sim.engine.requestRun({ namespace: 'default', name: 'load' }, YESTERDAY, { at: sim.now, reason: 'Manual', name: 'load-again' });
    sim.settle();
    expect(sim.launches.slice(4).map((l) => l.values['campaign'])).toEqual(['all', 'all']);
  });

  it('params survive a restart in the middle of the run', () => {
    const sim = new Simulation({ dags: [dag('load', [{ name: 'fetch' }, { name: 'publish', dependsOn: ['fetch'] }], daily(YESTERDAY), { params: { campaign: 'all' } })] });
    sim.settle();
    sim.advance(HOUR);
    sim.onLaunch = (l) => (l.task === 'fetch' ? 'hang' : 'succeed');
    sim.engine.requestRun({ namespace: 'default', name: 'load' }, YESTERDAY, { at: sim.now, reason: 'Manual', name: 'load-campaign-7', params: { campaign: '7' } });
    sim.settle();
    sim.restart();
    sim.finish(taskId('load', 'fetch', YESTERDAY));
    sim.settle();
    expect(sim.launchesOf(taskId('load', 'publish', YESTERDAY)).map((l) => l.values['campaign'])).toEqual(['all', '7']);
  });

  it("an Expectation's dagRun params are rendered with each partition's values; partitions of one period asking other params take turns", () => {
    const sim = campaignsAfterTheirDag();
    // The Dag writes the results of the campaign it was told, for its day; time passes between passes.
    sim.onLaunch = (l) => {
      sim.data.add(expId('results', `date=${l.values['period']}/campaign=${l.values['campaign']}`));
      return 'succeed';
    };
    passSeconds(sim, 60);
    const seven = expId('results', `date=${YESTERDAY}/campaign=7`);
    const eight = expId('results', `date=${YESTERDAY}/campaign=8`);
    expect(sim.launches.map((l) => l.values['campaign'])).toEqual(['none', '7', '8']);
    expect([sim.phaseOf(seven), sim.phaseOf(eight)]).toEqual(['Satisfied/StateSatisfied', 'Satisfied/StateSatisfied']);
    expect(sim.events().filter((e) => e.reason === 'ActionSucceeded' && e.owner.kind === 'Expectation').map((e) => e.node)).toEqual([seven, eight]);
    expect([sim.engine.retry(seven), sim.engine.retry(eight)]).toEqual([undefined, undefined]);
    expect(sim.engine.runs().map((r) => `${r.reason}/${r.phase}/${r.params?.['campaign'] ?? '-'}`)).toEqual(['Schedule/Succeeded/-', 'Expectation/Succeeded/7', 'Expectation/Succeeded/8']);
  });

  it('a partition waits, naming the run in use, while its period runs with other params', () => {
    const sim = campaignsAfterTheirDag();
    sim.onLaunch = (l) => (l.values['campaign'] === '7' ? 'hang' : 'succeed');
    passSeconds(sim, 60);
    const eight = expId('results', `date=${YESTERDAY}/campaign=8`);
    expect(sim.phaseOf(eight)).toBe('Pending/RunInUse');
    expect(sim.messageOf(eight)).toBe(`Dag load ${YESTERDAY} is asked to run with campaign=7; a run with campaign=8 follows it`);
    sim.advance(1000);
    sim.finish(taskId('load', 'load', YESTERDAY));
    passSeconds(sim, 60);
    expect(sim.launches.map((l) => l.values['campaign'])).toEqual(['none', '7', '8']);
  });

  it('an Expectation whose dagRun params name a value its partitions do not have is not valid', () => {
    const sim = new Simulation({
      checkers: [checker()],
      dags: [dag('load', [{ name: 'load' }], daily(YESTERDAY))],
      expectations: [expectation('results', { partitions: { date: { from: YESTERDAY, to: YESTERDAY, every: 'P1D' } }, action: { dagRun: { dag: 'load', params: { campaign: '{{campaign}}' } } } })],
    });
    expect(sim.engine.problems()).toEqual([
      { kind: 'Expectation', namespace: 'default', name: 'results', reason: 'InvalidTemplate', message: 'action.dagRun.params.campaign: {{campaign}} names no partition key (keys: date)' },
    ]);
  });
});

describe('RunBook.pending', () => {
  const dagRef = { kind: 'Dag' as const, namespace: 'default', name: 'load' };
  const run = (name: string, phase: 'Succeeded' | 'Failed', startedAt: number): RunRecord => ({ name, namespace: 'default', dag: 'load', period: YESTERDAY, reason: 'Expectation', phase, startedAt, finishedAt: startedAt + 10 });

  it('a request answered by a failed run is no longer pending, whatever order the runs were restored in (DagRuns come sorted by name)', () => {
    const book = new RunBook();
    // load-…-10 started last and failed after the request; load-…-9 succeeded before it.
    book.restore([run('load-2026-03-09-10', 'Failed', 2_000), run('load-2026-03-09-9', 'Succeeded', 500)], [[`default/load|${YESTERDAY}`, { at: 1_000, reason: 'Expectation', params: { campaign: '7' } }]], []);
    expect(book.pending(dagRef, YESTERDAY)).toBeUndefined();
    const asked = new RunBook();
    asked.restore([run('load-2026-03-09-9', 'Succeeded', 500)], [[`default/load|${YESTERDAY}`, { at: 1_000, reason: 'Expectation', params: { campaign: '7' } }]], []);
    expect(asked.pending(dagRef, YESTERDAY)?.params).toEqual({ campaign: '7' });
  });
});
