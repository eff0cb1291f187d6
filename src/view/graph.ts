/**
 * The dependency graph as the web view and `homeostat graph` show it: built from the declared
 * objects and their statuses only (never from the engine), so every replica answers the same, a
 * standby with no engine included. Pure: no I/O, no clock.
 */
import type { Dag, DagDependency, DefinitionSource, Expectation } from '../api/types.js';
import type { World } from '../engine/compile.js';
import type { Phase } from '../engine/types.js';
import { matchesLabels, type Requirement } from '../api/labelSelector.js';
import { SOURCE_LABEL } from '../sources/model.js';
import { taskPhases } from './taskPhase.js';

export type GraphNodeKind = 'StateChecker' | 'Expectation' | 'Dag' | 'DagTask' | 'DefinitionSource';

export interface GraphNode {
  /** `Kind/namespace/name`, a task `DagTask/namespace/dag/task`: stable across replicas and passes. */
  id: string;
  kind: GraphNodeKind;
  namespace: string;
  name: string;
  /** DagTask: its task name (`name` is the Dag's). */
  task?: string;
  /** From the status; absent when no controller has written one yet. A task's: view/taskPhase.ts. */
  phase?: Phase;
  reason?: string;
  /** Expectations: partitions per phase; Dags: periods (total, succeeded, running, failed). */
  counts?: Record<string, number>;
}

export type GraphEdgeKind =
  /** An Expectation's dependsOn (to an Expectation, a Dag or one of its tasks). */
  | 'dependsOn'
  /** A DagDependency's upstream: `periods` says how periods map. */
  | 'dagDependency'
  /** A task's dependsOn inside its Dag, and a Dag to its tasks. */
  | 'task'
  /** An Expectation to the StateChecker that observes it. */
  | 'checker'
  /** An Expectation whose action runs a Dag. */
  | 'dagRun'
  /** A DefinitionSource to an object it loaded (the object's label homeostat.dev/source names it). */
  | 'source';

/** `from` is the input, `to` the node that depends on it (or uses it): arrows point downstream. */
export interface GraphEdge {
  from: string;
  to: string;
  kind: GraphEdgeKind;
  /** dagDependency and dependsOn: how periods (or partitions) map, as declared (Auto by default). */
  periods?: string;
  /** dagDependency: the DagDependency object that declares the edge. */
  via?: string;
}

export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** Nodes left out past the cap (and their edges): the answer stays bounded. */
  nodesNotShown: number;
  edgesNotShown: number;
}

export interface GraphFilter {
  namespace?: string;
  selector?: readonly Requirement[];
  /** Defaults to MAX_GRAPH_NODES. */
  maxNodes?: number;
  /** Defaults to four times maxNodes. */
  maxEdges?: number;
}

/** 1,000 Dags of a few tasks and 300 Expectations fit; a bigger answer asks for a filter. */
export const MAX_GRAPH_NODES = 20_000;

export const objectId = (kind: GraphNodeKind, namespace: string, name: string): string => `${kind}/${namespace}/${name}`;
export const taskNodeId = (namespace: string, dag: string, task: string): string => `DagTask/${namespace}/${dag}/${task}`;

type Declared = Pick<World, 'checkers' | 'expectations' | 'dags' | 'dagDependencies'> & { sources?: DefinitionSource[] };

/** The graph of `world`, filtered; edges only between nodes kept. */
export function buildGraph(world: Declared, filter: GraphFilter = {}): Graph {
  const maxNodes = filter.maxNodes ?? MAX_GRAPH_NODES;
  const maxEdges = filter.maxEdges ?? maxNodes * 4;
  const keep = (o: { metadata: { namespace?: string; labels?: Record<string, string> } }) =>
    (filter.namespace === undefined || o.metadata.namespace === filter.namespace) && (filter.selector === undefined || matchesLabels(filter.selector, o.metadata.labels));
  const nodes = new Map<string, GraphNode>();
  let nodesNotShown = 0;
  const add = (node: GraphNode) => {
    if (nodes.size >= maxNodes) nodesNotShown++;
    else nodes.set(node.id, node);
  };
  const edges: GraphEdge[] = [];
  const pending: GraphEdge[] = [];

  for (const c of world.checkers.filter(keep)) add({ ...base('StateChecker', c), ...statusOf(c) });
  for (const e of world.expectations.filter(keep)) add({ ...base('Expectation', e), ...statusOf(e), ...expectationCounts(e) });
  for (const d of world.dags.filter(keep)) {
    add({ ...base('Dag', d), ...statusOf(d), ...dagCounts(d) });
    const ns = ns_(d);
    const phases = taskPhases(d);
    for (const t of d.spec.tasks) {
      add({ id: taskNodeId(ns, d.metadata.name, t.name), kind: 'DagTask', namespace: ns, name: d.metadata.name, task: t.name, ...phases.get(t.name) });
      pending.push({ from: taskNodeId(ns, d.metadata.name, t.name), to: objectId('Dag', ns, d.metadata.name), kind: 'task' });
      for (const before of t.dependsOn ?? []) pending.push({ from: taskNodeId(ns, d.metadata.name, before), to: taskNodeId(ns, d.metadata.name, t.name), kind: 'task' });
    }
  }
  for (const s of (world.sources ?? []).filter(keep)) add({ ...base('DefinitionSource', s), ...sourceStatus(s) });
  if (world.sources !== undefined && world.sources.length > 0) pending.push(...sourceEdges(world));

  for (const e of world.expectations.filter(keep)) pending.push(...expectationEdges(e));
  for (const dep of world.dagDependencies.filter(keep)) pending.push(...dependencyEdges(dep));

  let edgesNotShown = 0;
  for (const edge of pending) {
    if (!nodes.has(edge.from) || !nodes.has(edge.to)) continue;
    if (edges.length >= maxEdges) edgesNotShown++;
    else edges.push(edge);
  }
  return { nodes: [...nodes.values()], edges, nodesNotShown, edgesNotShown };
}

