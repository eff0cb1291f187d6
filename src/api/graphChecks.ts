import { DEFAULT_NAMESPACE, KINDS } from './schema/index.js';
import type { Dag, HomeostatObject, KindName } from './types.js';

/** Why an object is not valid as part of the whole graph; the reason of its Valid=False condition. */
export const GraphReason = {
  /** A reference names an object that does not exist in the same namespace. */
  UnknownReference: 'UnknownReference',
  /** A reference names a task its Dag does not have. */
  UnknownTask: 'UnknownTask',
  /** A Dag declares two tasks with one name. */
  DuplicateTask: 'DuplicateTask',
  /** The object is on a dependency cycle; the message spells the cycle out. */
  DependencyCycle: 'DependencyCycle',
  /**
   * Checking or compiling the object threw (a malformed object the validator let through, or a
   * bug): the message has the error. Only this object is invalid; the others are checked as usual.
   */
  CompileError: 'CompileError',
} as const;
export type GraphReason = (typeof GraphReason)[keyof typeof GraphReason];

/** Which object, as Kubernetes names it. */
export interface ObjectKey {
  kind: KindName;
  namespace: string;
  name: string;
}

/** One problem of one object. Only the objects named in problems are invalid; the rest of the graph works. */
export interface GraphProblem extends ObjectKey {
  reason: GraphReason;
  message: string;
  /** For UnknownReference: the object that was looked for (so a caller can wait for it to appear). */
  ref?: ObjectKey;
}

/**
 * The checks no single object can make alone: every reference (a checker, an Expectation or Dag
 * depended on, a Dag or task a DagDependency, DagRun or action names) exists in the same namespace,
 * Dags name each task once and depend only on their own tasks, and nothing depends on itself
 * through a cycle: among Expectations and Dags (dependsOn, DagDependency) or among the tasks of a
 * Dag. Every object on a cycle gets the problem, with the cycle spelled out from that object.
 * Pure and deterministic: the problems are sorted by namespace, kind, name, reason and message.
 */
export function checkGraph(objects: readonly HomeostatObject[]): GraphProblem[] {
  const graph = new ObjectIndex(objects);
  const problems: GraphProblem[] = [];
  for (const object of objects) problems.push(...guarded(object, 'checking its references', () => referenceProblems(object, graph)));
  problems.push(...objectCycles(objects, graph));
  for (const object of objects) if (object.kind === 'Dag') problems.push(...guarded(object, 'checking its tasks', () => taskProblems(object)));
  return sortUnique(problems);
}

/**
 * The problems `check` finds in one object, or a CompileError when it throws: one malformed
 * object (a field the validator let through) must not stop the graph check of every other.
 */
function guarded(object: HomeostatObject, doing: string, check: () => GraphProblem[]): GraphProblem[] {
  try {
    return check();
  } catch (error) {
    return [{ ...keyOf(object), reason: GraphReason.CompileError, message: `${doing}: ${error instanceof Error ? error.message : String(error)}` }];
  }
}

const keyOf = (object: HomeostatObject): ObjectKey => ({
  kind: object.kind,
  namespace: object.metadata.namespace ?? DEFAULT_NAMESPACE,
  name: object.metadata.name,
});
const idOf = (key: ObjectKey): string => `${key.kind}/${key.namespace}/${key.name}`;

class ObjectIndex {
  private readonly byId = new Map<string, HomeostatObject>();
  constructor(objects: readonly HomeostatObject[]) {
    for (const object of objects) {
      const id = idOf(keyOf(object));
      if (!this.byId.has(id)) this.byId.set(id, object);
    }
  }
  get(key: ObjectKey): HomeostatObject | undefined {
    return this.byId.get(idOf(key));
  }
  dag(namespace: string, name: string): Dag | undefined {
    return this.get({ kind: 'Dag', namespace, name }) as Dag | undefined;
  }
}

