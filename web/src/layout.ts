/**
 * Lays the graph out with elkjs (layered, arrows downstream). Node sizes follow their labels; the
 * same graph gives the same picture, so a live update moves nothing that did not change.
 */
import ELK from 'elkjs/lib/elk.bundled.js';
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api.js';
import type { Graph } from './api.js';

type Node = Graph['nodes'][number];
export type Placed = { node: Node; x: number; y: number; width: number; height: number };
export type Routed = { edge: Graph['edges'][number]; points: { x: number; y: number }[] };
export type Layout = { nodes: Placed[]; edges: Routed[]; width: number; height: number };

const elk = new ELK();
export const NODE_HEIGHT = 38;

/** The name a node shows: a task as `dag/task`, the rest by name. */
export const label = (n: Node): string => (n.task !== undefined ? `${n.name}/${n.task}` : n.name);
export const kindLabel = (n: Node): string => (n.kind === 'DagTask' ? 'task' : n.kind);

export async function layout(graph: Graph): Promise<Layout> {
  const ids = new Set(graph.nodes.map((n) => n.id));
  const edges = graph.edges.filter((e) => ids.has(e.from) && ids.has(e.to));
  const input: ElkNode = {
    id: 'root',
    layoutOptions: { 'elk.algorithm': 'layered', 'elk.direction': 'RIGHT', 'elk.spacing.nodeNode': '16', 'elk.layered.spacing.nodeNodeBetweenLayers': '40', 'elk.edgeRouting': 'POLYLINE' },
    children: graph.nodes.map((n) => ({ id: n.id, width: Math.max(90, 7 * Math.max(label(n).length, kindLabel(n).length + 2 + (n.phase ?? 'Unknown').length) + 16), height: NODE_HEIGHT })),
    edges: edges.map((e, i): ElkExtendedEdge => ({ id: `e${i}`, sources: [e.from], targets: [e.to] })),
  };
  const result = await elk.layout(input);
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const nodes = (result.children ?? []).map((c) => ({ node: byId.get(c.id) as Node, x: c.x ?? 0, y: c.y ?? 0, width: c.width ?? 0, height: c.height ?? 0 }));
  const routed = (result.edges ?? []).map((e) => {
    const s = e.sections?.[0];
    const points = s === undefined ? [] : [s.startPoint, ...(s.bendPoints ?? []), s.endPoint];
    return { edge: edges[Number(e.id.slice(1))] as Graph['edges'][number], points };
  });
  return { nodes, edges: routed, width: result.width ?? 0, height: result.height ?? 0 };
}