const ns_ = (o: { metadata: { namespace?: string } }) => o.metadata.namespace ?? 'default';

function base(kind: GraphNodeKind, o: { metadata: { namespace?: string; name: string } }): GraphNode {
  return { id: objectId(kind, ns_(o), o.metadata.name), kind, namespace: ns_(o), name: o.metadata.name };
}

function statusOf(o: { status?: unknown }): Pick<GraphNode, 'phase' | 'reason'> {
  const s = (o.status ?? {}) as { phase?: Phase; reason?: string };
  return { ...(s.phase !== undefined ? { phase: s.phase } : {}), ...(s.reason !== undefined ? { reason: s.reason } : {}) };
}

/** A DefinitionSource has no phase: Satisfied when its last scan applied every file, Failed (with the condition's reason) when not. */
function sourceStatus(s: DefinitionSource): Pick<GraphNode, 'phase' | 'reason' | 'counts'> {
  const conditions = s.status?.conditions ?? [];
  const ready = conditions.find((c) => c.type === 'Ready');
  const valid = conditions.find((c) => c.type === 'Valid');
  const counts = s.status?.counts !== undefined ? { counts: Object.fromEntries(Object.entries(s.status.counts).filter((kv): kv is [string, number] => typeof kv[1] === 'number')) } : {};
  if (ready === undefined) return counts;
  const bad = ready.status !== 'True' ? ready : valid?.status === 'False' ? valid : undefined;
  return bad !== undefined ? { phase: 'Failed', reason: bad.reason, ...counts } : { phase: 'Satisfied', reason: ready.reason, ...counts };
}

function expectationCounts(e: Expectation): Pick<GraphNode, 'counts'> {
  const p = e.status?.partitions;
  if (p === undefined) return {};
  return { counts: Object.fromEntries(Object.entries(p).filter((kv): kv is [string, number] => typeof kv[1] === 'number')) };
}

function dagCounts(d: Dag): Pick<GraphNode, 'counts'> {
  const p = d.status?.periods;
  if (p === undefined) return {};
  return { counts: Object.fromEntries(Object.entries(p).filter((kv): kv is [string, number] => typeof kv[1] === 'number')) };
}

/** A checker ref names a StateChecker of the Expectation's namespace. */
function expectationEdges(e: Expectation): GraphEdge[] {
  const ns = ns_(e);
  const me = objectId('Expectation', ns, e.metadata.name);
  const out: GraphEdge[] = [{ from: objectId('StateChecker', ns, e.spec.checker.ref), to: me, kind: 'checker' }];
  for (const d of e.spec.dependsOn ?? []) {
    const from = d.expectation !== undefined ? objectId('Expectation', ns, d.expectation) : d.task !== undefined ? taskNodeId(ns, d.dag ?? '', d.task) : objectId('Dag', ns, d.dag ?? '');
    out.push({ from, to: me, kind: 'dependsOn', periods: d.periods ?? 'Auto' });
  }
  const run = e.spec.action?.dagRun;
  if (run !== undefined) out.push({ from: me, to: objectId('Dag', ns, run.dag), kind: 'dagRun' });
  return out;
}

/** A DefinitionSource to each object of its namespace that carries its name in the homeostat.dev/source label. */
function sourceEdges(world: Declared): GraphEdge[] {
  const defined: [GraphNodeKind, { metadata: { namespace?: string; name: string; labels?: Record<string, string> } }[]][] = [
    ['StateChecker', world.checkers],
    ['Expectation', world.expectations],
    ['Dag', world.dags],
  ];
  const out: GraphEdge[] = [];
  for (const [kind, list] of defined) {
    for (const o of list) {
      const source = o.metadata.labels?.[SOURCE_LABEL];
      if (source !== undefined) out.push({ from: objectId('DefinitionSource', ns_(o), source), to: objectId(kind, ns_(o), o.metadata.name), kind: 'source' });
    }
  }
  return out;
}

/** A DagDependency's upstreams (a Dag, or one task of it) point at the dependent Dag. */
function dependencyEdges(dep: DagDependency): GraphEdge[] {
  const ns = ns_(dep);
  const to = objectId('Dag', ns, dep.spec.dag);
  return dep.spec.dependsOn.map((u) => ({
    from: u.task !== undefined ? taskNodeId(ns, u.dag, u.task) : objectId('Dag', ns, u.dag),
    to,
    kind: 'dagDependency' as const,
    periods: u.periods ?? 'Auto',
    via: dep.metadata.name,
  }));
}
