import type { EdgeSpec, OwnerDraft } from './compile.js';
import { NO_NODES, NodeRecord, type OwnerModel } from './model.js';
import type { NodeStore } from './nodeStore.js';
import { mapPartitions } from './partitionMapping.js';
import { rowCount, rowEnd, rowKey, rowStart, rowValue } from './partitions.js';

/** The whole-Dag node of a period lives under this task name. */
export const WHOLE_DAG = '';

/** Node ids: stable across compiles, so state (leases, retries, successes) follows the node. */
// join gives flat strings: ids are hashed as map keys, which would flatten a rope anyway.
export const expectationNodeId = (ownerKey: string, partition: string): string => [ownerKey, partition].join('|');
export const dagNodeId = (ownerKey: string, task: string, period: string): string => [ownerKey, task, period].join('|');

/** Where the nodes of an owner are found by partition (row) index, per task for a Dag. */
export interface NodeIndex {
  get(task: string): NodeRecord[] | undefined;
}

/**
 * An Expectation's index: its nodes by row, which is its node list itself. One small object, where
 * a Map of one entry costs a hash table per owner (11,000 small owners).
 */
class WholeIndex implements NodeIndex {
  constructor(private readonly nodes: NodeRecord[]) {}
  get(task: string): NodeRecord[] | undefined {
    return task === WHOLE_DAG ? this.nodes : undefined;
  }
}

/** The index of an owner that has no nodes (it never compiled). */
export const NO_INDEX: NodeIndex = Object.freeze({ get: () => undefined });

export interface Materialized {
  index: NodeIndex;
  created: NodeRecord[];
  removed: NodeRecord[];
}

/**
 * Creates or updates an owner's nodes from its draft, reusing the records of nodes that still
 * exist (their observations and the edges of other owners into them survive).
 */
let compileStamp = 0;

/** `existing` finds a node this owner had before (by id, through its old index). */
export function materialize(owner: OwnerModel, draft: OwnerDraft, existing: (id: string) => NodeRecord | undefined, store: NodeStore): Materialized {
  let index: NodeIndex;
  const space = draft.space;
  const count = rowCount(space);
  const expected = count * (draft.ref.kind === 'Expectation' ? 1 : draft.tasks.length + 1);
  // A first compile has no nodes to find: no id is even written then.
  const looking = owner.nodes.length > 0;
  // Sized once, not grown by push: a million pushes leave copies of the list for the collector.
  const created: NodeRecord[] = looking ? [] : new Array<NodeRecord>(expected);
  let createdCount = 0;
  // A compile stamp instead of a Set of kept nodes: a full plan compiles hundreds of thousands.
  const stamp = ++compileStamp;
  const kept = new Array<NodeRecord>(expected);
  let keptCount = 0;
  /** `values`: a Dag node's own; undefined for an Expectation partition, read from its row (NodeRecord.values). */
  const get = (id: string | undefined, policy: NodeRecord['policy'], row: number, values: Record<string, string> | undefined): NodeRecord => {
    let node = id !== undefined ? existing(id) : undefined;
    if (node === undefined || !node.alive) {
      node = new NodeRecord(owner, policy, values);
      created[createdCount++] = node;
    } else {
      node.owner = owner;
      node.policy = policy;
      node.ownValues = values;
    }
    node.row = row;
    if (node.stamp !== stamp) {
      node.stamp = stamp;
      kept[keptCount++] = node;
    }
    return node;
  };

  // One allocation of the store's columns for the whole owner, not a doubling per power of two.
  store.reserve(expected - owner.nodes.length);
  if (draft.ref.kind === 'Expectation') {
    // Expectations have no params of their own to merge: a node's values are its row's, read from the space's columns.
    const prefix = `${draft.key}|`;
    const nodes = new Array<NodeRecord>(count);
    for (let row = 0; row < count; row++) nodes[row] = get(looking ? prefix + rowKey(space, row) : undefined, draft.policy, row, undefined);
    index = new WholeIndex(nodes);
  } else {
    const tasks = new Map<string, NodeRecord[]>();
    index = tasks;
    const periodValues = Array.from({ length: count }, (_, row) => ({
      ...draft.params,
      period: rowValue(space, row, 'period') as string,
      periodStart: new Date(rowStart(space, row)).toISOString(),
      periodEnd: new Date(rowEnd(space, row)).toISOString(),
      dag: draft.ref.name,
    }));
    // A Dag node is named by its period as the Dag writes it (2026-01-05), not by the row key
    // (period=2026-01-05): DagRuns, run records and re-run requests use that name.
    const periods = periodValues.map((v) => v.period);
    for (const task of draft.tasks) {
      tasks.set(task.name, periods.map((period, i) => get(looking ? dagNodeId(draft.key, task.name, period) : undefined, task.policy, i, { ...(periodValues[i] as Record<string, string>), task: task.name })));
    }
    tasks.set(WHOLE_DAG, periods.map((period, i) => get(looking ? dagNodeId(draft.key, WHOLE_DAG, period) : undefined, draft.policy, i, periodValues[i] as Record<string, string>)));
  }
  const removed = owner.nodes.length === 0 ? [] : owner.nodes.filter((n) => n.stamp !== stamp);
  kept.length = keptCount;
  created.length = createdCount;
  // An Expectation's nodes in row order are the ones kept, in that order: one array for both.
  owner.nodes = draft.ref.kind === 'Expectation' && keptCount === count ? (index.get(WHOLE_DAG) as NodeRecord[]) : kept;
  return { index, created, removed };
}

