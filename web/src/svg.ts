/**
 * Draws a laid-out graph as SVG: each node a focusable group (Tab reaches it, Enter or a click
 * opens it) whose aria-label and visible text both say its kind, name and phase.
 */
import { kindLabel, label, type Layout } from './layout.js';

const SVG = 'http://www.w3.org/2000/svg';

function el<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>, parent: Element): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  parent.appendChild(e);
  return e;
}

export function drawGraph(container: HTMLElement, laid: Layout, selected: string | undefined, open: (id: string) => void): void {
  const focused = (document.activeElement as Element | null)?.getAttribute('data-id') ?? undefined;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('width', String(laid.width + 20));
  svg.setAttribute('height', String(laid.height + 20));
  svg.setAttribute('role', 'group');
  svg.setAttribute('aria-label', `Graph of ${laid.nodes.length} nodes and ${laid.edges.length} edges`);
  const defs = el('defs', {}, svg);
  const marker = el('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto-start-reverse' }, defs);
  el('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#8a8f98' }, marker);
  const root = el('g', { transform: 'translate(10,10)' }, svg);
  for (const { edge, points } of laid.edges) {
    if (points.length === 0) continue;
    const path = el('path', { class: `edge ${edge.kind}`, d: points.map((p, i) => `${i === 0 ? 'M' : 'L'} ${p.x} ${p.y}`).join(' '), 'marker-end': 'url(#arrow)', 'data-from': edge.from, 'data-to': edge.to, 'data-kind': edge.kind }, root);
    el('title', {}, path).textContent = `${edge.kind}${edge.periods !== undefined ? ` (${edge.periods})` : ''}: ${edge.from} → ${edge.to}`;
  }
  let refocus: SVGGElement | undefined;
  for (const { node, x, y, width, height } of laid.nodes) {
    const phase = node.phase ?? 'Unknown';
    const g = el('g', { class: `node phase-${phase}${node.id === selected ? ' selected' : ''}`, transform: `translate(${x},${y})`, tabindex: 0, role: 'button', 'data-id': node.id, 'data-kind': node.kind, 'data-phase': phase, 'aria-label': `${node.kind} ${node.namespace}/${label(node)}: ${phase}${node.reason !== undefined ? ` (${node.reason})` : ''}` }, root);
    el('rect', { width, height }, g);
    el('text', { x: 8, y: 15 }, g).textContent = label(node);
    el('text', { x: 8, y: 30, class: 'phase' }, g).textContent = `${kindLabel(node)} · ${phase}`;
    g.addEventListener('click', () => open(node.id));
    g.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        open(node.id);
      }
    });
    if (node.id === focused) refocus = g;
  }
  container.replaceChildren(svg);
  // A live update redraws everything: keyboard users keep their place.
  refocus?.focus();
}
