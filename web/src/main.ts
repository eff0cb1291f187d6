/**
 * The page: the whole graph (filtered by namespace, labels, phase and a search; or focused on one
 * node's neighbourhood), laid out in a worker, panned and zoomed; a node's details on a click or
 * Enter; and live updates: each change event reloads the graph (coalesced), no reload.
 */
import { api, followEvents, NeedsToken, token, type Graph } from './api.js';
import { showDetails } from './details.js';
import { DEFAULT_HOPS, neighbourhood } from './focus.js';
import { label } from './labels.js';
import { LayoutClient } from './layoutClient.js';
import { PanZoom, panZoomKeys, ZOOM_STEP } from './panZoom.js';
import { drawGraph } from './svg.js';

const PHASES = ['Satisfied', 'WorkingOnIt', 'Waiting', 'Pending', 'Failed', 'Unknown'];
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const view = {
  graph: undefined as Graph | undefined,
  selected: undefined as string | undefined,
  /** The focused node and the hops around it, when the view is focused. */
  focus: undefined as { id: string; hops: number } | undefined,
  generation: 0,
  drawn: 0,
};
const layouts = new LayoutClient();
let panZoom: PanZoom;

/**
 * For the browser tests and the benchmark: what the page has done, read from outside; `timings`
 * are of the first whole graph, in ms since the navigation started (performance.now()).
 */
const probe = { layouts: () => layouts.done, layoutRunning: () => layouts.running, draws: 0, keys: 0, timings: {} as { fetched?: number; laidOut?: number; drawn?: number; painted?: number } };
(window as unknown as { homeostat: typeof probe }).homeostat = probe;

function filtered(graph: Graph): Graph {
  const namespace = $<HTMLSelectElement>('namespace').value;
  const phase = $<HTMLSelectElement>('phase').value;
  const search = $<HTMLInputElement>('search').value.trim().toLowerCase();
  const near = view.focus !== undefined ? neighbourhood(graph, view.focus.id, view.focus.hops) : undefined;
  const nodes = graph.nodes.filter(
    (n) => (near === undefined || near.has(n.id)) && (namespace === '' || n.namespace === namespace) && (phase === '' || (n.phase ?? 'Unknown') === phase) && (search === '' || `${n.kind} ${n.namespace}/${label(n)}`.toLowerCase().includes(search)),
  );
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
  $('canvas').setAttribute('aria-busy', 'true');
  let laid;
  try {
    laid = await layouts.layout(shown);
  } catch (error) {
    setStatus((error as Error).message);
    return;
  }
  // Superseded before it was laid out, or a newer one is already drawn.
  if (laid === undefined || generation < view.drawn) return;
  view.drawn = generation;
  probe.timings.laidOut ??= performance.now();
  drawGraph($('canvas'), laid, view.selected, { open: (id) => void open(id), focused: (b) => panZoom.reveal(b.x, b.y, b.width, b.height) });
  panZoom.drawn(laid.width, laid.height);
  probe.draws++;
  probe.timings.drawn ??= performance.now();
  // The first frame after the draw shows it: the second callback runs once that frame is painted.
  requestAnimationFrame(() => requestAnimationFrame(() => void (probe.timings.painted ??= performance.now())));
  if (generation === view.generation) $('canvas').setAttribute('aria-busy', 'false');
  const failed = graph.nodes.filter((n) => n.phase === 'Failed').length;
  const cut = graph.nodesNotShown > 0 ? ` (${graph.nodesNotShown} more not sent: filter by namespace or labels)` : '';
  const focus = view.focus !== undefined ? ` · focus: ${view.focus.hops} hops around ${view.focus.id}` : '';
  setStatus(`${shown.nodes.length} of ${graph.nodes.length} nodes${cut}, ${failed} failed${focus} · ${live ? 'live' : 'reconnecting…'}`);
}

function fillNamespaces(graph: Graph): void {
  const select = $<HTMLSelectElement>('namespace');
  const have = new Set([...select.options].map((o) => o.value));
  for (const ns of [...new Set(graph.nodes.map((n) => n.namespace))].sort()) if (!have.has(ns)) select.append(new Option(ns, ns));
}

/** The label selector as typed; a bad one is shown beside the box and the last graph stays. */
function labelSelector(): string {
  return $<HTMLInputElement>('labelSelector').value.trim();
}

function showSelectorError(message: string | undefined): void {
  $('selector-error').textContent = message ?? '';
  $<HTMLInputElement>('labelSelector').setAttribute('aria-invalid', String(message !== undefined));
}

async function reload(): Promise<void> {
  const selector = labelSelector();
  try {
    view.graph = await api.graph(selector);
    probe.timings.fetched ??= performance.now();
    showSelectorError(undefined);
    fillNamespaces(view.graph);
    await render();
  } catch (error) {
    if (error instanceof NeedsToken) {
      $('login').hidden = false;
      setStatus('this server needs a bearer token');
    } else if (selector !== '' && /HTTP 400/.test((error as Error).message)) showSelectorError(`labels: ${(error as Error).message.replace(/^.*HTTP 400: /, '')}`);
    else setStatus(`cannot load the graph: ${(error as Error).message}`);
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

/** Focus on the selected node (or the one with the keyboard focus), N hops each way. */
function focusOnSelected(): void {
  const id = view.selected ?? (document.activeElement as Element | null)?.getAttribute('data-id') ?? undefined;
  if (id === undefined) return setStatus('select a node first (click it, or Tab to it and press Enter), then focus on it');
  const hops = Math.max(1, Math.min(20, Number($<HTMLInputElement>('focus-hops').value) || DEFAULT_HOPS));
  view.focus = { id, hops };
  $('focus-clear').hidden = false;
  void render();
}

function clearFocus(): void {
  if (view.focus === undefined) return;
  view.focus = undefined;
  $('focus-clear').hidden = true;
  void render();
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

function wireFilters(): void {
  const phase = $<HTMLSelectElement>('phase');
  for (const p of PHASES) phase.append(new Option(p, p));
  for (const id of ['namespace', 'phase']) $(id).addEventListener('change', () => void render());
  let typing: ReturnType<typeof setTimeout> | undefined;
  $('search').addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => void render(), 150);
  });
  // The selector goes to the server: on Enter or when the box is left, not on every key.
  $('labelSelector').addEventListener('change', () => void reload());
  $('filters').addEventListener('submit', (event) => {
    event.preventDefault();
    void reload();
  });
}

function wireView(): void {
  panZoom = new PanZoom($('canvas'));
  $('zoom-in').addEventListener('click', () => panZoom.zoom(ZOOM_STEP));
  $('zoom-out').addEventListener('click', () => panZoom.zoom(1 / ZOOM_STEP));
  $('zoom-fit').addEventListener('click', () => panZoom.fit());
  $('focus').addEventListener('click', focusOnSelected);
  $('focus-clear').addEventListener('click', clearFocus);
  const keys = panZoomKeys(panZoom);
  document.addEventListener('keydown', (event) => {
    probe.keys++;
    if (event.key === 'Escape') clearFocus();
    else keys(event);
  });
}

function wireLogin(): void {
  $('login').addEventListener('submit', (event) => {
    event.preventDefault();
    token.set($<HTMLInputElement>('token').value.trim());
    $('login').hidden = true;
    void reload();
    follow();
  });
}

function start(): void {
  layouts.warm();
  wireFilters();
  wireView();
  wireLogin();
  void reload();
  follow();
}

start();