function referenceProblems(object: HomeostatObject, graph: ObjectIndex): GraphProblem[] {
  const self = keyOf(object);
  const problems: GraphProblem[] = [];
  const need = (field: string, kind: KindName, name: string | undefined): boolean => {
    if (name === undefined) return false;
    const ref = { kind, namespace: self.namespace, name };
    if (graph.get(ref) !== undefined) return true;
    problems.push({ ...self, reason: GraphReason.UnknownReference, message: `${field}: ${kind} ${name} not found in namespace ${self.namespace}`, ref });
    return false;
  };
  /** An upstream at `field` (a dependsOn entry): its Dag, and its task when it names one. */
  const needUpstream = (field: string, upstream: { dag?: string; task?: string }) => {
    if (!need(`${field}.dag`, 'Dag', upstream.dag) || upstream.task === undefined) return;
    const dag = graph.dag(self.namespace, upstream.dag as string);
    if (dag !== undefined && !dag.spec.tasks.some((t) => t.name === upstream.task)) {
      problems.push({ ...self, reason: GraphReason.UnknownTask, message: `${field}.task: Dag ${upstream.dag} has no task ${upstream.task}` });
    }
  };

  switch (object.kind) {
    case 'Expectation': {
      const { spec } = object;
      need('spec.checker.ref', 'StateChecker', spec.checker.ref);
      (spec.dependsOn ?? []).forEach((d, i) => {
        need(`spec.dependsOn[${i}].expectation`, 'Expectation', d.expectation);
        needUpstream(`spec.dependsOn[${i}]`, d);
      });
      need('spec.action.dagRun.dag', 'Dag', spec.action?.dagRun?.dag);
      break;
    }
    case 'DagDependency':
      need('spec.dag', 'Dag', object.spec.dag);
      object.spec.dependsOn.forEach((d, i) => needUpstream(`spec.dependsOn[${i}]`, d));
      break;
    case 'DagRun':
      need('spec.dag', 'Dag', object.spec.dag);
      break;
    case 'Dag':
    case 'StateChecker':
      break;
  }
  return problems;
}

/** Duplicate task names, dependsOn naming no task, and cycles among the tasks of one Dag. */
function taskProblems(dag: Dag): GraphProblem[] {
  const self = keyOf(dag);
  const problems: GraphProblem[] = [];
  const counts = new Map<string, number>();
  for (const task of dag.spec.tasks) counts.set(task.name, (counts.get(task.name) ?? 0) + 1);
  for (const [name, count] of counts) {
    if (count > 1) problems.push({ ...self, reason: GraphReason.DuplicateTask, message: `spec.tasks: task ${name} is declared ${count} times` });
  }
  const edges = new Map<string, string[]>();
  dag.spec.tasks.forEach((task, i) => {
    for (const upstream of task.dependsOn ?? []) {
      if (!counts.has(upstream)) {
        problems.push({ ...self, reason: GraphReason.UnknownTask, message: `spec.tasks[${i}].dependsOn: task ${task.name} depends on ${upstream}, which this Dag does not have` });
      } else {
        edges.set(task.name, [...(edges.get(task.name) ?? []), upstream]);
      }
    }
  });
  for (const component of cyclicComponents([...counts.keys()], edges)) {
    const first = [...component].sort()[0] as string;
    const cycle = shortestCycle(first, component, edges);
    problems.push({ ...self, reason: GraphReason.DependencyCycle, message: `dependency cycle: ${abridged(cycle.map((t) => `task ${t}`)).join(' -> ')}` });
  }
  return problems;
}

/**
 * Cycles among Expectations and Dags. Edges point from a dependent to what it depends on:
 * Expectation -> Expectation or Dag (dependsOn), Dag -> Dag (a DagDependency). Edges to missing
 * objects are left out; they are reported as unknown references.
 */
