/**
 * Lays the graph out with elkjs (layered, arrows downstream). Runs in the layout worker
 * (layoutWorker.ts), never on the page's thread: a big graph takes ELK a second or more.
 * Node sizes follow their names, not their phases; the same graph gives the same picture.
 */
import ELK from 'elkjs/lib/elk.bundled.js';
import type { ElkExtendedEdge, ElkNode, LayoutOptions } from 'elkjs/lib/elk-api.js';
import type { Graph } from './api.js';
import { kindLabel, label, type GraphEdge, type GraphNode, type Layout, NODE_HEIGHT } from './labels.js';

const elk = new ELK();

/** Past this many nodes ELK's thorough passes cost seconds for little gain: cheaper strategies instead. */
export const BIG_GRAPH = 400;

const BASE: LayoutOptions = {
  'elk.algorithm': 'layered',
  'elk.direction': 'RIGHT',
  'elk.spacing.nodeNode': '16',
  'elk.layered.spacing.nodeNodeBetweenLayers': '40',
  'elk.edgeRouting': 'POLYLINE',
};

/**
 * For big graphs: fewer crossing-minimisation sweeps, a linear-time node placement, and the many
 * small components packed in rows instead of one tall column.
 */
const CHEAP: LayoutOptions = {
  'elk.layered.thoroughness': '1',
  'elk.layered.nodePlacement.strategy': 'SIMPLE',
  'elk.layered.crossingMinimization.greedySwitch.type': 'OFF',
  'elk.layered.compaction.postCompaction.strategy': 'NONE',
  'elk.separateConnectedComponents': 'true',
  'elk.layered.wrapping.strategy': 'OFF',
  'elk.aspectRatio': '1.6',
};

/** The widest phase's room whatever the phase: a change of phase then needs no new layout (layoutClient.ts reuses it). */
const PHASE_ROOM = 'WorkingOnIt'.length;
const widthOf = (n: GraphNode): number => Math.max(90, 7 * Math.max(label(n).length, kindLabel(n).length + 2 + PHASE_ROOM) + 16);

export async function layout(graph: Graph): Promise<Layout> {
  const ids = new Set(graph.nodes.map((n) => n.id));
  const edges = graph.edges.filter((e) => ids.has(e.from) && ids.has(e.to));
  const input: ElkNode = {
    id: 'root',
    layoutOptions: graph.nodes.length > BIG_GRAPH ? { ...BASE, ...CHEAP } : BASE,
    children: graph.nodes.map((n) => ({ id: n.id, width: widthOf(n), height: NODE_HEIGHT })),
    edges: edges.map((e, i): ElkExtendedEdge => ({ id: `e${i}`, sources: [e.from], targets: [e.to] })),
  };
  const result = await elk.layout(input);
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const nodes = (result.children ?? []).map((c) => ({ node: byId.get(c.id) as GraphNode, x: c.x ?? 0, y: c.y ?? 0, width: c.width ?? 0, height: c.height ?? 0 }));
  const routed = (result.edges ?? []).map((e) => {
    const s = e.sections?.[0];
    const points = s === undefined ? [] : [s.startPoint, ...(s.bendPoints ?? []), s.endPoint];
    return { edge: edges[Number(e.id.slice(1))] as GraphEdge, points };
  });
  return { nodes, edges: routed, width: result.width ?? 0, height: result.height ?? 0 };
}
