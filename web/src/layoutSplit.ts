/**
 * Splitting a big graph for several layout workers, and putting their pictures together. ELK
 * lays out each connected component alone anyway; here the components are dealt to the workers
 * (the biggest first, each to the least loaded), so on a machine with cores to spare a graph of
 * thousands of nodes is laid out in a fraction of the time. The edges of hubs (layout.ts) do not
 * tie components together; they are drawn straight once every part is placed. Pure.
 */
import type { Graph } from './api.js';
import type { GraphEdge, Layout, Placed, Routed } from './labels.js';
import { hubNodes, straightEdges } from './hubs.js';

export interface Split {
  parts: Graph[];
  /** Edges left out of every part: drawn straight after the merge. */
  hubEdges: GraphEdge[];
}

export function splitGraph(graph: Graph, count: number): Split {
  const hubs = hubNodes(graph.edges);
  const hubEdges = graph.edges.filter((e) => hubs.has(e.from));
  const placing = graph.edges.filter((e) => !hubs.has(e.from));
  // Union-find over the edges that place nodes.
  const parent = new Map(graph.nodes.map((n) => [n.id, n.id]));
  const find = (id: string): string => {
    let root = id;
    while (parent.get(root) !== root) root = parent.get(root) as string;
    for (let at = id; at !== root; ) {
      const next = parent.get(at) as string;
      parent.set(at, root);
      at = next;
    }
    return root;
  };
  for (const e of placing) parent.set(find(e.from), find(e.to));
  const components = new Map<string, Graph['nodes']>();
  for (const n of graph.nodes) {
    const root = find(n.id);
    const list = components.get(root) ?? [];
    list.push(n);
    components.set(root, list);
  }
  const parts = Array.from({ length: Math.max(1, count) }, () => ({ nodes: [] as Graph['nodes'], size: 0 }));
  const partOf = new Map<string, number>();
  for (const [root, nodes] of [...components].sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1))) {
    const i = parts.reduce((best, p, j) => (p.size < (parts[best] as { size: number }).size ? j : best), 0);
    const part = parts[i] as { nodes: Graph['nodes']; size: number };
    part.nodes.push(...nodes);
    part.size += nodes.length;
    partOf.set(root, i);
  }
  const edges = parts.map(() => [] as GraphEdge[]);
  for (const e of placing) edges[partOf.get(find(e.from)) as number]?.push(e);
  return {
    parts: parts.filter((p) => p.nodes.length > 0).map((p) => ({ nodes: p.nodes, edges: edges[parts.indexOf(p)] as GraphEdge[], nodesNotShown: 0, edgesNotShown: 0 })),
    hubEdges,
  };
}

/** The parts side by side along the shorter side of the first (the picture stays about square), then the hub edges. */
export function mergeLayouts(layouts: Layout[], hubEdges: GraphEdge[]): Layout {
  const GAP = 40;
  const across = (layouts[0]?.width ?? 0) > (layouts[0]?.height ?? 0);
  const nodes: Placed[] = [];
  const edges: Routed[] = [];
  let offset = 0;
  let width = 0;
  let height = 0;
  for (const l of layouts) {
    const dx = across ? 0 : offset;
    const dy = across ? offset : 0;
    for (const p of l.nodes) nodes.push({ ...p, x: p.x + dx, y: p.y + dy });
    for (const r of l.edges) edges.push({ edge: r.edge, points: r.points.map((q) => ({ x: q.x + dx, y: q.y + dy })) });
    offset += (across ? l.height : l.width) + GAP;
    width = across ? Math.max(width, l.width) : dx + l.width;
    height = across ? dy + l.height : Math.max(height, l.height);
  }
  edges.push(...straightEdges(hubEdges, nodes));
  return { nodes, edges, width, height };
}