function objectCycles(objects: readonly HomeostatObject[], graph: ObjectIndex): GraphProblem[] {
  const edges = new Map<string, string[]>();
  const labels = new Map<string, string>();
  const addEdge = (from: ObjectKey, to: ObjectKey) => {
    if (graph.get(to) === undefined) return;
    const [a, b] = [idOf(from), idOf(to)];
    labels.set(a, `${from.kind} ${from.name}`).set(b, `${to.kind} ${to.name}`);
    edges.set(a, [...(edges.get(a) ?? []), b]);
  };
  const wiring: { dependency: ObjectKey; from: ObjectKey; to: ObjectKey }[] = [];
  const problems: GraphProblem[] = [];
  const collectEdges = (object: HomeostatObject): void => {
    const self = keyOf(object);
    if (object.kind === 'Expectation') {
      for (const d of object.spec.dependsOn ?? []) {
        if (d.expectation !== undefined) addEdge(self, { kind: 'Expectation', namespace: self.namespace, name: d.expectation });
        if (d.dag !== undefined) addEdge(self, { kind: 'Dag', namespace: self.namespace, name: d.dag });
      }
    } else if (object.kind === 'DagDependency') {
      const from: ObjectKey = { kind: 'Dag', namespace: self.namespace, name: object.spec.dag };
      if (graph.get(from) === undefined) return;
      for (const d of object.spec.dependsOn) {
        const to: ObjectKey = { kind: 'Dag', namespace: self.namespace, name: d.dag };
        addEdge(from, to);
        wiring.push({ dependency: self, from, to });
      }
    }
  };
  for (const object of objects) {
    problems.push(...guarded(object, 'following its dependencies', () => {
      collectEdges(object);
      return [];
    }));
  }

  const spell = (cycle: string[]) => `dependency cycle: ${abridged(cycle.map((id) => labels.get(id) ?? id)).join(' -> ')}`;
  const onCycle = new Map<string, Set<string>>();
  for (const component of cyclicComponents([...labels.keys()], edges)) {
    // One search per member costs members x edges: a ring of 12,000 would take minutes. A large
    // component is spelled once, from its first member; each member names itself before it.
    const shared = component.size > SPELL_EACH_UP_TO ? spell(shortestCycle([...component].sort()[0] as string, component, edges)) : undefined;
    for (const id of component) {
      onCycle.set(id, component);
      const object = graph.get(parseId(id)) as HomeostatObject;
      const message = shared === undefined ? spell(shortestCycle(id, component, edges)) : `${labels.get(id) ?? id} is on a ${shared} (${component.size} objects on cycles)`;
      problems.push({ ...keyOf(object), reason: GraphReason.DependencyCycle, message });
    }
  }
  // A DagDependency whose wiring closes a cycle is invalid too: it is what a user would change.
  for (const { dependency, from, to } of wiring) {
    const component = onCycle.get(idOf(from));
    if (component === undefined || !component.has(idOf(to))) continue;
    if (component.size > SPELL_EACH_UP_TO) {
      problems.push({ ...dependency, reason: GraphReason.DependencyCycle, message: `${labels.get(idOf(from))} -> ${labels.get(idOf(to))} closes a dependency cycle of ${component.size} objects` });
      continue;
    }
    const back = idOf(from) === idOf(to) ? [] : shortestCycle(idOf(to), component, edges, idOf(from)).slice(1);
    problems.push({ ...dependency, reason: GraphReason.DependencyCycle, message: spell([idOf(from), idOf(to), ...back]) });
  }
  return problems;
}

/** Components up to this size spell the cycle from each member; larger ones share one spelling. */
const SPELL_EACH_UP_TO = 64;
/** A spelled cycle names at most this many steps, so a message stays readable and small. */
const SPELL_AT_MOST = 12;

/** The first steps and the last of a long cycle, with how many are left out between them. */
function abridged(steps: string[]): string[] {
  if (steps.length <= SPELL_AT_MOST) return steps;
  const head = steps.slice(0, SPELL_AT_MOST - 2);
  return [...head, `... ${steps.length - head.length - 1} more`, steps[steps.length - 1] as string];
}

