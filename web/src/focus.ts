/**
 * "Focus": a node and what lies within N hops of it upstream (its inputs, their inputs...) and
 * downstream (what depends on it...), following the arrows each way only: a sibling sharing an
 * input is not in the neighbourhood, however close it is.
 */
import type { Graph } from './api.js';

/** The default hop count of the focus control. */
export const DEFAULT_HOPS = 2;

export function neighbourhood(graph: Pick<Graph, 'edges'>, id: string, hops: number): Set<string> {
  const down = new Map<string, string[]>();
  const up = new Map<string, string[]>();
  for (const e of graph.edges) {
    (down.get(e.from) ?? down.set(e.from, []).get(e.from))?.push(e.to);
    (up.get(e.to) ?? up.set(e.to, []).get(e.to))?.push(e.from);
  }
  const kept = new Set([id]);
  for (const next of [down, up]) {
    let frontier = [id];
    const seen = new Set([id]);
    for (let hop = 0; hop < hops && frontier.length > 0; hop++) {
      const reached: string[] = [];
      for (const n of frontier) {
        for (const m of next.get(n) ?? []) {
          if (seen.has(m)) continue;
          seen.add(m);
          kept.add(m);
          reached.push(m);
        }
      }
      frontier = reached;
    }
  }
  return kept;
}
