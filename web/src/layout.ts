/**
 * Lays the graph out with elkjs (layered, arrows downstream). Runs in the layout worker
 * (layoutWorker.ts), never on the page's thread: a big graph takes ELK a second or more.
 * Node sizes follow their names, not their phases; the same graph gives the same picture.
 */
import ELK from 'elkjs/lib/elk.bundled.js';
import type { ElkExtendedEdge, ElkNode, LayoutOptions } from 'elkjs/lib/elk-api.js';
import type { Graph } from './api.js';
import { BIG_GRAPH, hubNodes, straightEdges } from './hubs.js';
import { kindLabel, label, type GraphEdge, type GraphNode, type Layout, NODE_HEIGHT } from './labels.js';

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

export async function layout(graph: Graph): Promise<Layout> {
  const ids = new Set(graph.nodes.map((n) => n.id));
  const edges = graph.edges.filter((e) => ids.has(e.from) && ids.has(e.to));
  const big = graph.nodes.length > BIG_GRAPH;
  const hubs = big ? hubNodes(edges) : new Set<string>();
  const placing = edges.flatMap((e, i) => (hubs.has(e.from) ? [] : [{ e, i }]));
  const input: ElkNode = {
    id: 'root',
    layoutOptions: big ? { ...BASE, ...CHEAP } : BASE,
    children: graph.nodes.map((n) => ({ id: n.id, width: widthOf(n), height: NODE_HEIGHT })),
    edges: placing.map(({ e, i }): ElkExtendedEdge => ({ id: `e${i}`, sources: [e.from], targets: [e.to] })),
  };
  const result = await elk.layout(input);
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const nodes = (result.children ?? []).map((c) => ({ node: byId.get(c.id) as GraphNode, x: c.x ?? 0, y: c.y ?? 0, width: c.width ?? 0, height: c.height ?? 0 }));
  const routed = (result.edges ?? []).map((e) => {
    const s = e.sections?.[0];
    const points = s === undefined ? [] : [s.startPoint, ...(s.bendPoints ?? []), s.endPoint];
    return { edge: edges[Number(e.id.slice(1))] as GraphEdge, points };
  });
  if (hubs.size > 0) routed.push(...straightEdges(edges.filter((e) => hubs.has(e.from)), nodes));
  return { nodes, edges: routed, width: result.width ?? 0, height: result.height ?? 0 };
}
