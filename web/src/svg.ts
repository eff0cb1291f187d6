/**
 * Draws a laid-out graph as SVG: each node a focusable group (Tab reaches it, Enter or a click
 * opens it) whose aria-label and visible text both say its kind, name and phase. Everything sits
 * in one `g.viewport` that pan and zoom transform (panZoom.ts). One click and one keydown listener
 * for the whole graph, not one per node: a big graph has thousands.
 */
import { kindLabel, label, type Layout, type Placed, phaseOf, type Routed } from './labels.js';

const SVG = 'http://www.w3.org/2000/svg';

function el<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>, parent: Element): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  parent.appendChild(e);
  return e;
}

export interface DrawHooks {
  /** A node clicked, or Enter (or Space) on it. */
  open(id: string): void;
  /** A node got the keyboard focus (the view pans to show it). */
  focused(box: { x: number; y: number; width: number; height: number }): void;
}

export function drawGraph(container: HTMLElement, laid: Layout, selected: string | undefined, hooks: DrawHooks): void {
  const focused = (document.activeElement as Element | null)?.getAttribute('data-id') ?? undefined;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('width', '100%');
  svg.setAttribute('height', '100%');
  svg.setAttribute('role', 'group');
  // Chrome puts an overflowing <svg> in the Tab order as a scroller: Tab goes to the nodes instead.
  svg.setAttribute('tabindex', '-1');
  svg.setAttribute('aria-label', `Graph of ${laid.nodes.length} nodes and ${laid.edges.length} edges`);
  svg.dataset.width = String(laid.width);
  svg.dataset.height = String(laid.height);
  const defs = el('defs', {}, svg);
  const marker = el('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto-start-reverse' }, defs);
  el('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#8a8f98' }, marker);
  const root = el('g', { class: 'viewport' }, svg);
  // One string parsed once: for thousands of nodes several times faster than an element at a time.
  root.innerHTML = [...laid.edges.map(edgeMarkup), ...laid.nodes.map((p) => nodeMarkup(p, selected))].join('');
  const refocus = focused !== undefined ? root.querySelector<SVGGElement>(`g.node[data-id="${CSS.escape(focused)}"]`) : null;
  const nodeOf = (target: EventTarget | null) => (target instanceof Element ? target.closest<SVGGElement>('g.node') : null);
  svg.addEventListener('click', (event) => {
    const g = nodeOf(event.target);
    if (g !== null) hooks.open(g.dataset.id as string);
  });
  svg.addEventListener('pointerover', (event) => {
    const path = event.target instanceof SVGPathElement && event.target.classList.contains('edge') ? event.target : null;
    if (path === null || path.firstChild !== null) return;
    const { kind, from, to, periods } = path.dataset;
    el('title', {}, path).textContent = `${kind ?? ''}${periods !== undefined ? ` (${periods})` : ''}: ${from ?? ''} → ${to ?? ''}`;
  });
  const moves = neighbours(laid);
  svg.addEventListener('keydown', (event) => {
    const g = nodeOf(event.target);
    if (g === null) return;
    const id = g.dataset.id as string;
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      hooks.open(id);
      return;
    }
    const to = moves.get(id)?.[event.key as Arrow];
    if (to === undefined) return;
    event.preventDefault();
    svg.querySelector<SVGGElement>(`g.node[data-id="${CSS.escape(to)}"]`)?.focus();
  });
  const boxes = new Map(laid.nodes.map((p) => [p.node.id, p]));
  svg.addEventListener('focusin', (event) => {
    const box = boxes.get(nodeOf(event.target)?.dataset.id ?? '');
    if (box !== undefined) hooks.focused(box);
  });
  container.replaceChildren(svg);
  // A live update redraws everything: keyboard users keep their place.
  refocus?.focus({ preventScroll: true });
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Names and reasons come from the cluster: escaped, never markup. */
const esc = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
const attrs = (a: Record<string, string | number>): string => Object.entries(a).map(([k, v]) => ` ${k}="${esc(String(v))}"`).join('');

function edgeMarkup({ edge, points }: Routed): string {
  if (points.length === 0) return '';
  const d = points.map((p, i) => `${i === 0 ? 'M' : 'L'} ${p.x} ${p.y}`).join(' ');
  // The tooltip (<title>) is added when the pointer first rests on the edge: thousands fewer elements to build.
  return `<path${attrs({ class: `edge ${edge.kind}`, d, 'marker-end': 'url(#arrow)', 'data-from': edge.from, 'data-to': edge.to, 'data-kind': edge.kind, ...(edge.periods !== undefined ? { 'data-periods': edge.periods } : {}) })}></path>`;
}

/** A node: its kind, name and phase in the aria-label and as visible text (never colour alone). */
function nodeMarkup({ node, x, y, width, height }: Placed, selected: string | undefined): string {
  const phase = phaseOf(node);
  const g = attrs({
    class: `node phase-${phase}${node.id === selected ? ' selected' : ''}`,
    transform: `translate(${x},${y})`,
    tabindex: 0,
    role: 'button',
    'data-id': node.id,
    'data-kind': node.kind,
    'data-phase': phase,
    'aria-label': `${node.kind} ${node.namespace}/${label(node)}: ${phase}${node.reason !== undefined ? ` (${node.reason})` : ''}`,
  });
  return `<g${g}><rect width="${width}" height="${height}"></rect><text x="8" y="15">${esc(label(node))}</text><text x="8" y="30" class="phase">${esc(`${kindLabel(node)} · ${phase}`)}</text></g>`;
}

type Arrow = 'ArrowRight' | 'ArrowLeft' | 'ArrowUp' | 'ArrowDown';

/**
 * Where each arrow key goes from each node: Right to its first downstream neighbour, Left to its
 * first upstream one (arrows point downstream, laid out left to right), Up and Down to the node
 * above or below in the same column.
 */
function neighbours(laid: Layout): Map<string, Partial<Record<Arrow, string>>> {
  const out = new Map<string, Partial<Record<Arrow, string>>>();
  const at = (id: string) => {
    let m = out.get(id);
    if (m === undefined) out.set(id, (m = {}));
    return m;
  };
  for (const { edge } of laid.edges) {
    at(edge.from).ArrowRight ??= edge.to;
    at(edge.to).ArrowLeft ??= edge.from;
  }
  const columns = new Map<number, { id: string; y: number }[]>();
  for (const p of laid.nodes) {
    const column = columns.get(Math.round(p.x)) ?? [];
    column.push({ id: p.node.id, y: p.y });
    columns.set(Math.round(p.x), column);
  }
  for (const column of columns.values()) {
    column.sort((a, b) => a.y - b.y);
    column.forEach((n, i) => {
      if (i > 0) at(n.id).ArrowUp = (column[i - 1] as { id: string }).id;
      if (i < column.length - 1) at(n.id).ArrowDown = (column[i + 1] as { id: string }).id;
    });
  }
  return out;
}