function parseId(id: string): ObjectKey {
  const [kind, namespace, name] = id.split('/') as [KindName, string, string];
  return { kind, namespace, name };
}

/**
 * The strongly connected components that contain a cycle (two or more nodes, or one with an edge
 * to itself), by Tarjan's algorithm. Nodes and edges are visited in sorted order, so the result
 * does not depend on the order objects were given in. The depth-first walk keeps its own stack:
 * a chain of 12,000 dependsOn is as deep, and the call stack of a recursive walk would overflow.
 */
function cyclicComponents(nodes: readonly string[], edges: ReadonlyMap<string, readonly string[]>): Set<string>[] {
  const next = (node: string) => [...new Set(edges.get(node) ?? [])].sort();
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: Set<string>[] = [];
  /** The walk's frames: a node, its sorted successors and how many of them were followed. */
  const walk: { node: string; next: string[]; at: number }[] = [];
  const enter = (node: string) => {
    index.set(node, index.size);
    low.set(node, index.get(node) as number);
    stack.push(node);
    onStack.add(node);
    walk.push({ node, next: next(node), at: 0 });
  };
  const leave = (node: string) => {
    if (low.get(node) !== index.get(node)) return;
    const component = new Set<string>();
    let member: string;
    do {
      member = stack.pop() as string;
      onStack.delete(member);
      component.add(member);
    } while (member !== node);
    if (component.size > 1 || next(node).includes(node)) found.push(component);
  };
  for (const root of [...nodes].sort()) {
    if (index.has(root)) continue;
    enter(root);
    while (walk.length > 0) {
      const frame = walk[walk.length - 1] as (typeof walk)[number];
      if (frame.at < frame.next.length) {
        const to = frame.next[frame.at++] as string;
        if (!index.has(to)) enter(to);
        else if (onStack.has(to)) low.set(frame.node, Math.min(low.get(frame.node) as number, index.get(to) as number));
        continue;
      }
      walk.pop();
      leave(frame.node);
      const parent = walk[walk.length - 1];
      if (parent !== undefined) low.set(parent.node, Math.min(low.get(parent.node) as number, low.get(frame.node) as number));
    }
  }
  return found;
}

/**
 * The shortest path from `start` to `end` (default: back to `start`) inside one component,
 * both ends included: [a, b, a] for a -> b -> a. Ties go to the alphabetically first neighbour.
 */
function shortestCycle(start: string, component: ReadonlySet<string>, edges: ReadonlyMap<string, readonly string[]>, end = start): string[] {
  const previous = new Map<string, string>();
  let frontier = [start];
  while (frontier.length > 0) {
    const following: string[] = [];
    for (const node of frontier) {
      for (const to of [...(edges.get(node) ?? [])].sort()) {
        if (!component.has(to)) continue;
        if (to === end) {
          const path = [to];
          for (let at: string | undefined = node; at !== undefined; at = at === start ? undefined : previous.get(at)) path.unshift(at);
          return path;
        }
        if (!previous.has(to) && to !== start) {
          previous.set(to, node);
          following.push(to);
        }
      }
    }
    frontier = following;
  }
  return [start];
}

const KIND_ORDER = new Map(KINDS.map((k, i) => [k.kind, i]));

function sortUnique(problems: GraphProblem[]): GraphProblem[] {
  const seen = new Set<string>();
  const unique = problems.filter((p) => {
    const key = [idOf(p), p.reason, p.message].join('\n');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return unique.sort(
    (a, b) =>
      compare(a.namespace, b.namespace) ||
      (KIND_ORDER.get(a.kind) ?? 0) - (KIND_ORDER.get(b.kind) ?? 0) ||
      compare(a.name, b.name) ||
      compare(a.reason, b.reason) ||
      compare(a.message, b.message),
  );
}
