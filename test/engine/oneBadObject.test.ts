import type { Expectation } from '../../src/api/types.js';
import { ownerConditions, ownerStatus } from '../../src/engine/index.js';
import { checker, dag, dagDependency, dagPeriodId, expectation, expId, Simulation } from './simulation.js';

/** Issue 10: no single object, however long its chain or however malformed, stops the others. */
describe('a world with one hostile or broken object', () => {
  const validOf = (sim: Simulation, name: string) => {
    const owner = sim.engine.owner({ kind: 'Expectation', namespace: 'default', name });
    if (owner === undefined) throw new Error(`no owner ${name}`);
    return ownerConditions(ownerStatus(owner, (n) => sim.engine.lease(n), (n) => sim.engine.retry(n)), undefined, 1, sim.now).find((c) => c.type === 'Valid');
  };

  /**
   * e000000 dependsOn e000001 ... dependsOn e011999: named so that walks taking names in sorted order
   * start at the far end of the chain, as deep as it goes.
   */
  const chainOf = (length: number) => {
    const name = (i: number) => `e${String(length - 1 - i).padStart(6, '0')}`;
    return { name, expectations: Array.from({ length }, (_, i) => expectation(name(i), i === 0 ? {} : { dependsOn: [{ expectation: name(i - 1) }] })) };
  };

  it('a chain of 12,000 Expectations (each depending on the one before) compiles and converges, each action launched once', () => {
    const length = 12_000;
    const { name, expectations: chain } = chainOf(length);
    const sim = new Simulation({ checkers: [checker()], expectations: chain });
    expect(sim.engine.problems()).toEqual([]);
    sim.settle(3 * length);
    expect(sim.launches).toHaveLength(length);
    expect(new Set(sim.launches.map((l) => l.node)).size).toBe(length);
    expect(sim.phaseOf(expId(name(length - 1)))).toBe('Satisfied/StateSatisfied');
    expect(sim.engine.owners().every((o) => o.counts.get('Satisfied') === 1)).toBe(true);
  });

  it('a chain of 12,000 Dags (DagDependencies) compiles: the last inherits the first one\'s periods', () => {
    const length = 12_000;
    const name = (i: number) => `d${String(length - 1 - i).padStart(6, '0')}`;
    const dags = Array.from({ length }, (_, i) => dag(name(i), [{ name: 'load' }], i === 0 ? { cron: '0 0 * * *', from: '2026-03-08T00:00:00Z', timeZone: 'UTC' } : undefined));
    const wiring = Array.from({ length: length - 1 }, (_, i) => dagDependency(`${name(i + 1)}-inputs`, name(i + 1), [{ dag: name(i) }]));
    const sim = new Simulation({ dags, dagDependencies: wiring });
    expect(sim.engine.problems()).toEqual([]);
    expect(sim.engine.node(dagPeriodId(name(length - 1), '2026-03-09'))).toBeDefined();
  });

  // An object the validator let through with a malformed field (stored under an older schema, or a
  // validator gap): compiling it throws. Before, setWorld threw and the controller kept its
  // previous world for every tenant.
  const malformed = (name: string, spec: Record<string, unknown>): Expectation => expectation(name, spec as Partial<Expectation['spec']>);

  it.each([
    { field: 'action.job: null', spec: { action: { job: null } }, message: /^compiling: Cannot read properties of null/ },
    { field: 'dependsOn not a list', spec: { dependsOn: { expectation: 'good' } }, message: /^checking its references: .*is not a function/ },
    { field: 'a partition key null', spec: { partitions: { date: null } }, message: /^reading its inputs: Cannot read properties of null/ },
  ])('a malformed object ($field) is Valid=False CompileError alone; the others converge', ({ spec, message }) => {
    const sim = new Simulation({
      checkers: [checker()],
      expectations: [expectation('good'), malformed('bad', spec), expectation('after-good', { dependsOn: [{ expectation: 'good' }] })],
    });
    sim.settle();
    expect(sim.phaseOf(expId('good'))).toBe('Satisfied/StateSatisfied');
    expect(sim.phaseOf(expId('after-good'))).toBe('Satisfied/StateSatisfied');
    expect(sim.launches.map((l) => l.node).sort()).toEqual([expId('after-good'), expId('good')]);
    // Only the malformed object is reported (once per check that tripped on it), with the error.
    expect(sim.engine.problems().map((p) => `${p.kind}/${p.name} ${p.reason}`)).toEqual(expect.arrayContaining(['Expectation/bad CompileError']));
    expect(new Set(sim.engine.problems().map((p) => `${p.kind}/${p.name} ${p.reason}`)).size).toBe(1);
    expect(sim.engine.problems()[0]?.message).toMatch(message);
    expect(validOf(sim, 'bad')).toEqual(expect.objectContaining({ status: 'False', reason: 'CompileError' }));
  });

  it('a dependent of the malformed object waits, naming it; fixing it lets both converge', () => {
    const world = (bad: Expectation) => ({ checkers: [checker()], expectations: [bad, expectation('report', { dependsOn: [{ expectation: 'bad' }] })] });
    const sim = new Simulation(world(malformed('bad', { action: { job: null } })));
    sim.settle();
    expect(sim.engine.node(expId('report'))?.missing).toMatch(/^Expectation bad is not valid: compiling: /);
    expect(sim.launches).toHaveLength(0);
    sim.setWorld(world(expectation('bad', {}, 2)));
    sim.settle();
    expect(sim.engine.problems()).toEqual([]);
    expect(sim.phaseOf(expId('report'))).toBe('Satisfied/StateSatisfied');
  });
});
