import { describe, expect, it } from '@jest/globals';
import { checkGraph, type GraphProblem, GraphReason } from './graphChecks.js';
import type { Dag, DagDependency, DagRun, Expectation, ExpectationSpec, HomeostatObject, StateChecker } from './types.js';

const apiVersion = 'homeostat.dev/v1alpha1';
const job = { template: { spec: { containers: [{ name: 'main', image: 'example/job:1' }] } } };

const checker = (name: string, namespace = 'default'): StateChecker => ({
  apiVersion, kind: 'StateChecker', metadata: { name, namespace }, spec: { image: 'example/check:1' },
});
const expectation = (name: string, spec: Partial<ExpectationSpec> = {}, namespace = 'default'): Expectation => ({
  apiVersion, kind: 'Expectation', metadata: { name, namespace }, spec: { checker: { ref: 'sc' }, ...spec },
});
const dag = (name: string, tasks: { name: string; dependsOn?: string[] }[] = [{ name: 'main' }]): Dag => ({
  apiVersion, kind: 'Dag', metadata: { name, namespace: 'default' },
  spec: { tasks: tasks.map((t) => ({ ...t, job })) as Dag['spec']['tasks'] },
});
const dagDependency = (name: string, dependent: string, upstreams: { dag: string; task?: string }[]): DagDependency => ({
  apiVersion, kind: 'DagDependency', metadata: { name, namespace: 'default' },
  spec: { dag: dependent, dependsOn: upstreams as DagDependency['spec']['dependsOn'] },
});
const dagRun = (name: string, of: string): DagRun => ({
  apiVersion, kind: 'DagRun', metadata: { name, namespace: 'default' }, spec: { dag: of, period: '2026-01-05' },
});

/** The problems as `Kind/name Reason: message`, easy to read in a failing diff. */
const lines = (problems: GraphProblem[]) => problems.map((p) => `${p.kind}/${p.name} ${p.reason}: ${p.message}`);