/** What an edge points at: the owner's nodes by row, or why there is nothing to point at. */
export interface Upstream {
  owner: OwnerModel | undefined;
  index: NodeIndex | undefined;
}

/** What wiring reads of a draft: kept per owner between compiles, the rest of the draft is not. */
export type Wiring = Pick<OwnerDraft, 'ref' | 'edges' | 'runTarget' | 'tasks'>;

/** The Wiring of an Expectation that reads no other owner: one object for all of them. */
const NOTHING_TO_WIRE: Wiring = Object.freeze({ ref: Object.freeze({ kind: 'Expectation', namespace: '', name: '' }), edges: [], tasks: [] });

/** The part of `draft` that wire reads, sharing its owner's ref (the draft's is a copy). */
export function wiringOf(draft: OwnerDraft, owner: OwnerModel): Wiring {
  if (draft.ref.kind === 'Expectation' && draft.edges.length === 0 && draft.runTarget === undefined && draft.tasks.length === 0) return NOTHING_TO_WIRE;
  return draft.runTarget !== undefined ? { ref: owner.ref, edges: draft.edges, runTarget: draft.runTarget, tasks: draft.tasks } : { ref: owner.ref, edges: draft.edges, tasks: draft.tasks };
}

/**
 * Sets the inputs of every node of `owner` from its draft's edges, and registers the node as a
 * dependent of each input. Inputs of other owners that pointed here must have been cleared first.
 */
export function wire(owner: OwnerModel, draft: Wiring, index: NodeIndex, upstreamOf: (key: string) => Upstream): void {
  const all = index.get(WHOLE_DAG) ?? [];
  const resolved = draft.edges.map((edge) => resolveEdge(owner, edge, upstreamOf));

  if (draft.ref.kind === 'Expectation') {
    all.forEach((node, row) => setInputs(node, resolved, row));
    if (draft.runTarget !== undefined) {
      const [target] = [resolveEdge(owner, draft.runTarget, upstreamOf)];
      all.forEach((node, row) => {
        const match = target.rows?.[row];
        node.runTarget = match !== null && match !== undefined ? (target.nodes?.[match[0] as number] ?? undefined) : undefined;
        if (node.runTarget !== undefined) node.runTarget.addDependent(node);
      });
    }
    return;
  }
  for (const task of draft.tasks) {
    const nodes = index.get(task.name) ?? [];
    nodes.forEach((node, row) => {
      if (task.after.length > 0) {
        node.deps = orNone(task.after.map((t) => index.get(t)?.[row]).filter((n): n is NodeRecord => n !== undefined));
        node.missing = undefined;
        for (const dep of node.deps) dep.addDependent(node);
      } else {
        setInputs(node, resolved, row);
      }
    });
  }
  all.forEach((node, row) => {
    node.deps = orNone(draft.tasks.map((t) => index.get(t.name)?.[row]).filter((n): n is NodeRecord => n !== undefined));
    node.missing = undefined;
    for (const dep of node.deps) dep.addDependent(node);
  });
}

