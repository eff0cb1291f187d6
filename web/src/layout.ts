/**
 * Lays the graph out with elkjs (layered, arrows downstream). Runs in the layout worker
 * (layoutWorker.ts), never on the page's thread: a big graph takes ELK a second or more.
 * Node sizes follow their names, not their phases; the same graph gives the same picture.
 */
import ELK from 'elkjs/lib/elk.bundled.js';
import type { ElkExtendedEdge, ElkNode, LayoutOptions } from 'elkjs/lib/elk-api.js';
import type { Graph } from './api.js';
import { BIG_GRAPH, hubNodes, straightEdges } from './hubs.js';
import { kindLabel, label, type GraphEdge, type GraphNode, type Layout, NODE_HEIGHT, type Placed, type Routed } from './labels.js';

const elk = new ELK();


const BASE: LayoutOptions = {
  'elk.algorithm': 'layered',
  'elk.direction': 'RIGHT',
  'elk.spacing.nodeNode': '16',
  'elk.layered.spacing.nodeNodeBetweenLayers': '40',
  'elk.edgeRouting': 'POLYLINE',
};

/**
 * For big graphs: layers by longest path (linear) instead of network simplex, one crossing-
 * minimisation sweep, a linear-time node placement. Measured on 1,000 Dags + 300 Expectations
 * (bench/webView.ts): several times less CPU than the defaults, for a picture as readable.
 */
const CHEAP: LayoutOptions = {
  'elk.layered.layering.strategy': 'LONGEST_PATH',
  'elk.layered.thoroughness': '1',
  'elk.layered.nodePlacement.strategy': 'SIMPLE',
  'elk.layered.crossingMinimization.greedySwitch.type': 'OFF',
};

/** The widest phase's room whatever the phase: a change of phase then needs no new layout (layoutClient.ts reuses it). */
const PHASE_ROOM = 'WorkingOnIt'.length;
const widthOf = (n: GraphNode): number => Math.max(90, 7 * Math.max(label(n).length, kindLabel(n).length + 2 + PHASE_ROOM) + 16);

/** Between a Dag's column of tasks and the Dag, and between its tasks. */
const GROUP_GAP = 24;
const TASK_GAP = 8;

/**
 * A Dag with its tasks, laid out as one box in a big graph: its tasks in a column on the left (in
 * the order declared), the Dag on the right. ELK then places 1,300 boxes rather than 3,300
 * nodes (1,000 Dags of two tasks): a cold ELK takes about half the time.
 */
interface Group {
  dag: GraphNode;
  tasks: GraphNode[];
  taskWidth: number;
  width: number;
  height: number;
}

/** The Dag node that holds each task, for the tasks whose Dag is in the graph. */
function groupsOf(nodes: GraphNode[]): { groups: Map<string, Group>; holder: Map<string, string> } {
  const groups = new Map<string, Group>();
  for (const n of nodes) if (n.kind === 'Dag') groups.set(n.id, { dag: n, tasks: [], taskWidth: 0, width: 0, height: 0 });
  const holder = new Map<string, string>();
  for (const n of nodes) {
    const dag = n.kind === 'DagTask' ? groups.get(`Dag/${n.namespace}/${n.name}`) : undefined;
    if (dag === undefined) continue;
    dag.tasks.push(n);
    holder.set(n.id, dag.dag.id);
  }
  for (const g of groups.values()) {
    g.taskWidth = Math.max(0, ...g.tasks.map(widthOf));
    g.width = (g.tasks.length > 0 ? g.taskWidth + GROUP_GAP : 0) + widthOf(g.dag);
    g.height = Math.max(NODE_HEIGHT, g.tasks.length * (NODE_HEIGHT + TASK_GAP) - TASK_GAP);
  }
  return { groups, holder };
}

export async function layout(graph: Graph): Promise<Layout> {
  const ids = new Set(graph.nodes.map((n) => n.id));
  const edges = graph.edges.filter((e) => ids.has(e.from) && ids.has(e.to));
  const big = graph.nodes.length > BIG_GRAPH;
  const hubs = big ? hubNodes(edges) : new Set<string>();
  const { groups, holder } = big ? groupsOf(graph.nodes) : { groups: new Map<string, Group>(), holder: new Map<string, string>() };
  const boxOf = (id: string) => holder.get(id) ?? id;
  // ELK routes the edges between boxes it places; the rest (a hub's, a task's) are drawn straight.
  const routedByElk = (e: GraphEdge) => !hubs.has(e.from) && !holder.has(e.from) && !holder.has(e.to);
  const placing = edges.flatMap((e, i) => {
    if (hubs.has(e.from)) return [];
    const [from, to] = [boxOf(e.from), boxOf(e.to)];
    return from === to ? [] : [{ id: routedByElk(e) ? `e${i}` : `x${i}`, from, to }];
  });
  const input: ElkNode = {
    id: 'root',
    layoutOptions: big ? { ...BASE, ...CHEAP } : BASE,
    children: graph.nodes.filter((n) => !holder.has(n.id)).map((n) => {
      const g = groups.get(n.id);
      return { id: n.id, width: g !== undefined ? g.width : widthOf(n), height: g !== undefined ? g.height : NODE_HEIGHT };
    }),
    edges: placing.map(({ id, from, to }): ElkExtendedEdge => ({ id, sources: [from], targets: [to] })),
  };
  const result = await elk.layout(input);
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const nodes: Placed[] = [];
  for (const c of result.children ?? []) {
    const [x, y] = [c.x ?? 0, c.y ?? 0];
    const g = groups.get(c.id);
    if (g === undefined || g.tasks.length === 0) {
      nodes.push({ node: byId.get(c.id) as GraphNode, x, y, width: g !== undefined ? widthOf(g.dag) : (c.width ?? 0), height: NODE_HEIGHT });
      continue;
    }
    g.tasks.forEach((t, i) => nodes.push({ node: t, x, y: y + i * (NODE_HEIGHT + TASK_GAP), width: g.taskWidth, height: NODE_HEIGHT }));
    nodes.push({ node: g.dag, x: x + g.taskWidth + GROUP_GAP, y: y + (g.height - NODE_HEIGHT) / 2, width: widthOf(g.dag), height: NODE_HEIGHT });
  }
  const routed: Routed[] = (result.edges ?? []).flatMap((e) => {
    if (!e.id.startsWith('e')) return [];
    const s = e.sections?.[0];
    const points = s === undefined ? [] : [s.startPoint, ...(s.bendPoints ?? []), s.endPoint];
    return [{ edge: edges[Number(e.id.slice(1))] as GraphEdge, points }];
  });
  if (hubs.size > 0 || holder.size > 0) routed.push(...straightEdges(edges.filter((e) => !routedByElk(e)), nodes));
  return { nodes, edges: routed, width: result.width ?? 0, height: result.height ?? 0 };
}