describe('checkGraph', () => {
  it('finds nothing wrong with a complete graph (the Mediator scenario)', () => {
    const objects: HomeostatObject[] = [
      checker('sc'),
      dag('sold'),
      dag('ads', [{ name: 'extract' }, { name: 'load', dependsOn: ['extract'] }]),
      dag('enrich'),
      dagDependency('enrich-inputs', 'enrich', [{ dag: 'sold' }, { dag: 'ads', task: 'load' }]),
      dagRun('enrich-2026-01-05', 'enrich'),
      expectation('campaign-csv'),
      expectation('campaign-results', {
        dependsOn: [{ expectation: 'campaign-csv' }, { dag: 'ads', task: 'load' }],
        action: { dagRun: { dag: 'enrich' } },
      }),
    ];
    expect(checkGraph(objects)).toEqual([]);
  });

  describe('unknown references', () => {
    const cases: { name: string; objects: HomeostatObject[]; problems: string[] }[] = [
      {
        name: "an Expectation's checker",
        objects: [expectation('e', { checker: { ref: 'missing' } })],
        problems: ['Expectation/e UnknownReference: spec.checker.ref: StateChecker missing not found in namespace default'],
      },
      {
        name: 'an Expectation depended on',
        objects: [checker('sc'), expectation('e', { dependsOn: [{ expectation: 'missing' }] })],
        problems: ['Expectation/e UnknownReference: spec.dependsOn[0].expectation: Expectation missing not found in namespace default'],
      },
      {
        name: 'a Dag depended on, whole or by task',
        objects: [checker('sc'), expectation('e', { dependsOn: [{ dag: 'gone' }, { dag: 'missing', task: 'load' }] })],
        problems: [
          'Expectation/e UnknownReference: spec.dependsOn[0].dag: Dag gone not found in namespace default',
          'Expectation/e UnknownReference: spec.dependsOn[1].dag: Dag missing not found in namespace default',
        ],
      },
      {
        name: "an action's Dag",
        objects: [checker('sc'), expectation('e', { action: { dagRun: { dag: 'missing' } } })],
        problems: ['Expectation/e UnknownReference: spec.action.dagRun.dag: Dag missing not found in namespace default'],
      },
      {
        name: "a DagRun's Dag",
        objects: [dagRun('r', 'missing')],
        problems: ['DagRun/r UnknownReference: spec.dag: Dag missing not found in namespace default'],
      },
      {
        name: "a DagDependency's dependent and upstream Dags",
        objects: [dagDependency('dd', 'missing', [{ dag: 'gone' }])],
        problems: [
          'DagDependency/dd UnknownReference: spec.dag: Dag missing not found in namespace default',
          'DagDependency/dd UnknownReference: spec.dependsOn[0].dag: Dag gone not found in namespace default',
        ],
      },
      {
        name: 'an object of the same name in another namespace',
        objects: [checker('sc', 'other'), expectation('e')],
        problems: ['Expectation/e UnknownReference: spec.checker.ref: StateChecker sc not found in namespace default'],
      },
    ];
    it.each(cases)('$name', ({ objects, problems }) => {
      expect(lines(checkGraph(objects))).toEqual(problems);
    });

    it('names the object looked for, so a caller can wait for it', () => {
      expect(checkGraph([dagRun('r', 'missing')])[0]?.ref).toEqual({ kind: 'Dag', namespace: 'default', name: 'missing' });
    });
  });

  describe('tasks', () => {
    const cases: { name: string; objects: HomeostatObject[]; problems: string[] }[] = [
      {
        name: 'a DagDependency on a task the upstream Dag does not have',
        objects: [dag('ads'), dag('enrich'), dagDependency('dd', 'enrich', [{ dag: 'ads', task: 'load' }])],
        problems: ['DagDependency/dd UnknownTask: spec.dependsOn[0].task: Dag ads has no task load'],
      },
      {
        name: 'an Expectation on a task the Dag does not have',
        objects: [checker('sc'), dag('ads'), expectation('e', { dependsOn: [{ dag: 'ads', task: 'publish' }] })],
        problems: ['Expectation/e UnknownTask: spec.dependsOn[0].task: Dag ads has no task publish'],
      },
      {
        name: 'a task depending on a task its Dag does not have',
        objects: [dag('d', [{ name: 'a' }, { name: 'b', dependsOn: ['a', 'c'] }])],
        problems: ['Dag/d UnknownTask: spec.tasks[1].dependsOn: task b depends on c, which this Dag does not have'],
      },
      {
        name: 'two tasks with one name',
        objects: [dag('d', [{ name: 'a' }, { name: 'b' }, { name: 'a' }])],
        problems: ['Dag/d DuplicateTask: spec.tasks: task a is declared 2 times'],
      },
    ];
    it.each(cases)('$name', ({ objects, problems }) => {
      expect(lines(checkGraph(objects))).toEqual(problems);
    });
  });

  describe('dependency cycles, spelled out from each object on them', () => {
    const cases: { name: string; objects: HomeostatObject[]; problems: string[] }[] = [
      {
        name: 'Expectations through dependsOn; one depending on the cycle stays valid',
        objects: [
          checker('sc'),
          expectation('a', { dependsOn: [{ expectation: 'b' }] }),
          expectation('b', { dependsOn: [{ expectation: 'c' }] }),
          expectation('c', { dependsOn: [{ expectation: 'a' }] }),
          expectation('downstream', { dependsOn: [{ expectation: 'a' }] }),
        ],
        problems: [
          'Expectation/a DependencyCycle: dependency cycle: Expectation a -> Expectation b -> Expectation c -> Expectation a',
          'Expectation/b DependencyCycle: dependency cycle: Expectation b -> Expectation c -> Expectation a -> Expectation b',
          'Expectation/c DependencyCycle: dependency cycle: Expectation c -> Expectation a -> Expectation b -> Expectation c',
        ],
      },
      {
        name: 'an Expectation depending on itself',
        objects: [checker('sc'), expectation('a', { dependsOn: [{ expectation: 'a' }] })],
        problems: ['Expectation/a DependencyCycle: dependency cycle: Expectation a -> Expectation a'],
      },
      {
        name: 'Dags through DagDependencies: the Dags and the wiring that closes the cycle',
        objects: [
          dag('sold'),
          dag('enrich'),
          dag('report'),
          dagDependency('enrich-inputs', 'enrich', [{ dag: 'sold' }]),
          dagDependency('sold-inputs', 'sold', [{ dag: 'enrich', task: 'main' }]),
          dagDependency('report-inputs', 'report', [{ dag: 'enrich' }]),
        ],
        problems: [
          'Dag/enrich DependencyCycle: dependency cycle: Dag enrich -> Dag sold -> Dag enrich',
          'Dag/sold DependencyCycle: dependency cycle: Dag sold -> Dag enrich -> Dag sold',
          'DagDependency/enrich-inputs DependencyCycle: dependency cycle: Dag enrich -> Dag sold -> Dag enrich',
          'DagDependency/sold-inputs DependencyCycle: dependency cycle: Dag sold -> Dag enrich -> Dag sold',
        ],
      },
      {
        name: 'the shortest way round when several cycles share objects',
        objects: [
          checker('sc'),
          expectation('a', { dependsOn: [{ expectation: 'b' }, { expectation: 'c' }] }),
          expectation('b', { dependsOn: [{ expectation: 'c' }] }),
          expectation('c', { dependsOn: [{ expectation: 'a' }] }),
        ],
        problems: [
          'Expectation/a DependencyCycle: dependency cycle: Expectation a -> Expectation c -> Expectation a',
          'Expectation/b DependencyCycle: dependency cycle: Expectation b -> Expectation c -> Expectation a -> Expectation b',
          'Expectation/c DependencyCycle: dependency cycle: Expectation c -> Expectation a -> Expectation c',
        ],
      },
      {
        name: 'tasks within a Dag',
        objects: [dag('d', [{ name: 'extract', dependsOn: ['publish'] }, { name: 'load', dependsOn: ['extract'] }, { name: 'publish', dependsOn: ['load'] }, { name: 'notify', dependsOn: ['publish'] }])],
        problems: ['Dag/d DependencyCycle: dependency cycle: task extract -> task publish -> task load -> task extract'],
      },
    ];
    it.each(cases)('$name', ({ objects, problems }) => {
      expect(lines(checkGraph(objects))).toEqual(problems);
    });
  });

  it('gives the same answer whatever the order of its input', () => {
    const objects: HomeostatObject[] = [
      checker('sc'),
      expectation('a', { dependsOn: [{ expectation: 'b' }, { dag: 'x' }] }),
      expectation('b', { dependsOn: [{ expectation: 'a' }] }),
      dag('d1'),
      dag('d2', [{ name: 'a' }, { name: 'a' }]),
      dagDependency('w1', 'd1', [{ dag: 'd2' }]),
      dagDependency('w2', 'd2', [{ dag: 'd1' }]),
      dagRun('r', 'nope'),
    ];
    const expected = checkGraph(objects);
    expect(expected.map((p) => p.reason)).toEqual(
      expect.arrayContaining([GraphReason.UnknownReference, GraphReason.DuplicateTask, GraphReason.DependencyCycle]),
    );
    expect(checkGraph([...objects].reverse())).toEqual(expected);
    expect(checkGraph([...objects.slice(4), ...objects.slice(0, 4)])).toEqual(expected);
  });

  describe('long dependency chains (issue 10: 12,000 Expectations overflowed the walk)', () => {
    const chain = (length: number, closed: boolean) =>
      Array.from({ length }, (_, i) => expectation(`e${i}`, i > 0 || closed ? { dependsOn: [{ expectation: `e${(i + length - 1) % length}` }] } : {}));

    it('finds nothing wrong with a chain of 12,000 Expectations, each depending on the one before', () => {
      expect(checkGraph([checker('sc'), ...chain(12_000, false)])).toEqual([]);
    });

    it('spells a cycle of 12,000 once, abridged, and gives it to each member', () => {
      const problems = checkGraph([checker('sc'), ...chain(12_000, true)]);
      expect(problems).toHaveLength(12_000);
      expect(problems.every((p) => p.reason === GraphReason.DependencyCycle)).toBe(true);
      expect(problems.find((p) => p.name === 'e5')?.message).toBe(
        'Expectation e5 is on a dependency cycle: Expectation e0 -> Expectation e11999 -> Expectation e11998 -> Expectation e11997 -> Expectation e11996 -> ' +
          'Expectation e11995 -> Expectation e11994 -> Expectation e11993 -> Expectation e11992 -> Expectation e11991 -> ... 11990 more -> Expectation e0 (12000 objects on cycles)',
      );
    });

    it('abridges a long cycle among the tasks of one Dag', () => {
      const tasks = Array.from({ length: 20 }, (_, i) => ({ name: `t${String(i).padStart(2, '0')}`, dependsOn: [`t${String((i + 1) % 20).padStart(2, '0')}`] }));
      expect(lines(checkGraph([dag('d', tasks)]))).toEqual([
        'Dag/d DependencyCycle: dependency cycle: task t00 -> task t01 -> task t02 -> task t03 -> task t04 -> task t05 -> task t06 -> task t07 -> task t08 -> task t09 -> ... 10 more -> task t00',
      ]);
    });
  });
});
