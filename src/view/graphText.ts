/** The graph as Graphviz dot or a Mermaid flowchart, for `homeostat graph -o dot|mermaid`. Pure. */
import type { Graph, GraphNode } from './graph.js';

const label = (n: GraphNode): string => `${n.kind === 'DagTask' ? `${n.name}/${n.task ?? ''}` : `${n.kind} ${n.namespace}/${n.name}`}${n.phase !== undefined ? `\\n${n.phase}` : ''}`;
const quoted = (text: string): string => `"${text.replace(/\\(?!n)/g, '\\\\').replace(/"/g, '\\"')}"`;

export function graphDot(graph: Graph): string {
  const lines = ['digraph homeostat {', '  rankdir=LR;', '  node [shape=box];'];
  for (const n of graph.nodes) lines.push(`  ${quoted(n.id)} [label=${quoted(label(n))}${n.kind === 'DagTask' ? ', style=rounded' : ''}];`);
  for (const e of graph.edges) lines.push(`  ${quoted(e.from)} -> ${quoted(e.to)} [label=${quoted(e.periods !== undefined ? `${e.kind} ${e.periods}` : e.kind)}];`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

export function graphMermaid(graph: Graph): string {
  // Mermaid ids are plain words: number the nodes.
  const ids = new Map(graph.nodes.map((n, i) => [n.id, `n${i}`]));
  const text = (s: string) => s.replace(/\\n/g, '<br/>').replace(/"/g, '#quot;');
  const lines = ['flowchart LR'];
  for (const n of graph.nodes) lines.push(`  ${ids.get(n.id) ?? ''}["${text(label(n))}"]`);
  for (const e of graph.edges) lines.push(`  ${ids.get(e.from) ?? ''} -->|${text(e.periods !== undefined ? `${e.kind} ${e.periods}` : e.kind)}| ${ids.get(e.to) ?? ''}`);
  return `${lines.join('\n')}\n`;
}
