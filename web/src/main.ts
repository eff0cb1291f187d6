/**
 * The page: the whole graph (filtered by namespace, phase and a search), a node's details on a
 * click or Enter, and live updates: each change event reloads the graph (coalesced), no reload.
 */
import { api, followEvents, NeedsToken, token, type Graph } from './api.js';
import { showDetails } from './details.js';
import { label, layout } from './layout.js';
import { drawGraph } from './svg.js';

const PHASES = ['Satisfied', 'WorkingOnIt', 'Waiting', 'Pending', 'Failed', 'Unknown'];
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const view = {
  graph: undefined as Graph | undefined,
  selected: undefined as string | undefined,
  generation: 0,
};

function filtered(graph: Graph): Graph {
  const namespace = $<HTMLSelectElement>('namespace').value;
  const phase = $<HTMLSelectElement>('phase').value;
  const search = $<HTMLInputElement>('search').value.trim().toLowerCase();
  const nodes = graph.nodes.filter((n) => (namespace === '' || n.namespace === namespace) && (phase === '' || (n.phase ?? 'Unknown') === phase) && (search === '' || `${n.kind} ${n.namespace}/${label(n)}`.toLowerCase().includes(search)));
  const ids = new Set(nodes.map((n) => n.id));
  return { ...graph, nodes, edges: graph.edges.filter((e) => ids.has(e.from) && ids.has(e.to)) };
}

function setStatus(text: string): void {
  $('status').textContent = text;
}

async function render(): Promise<void> {
  const graph = view.graph;
  if (graph === undefined) return;
  const generation = ++view.generation;
  const shown = filtered(graph);
  const laid = await layout(shown);
  // A newer update started while this one was laid out: it draws instead.
  if (generation !== view.generation) return;
  drawGraph($('graph'), laid, view.selected, (id) => void open(id));
  const failed = graph.nodes.filter((n) => n.phase === 'Failed').length;
  const cut = graph.nodesNotShown > 0 ? ` (${graph.nodesNotShown} more not sent: filter by namespace)` : '';
  setStatus(`${shown.nodes.length} of ${graph.nodes.length} nodes${cut}, ${failed} failed · ${live ? 'live' : 'reconnecting…'}`);
}

function fillNamespaces(graph: Graph): void {
  const select = $<HTMLSelectElement>('namespace');
  const have = new Set([...select.options].map((o) => o.value));
  for (const ns of [...new Set(graph.nodes.map((n) => n.namespace))].sort()) if (!have.has(ns)) select.append(new Option(ns, ns));
}

async function reload(): Promise<void> {
  try {
    view.graph = await api.graph();
    fillNamespaces(view.graph);
    await render();
  } catch (error) {
    if (error instanceof NeedsToken) {
      $('login').hidden = false;
      setStatus('this server needs a bearer token');
    } else setStatus(`cannot load the graph: ${(error as Error).message}`);
  }
}

async function open(id: string): Promise<void> {
  const node = view.graph?.nodes.find((n) => n.id === id);
  if (node === undefined) return;
  view.selected = id;
  for (const g of document.querySelectorAll('#graph .node')) g.classList.toggle('selected', g.getAttribute('data-id') === id);
  try {
    await showDetails($('details'), node);
  } catch (error) {
    $('details').textContent = (error as Error).message;
  }
}

// Many changes after one pass: one reload.
let pending: ReturnType<typeof setTimeout> | undefined;
function scheduleReload(): void {
  pending ??= setTimeout(() => {
    pending = undefined;
    void reload().then(() => {
      // The open node's details follow it too.
      if (view.selected !== undefined) void open(view.selected);
    });
  }, 50);
}

let live = false;
let events: AbortController | undefined;
function follow(): void {
  events?.abort();
  events = new AbortController();
  void followEvents(scheduleReload, (connected) => {
    live = connected;
    void render();
  }, events.signal);
}

function start(): void {
  const phase = $<HTMLSelectElement>('phase');
  for (const p of PHASES) phase.append(new Option(p, p));
  for (const id of ['namespace', 'phase']) $(id).addEventListener('change', () => void render());
  let typing: ReturnType<typeof setTimeout> | undefined;
  $('search').addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => void render(), 150);
  });
  $('filters').addEventListener('submit', (event) => event.preventDefault());
  $('login').addEventListener('submit', (event) => {
    event.preventDefault();
    token.set($<HTMLInputElement>('token').value.trim());
    $('login').hidden = true;
    void reload();
    follow();
  });
  void reload();
  follow();
}

start();
