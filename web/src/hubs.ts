/**
 * What makes a graph big for the layout, and its hubs: kept apart from layout.ts (which loads ELK)
 * so the page's own bundle can use them without ELK.
 */
import type { GraphEdge, Placed, Routed } from './labels.js';

/** Past this many nodes ELK's thorough passes cost seconds for little gain: cheaper strategies instead. */
export const BIG_GRAPH = 400;

/**
 * In a big graph, the edges of a node with more than this many outgoing edges (a StateChecker
 * every Expectation uses, a Dag everything waits for) are left out of the layout and drawn
 * straight: they would tie every pipeline into one component, and ELK's cost grows with the
 * biggest component. Each pipeline is then laid out alone and the pieces packed.
 */
export const HUB_EDGES = 20;

export function hubNodes(edges: GraphEdge[]): Set<string> {
  const out = new Map<string, number>();
  for (const e of edges) out.set(e.from, (out.get(e.from) ?? 0) + 1);
  return new Set([...out].filter(([, n]) => n > HUB_EDGES).map(([id]) => id));
}

/** From the middle of the source's right side to the middle of the target's left side. */
export function straightEdges(edges: GraphEdge[], nodes: Placed[]): Routed[] {
  const at = new Map(nodes.map((p) => [p.node.id, p]));
  return edges.flatMap((edge) => {
    const a = at.get(edge.from);
    const b = at.get(edge.to);
    if (a === undefined || b === undefined) return [];
    return [{ edge, points: [{ x: a.x + a.width, y: a.y + a.height / 2 }, { x: b.x, y: b.y + b.height / 2 }] }];
  });
}
