import fc from 'fast-check';
import { mutated } from './mutations.js';
import { anyObject, API_VERSION, type Manifest } from './objects.js';

/**
 * Worlds of several objects that refer to each other: random references (so unknown references
 * and dependency cycles), long dependency chains of Expectations, of Dag tasks and of Dags wired by
 * DagDependencies, each optionally closed into a cycle. Chains stay within what the validator and
 * the graph walk must handle in a test run (a few hundred links); the 12,000-link chain of issue 10
 * is in knownEngineCrashes.ts.
 */

const job = { template: { spec: { containers: [{ name: 'main', image: 'example/job:1' }] } } };
const checker: Manifest = { apiVersion: API_VERSION, kind: 'StateChecker', metadata: { name: 'files' }, spec: { mode: 'Job', command: ['check'] } };

/** n Expectations, each depending on the one before; `cycle` makes the first depend on the last. */
export function expectationChain(n: number, cycle: boolean): Manifest[] {
  const links = Array.from({ length: n }, (_, i): Manifest => ({
    apiVersion: API_VERSION,
    kind: 'Expectation',
    metadata: { name: `chain-${i}` },
    spec: {
      checker: { ref: 'files' },
      ...(i > 0 || cycle ? { dependsOn: [{ expectation: `chain-${i > 0 ? i - 1 : n - 1}` }] } : {}),
      action: { job },
    },
  }));
  return [checker, ...links];
}

/** A Dag of n tasks (at most the schema's 200), each after the one before; `cycle` closes the loop. */
export function taskChain(n: number, cycle: boolean, periods: Manifest = { from: '2026-03-01', every: 'P1D' }): Manifest[] {
  const tasks = Array.from({ length: n }, (_, i) => ({ name: `t${i}`, job, ...(i > 0 || (cycle && n > 1) ? { dependsOn: [`t${i > 0 ? i - 1 : n - 1}`] } : {}) }));
  return [{ apiVersion: API_VERSION, kind: 'Dag', metadata: { name: 'chain' }, spec: { periods, tasks } }];
}

/** n daily Dags, each wired to the one before by a DagDependency; `cycle` wires the first to the last. */
export function dagChain(n: number, cycle: boolean): Manifest[] {
  const dags = Array.from({ length: n }, (_, i): Manifest => ({
    apiVersion: API_VERSION,
    kind: 'Dag',
    metadata: { name: `dag-${i}` },
    spec: { ...(i === 0 ? { periods: { from: '2026-03-05', every: 'P1D' } } : {}), tasks: [{ name: 'run', job }] },
  }));
  const wiring = Array.from({ length: n }, (_, i): Manifest | undefined =>
    i > 0 || (cycle && n > 1)
      ? { apiVersion: API_VERSION, kind: 'DagDependency', metadata: { name: `wire-${i}` }, spec: { dag: `dag-${i}`, dependsOn: [{ dag: `dag-${i > 0 ? i - 1 : n - 1}` }] } }
      : undefined,
  ).filter((w): w is Manifest => w !== undefined);
  return [...dags, ...wiring];
}

export const chains: fc.Arbitrary<Manifest[]> = fc
  .record({ kind: fc.constantFrom('expectations', 'tasks', 'dags'), n: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 100, max: 400 })), cycle: fc.boolean() })
  .map(({ kind, n, cycle }) => (kind === 'expectations' ? expectationChain(n, cycle) : kind === 'tasks' ? taskChain(Math.min(n, 200), cycle) : dagChain(Math.min(n, 150), cycle)));

/** A few objects of every kind, mostly valid, referring to each other by name. */
export const randomWorld: fc.Arbitrary<Manifest[]> = fc.array(fc.oneof({ weight: 6, arbitrary: anyObject }, { weight: 1, arbitrary: mutated(anyObject) }), { minLength: 1, maxLength: 14 });

export const worlds: fc.Arbitrary<Manifest[]> = fc.oneof({ weight: 3, arbitrary: randomWorld }, { weight: 1, arbitrary: chains });