interface ResolvedEdge {
  describe: string;
  problem?: string;
  nodes?: NodeRecord[];
  rows?: (number[] | null)[];
  onInputChange?: boolean;
}

function resolveEdge(owner: OwnerModel, edge: EdgeSpec, upstreamOf: (key: string) => Upstream): ResolvedEdge {
  const [kind, , name] = edge.target.split('/');
  const describe = `${kind} ${name}${edge.task !== undefined ? ` task ${edge.task}` : ''}`;
  const up = upstreamOf(edge.target);
  // An invalid owner may hold its nodes (see WorldCompiler.holdOwner): nothing is wired to them.
  if (up.owner?.invalid !== undefined) return { describe, problem: `${describe} is not valid: ${up.owner.invalid}` };
  if (up.owner === undefined || up.index === undefined || up.owner.space === undefined) return { describe, problem: `${describe} does not exist` };
  const nodes = up.index.get(edge.task ?? WHOLE_DAG);
  if (nodes === undefined) return { describe, problem: `${describe} does not exist` };
  if (owner.space === undefined) return { describe, problem: 'no partitions' };
  return { describe, nodes, rows: mapPartitions(owner.space, up.owner.space, edge.mapping), ...(edge.onInputChange === true ? { onInputChange: true } : {}) };
}

function setInputs(node: NodeRecord, edges: ResolvedEdge[], row: number): void {
  // Made on the first input only: most nodes of a large owner have none, and two empty arrays
  // per node were most of what a compile threw away.
  let deps: NodeRecord[] | undefined;
  let rebuildInputs: NodeRecord[] | undefined;
  let missing: string | undefined;
  for (const edge of edges) {
    if (edge.problem !== undefined) {
      missing ??= edge.problem;
      continue;
    }
    const matched = edge.rows?.[row];
    if (matched === null || matched === undefined) {
      missing ??= `${edge.describe} has no partition for ${node.partition || 'this node'} yet`;
      continue;
    }
    for (const i of matched) {
      const dep = edge.nodes?.[i];
      if (dep === undefined) continue;
      (deps ??= []).push(dep);
      if (edge.onInputChange === true) (rebuildInputs ??= []).push(dep);
    }
  }
  node.deps = deps ?? NO_NODES;
  node.rebuildInputs = rebuildInputs ?? NO_NODES;
  node.missing = missing;
  if (deps !== undefined) for (const dep of deps) dep.addDependent(node);
}

/** Forgets every edge from the nodes of `owner` into other nodes (before rewiring it). */
export function unwire(owner: OwnerModel): void {
  const touched = new Set<NodeRecord>();
  for (const node of owner.nodes) {
    for (const dep of node.deps) touched.add(dep);
    if (node.runTarget !== undefined) touched.add(node.runTarget);
    node.deps = NO_NODES;
    node.rebuildInputs = NO_NODES;
    node.runTarget = undefined;
  }
  for (const dep of touched) dep.dropDependentsOf(owner);
}

/** Empty edge lists share one array: most nodes have no inputs of some kind. */
const orNone = (nodes: NodeRecord[]): readonly NodeRecord[] => (nodes.length === 0 ? NO_NODES : nodes);
