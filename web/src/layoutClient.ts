/**
 * The page's side of the layout workers: the workers live as long as the page, at most one layout
 * runs at a time, and of the layouts asked for meanwhile only the latest is sent next (a burst of
 * live updates lays out once, not once per update). A request superseded before it was sent
 * resolves to undefined. A graph with the same nodes and edges as the last one laid out (only
 * phases or counts changed: most live updates) reuses its positions without asking a worker.
 * A big graph is split by connected components over several workers (layoutSplit.ts), one per
 * core but one, up to MAX_WORKERS.
 */
import type { Graph } from './api.js';
import { BIG_GRAPH } from './hubs.js';
import type { GraphNode, Layout } from './labels.js';
import { mergeLayouts, splitGraph } from './layoutSplit.js';
import type { LayoutReply, LayoutRequest } from './layoutWorker.js';

/** The worker bundle beside app.js (Makefile: dist/web/layout-worker.js). */
export const WORKER_URL = 'layout-worker.js';
/** Each worker holds its own ELK (tens of MB): a few are enough. */
export const MAX_WORKERS = 4;

type Waiting = { graph: Graph; shape: string; resolve: (laid: Layout | undefined) => void; reject: (error: Error) => void };

/** What the layout depends on: the nodes (names size them) and the edges. */
const shapeOf = (graph: Graph): string => `${graph.nodes.map((n) => n.id).join('\n')}\n\n${graph.edges.map((e) => `${e.from}>${e.to}`).join('\n')}`;

/** The last layout with the current graph's nodes (phases, counts) in it. */
function withNodes(laid: Layout, graph: Graph): Layout {
  const byId = new Map<string, GraphNode>(graph.nodes.map((n) => [n.id, n]));
  return { ...laid, nodes: laid.nodes.map((p) => ({ ...p, node: byId.get(p.node.id) ?? p.node })) };
}

/** One worker, its requests matched to their replies by id. */
class LayoutWorker {
  private worker: Worker | undefined;
  private readonly waiting = new Map<number, { resolve: (laid: Layout) => void; reject: (error: Error) => void }>();
  private seq = 0;

  start(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = new Worker(WORKER_URL, { type: 'module', name: 'homeostat-layout' });
    worker.addEventListener('message', (event: MessageEvent<LayoutReply>) => {
      const reply = event.data;
      const job = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      if ('error' in reply) job?.reject(new Error(reply.error));
      else job?.resolve(reply.layout);
    });
    worker.addEventListener('error', (event) => {
      // A worker that cannot load (a stale build, a CSP refusal) fails its layouts with why.
      this.worker = undefined;
      for (const job of this.waiting.values()) job.reject(new Error(`the layout worker ${WORKER_URL} failed: ${event.message || 'it could not be loaded'}`));
      this.waiting.clear();
    });
    this.worker = worker;
    return worker;
  }

  layout(graph: Graph): Promise<Layout> {
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.start().postMessage({ id, graph } satisfies LayoutRequest);
    });
  }
}

export class LayoutClient {
  private readonly workers: LayoutWorker[];
  private busy = false;
  private next: Waiting | undefined;
  private last: { shape: string; layout: Layout } | undefined;

  /** Layouts finished, and whether one runs now: the tests wait on these. */
  done = 0;
  get running(): boolean {
    return this.busy;
  }

  /** One core is left to the page's own thread (drawing) and the browser's compiler threads. */
  constructor(workers = Math.max(1, Math.min(MAX_WORKERS, (navigator.hardwareConcurrency || 2) - 1))) {
    this.workers = Array.from({ length: workers }, () => new LayoutWorker());
  }

  /** Starts the workers now: they load ELK (1.5 MB) while the page fetches the graph. */
  warm(): void {
    for (const w of this.workers) w.start();
  }

  layout(graph: Graph): Promise<Layout | undefined> {
    const shape = shapeOf(graph);
    if (this.last?.shape === shape && !this.busy) {
      this.next?.resolve(undefined);
      this.next = undefined;
      return Promise.resolve(withNodes(this.last.layout, graph));
    }
    return new Promise((resolve, reject) => {
      // The one waiting is superseded: its caller draws nothing.
      this.next?.resolve(undefined);
      this.next = { graph, shape, resolve, reject };
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.busy || this.next === undefined) return;
    const job = this.next;
    this.next = undefined;
    if (this.last?.shape === job.shape) return job.resolve(withNodes(this.last.layout, job.graph));
    this.busy = true;
    try {
      const laid = await this.run(job.graph);
      this.last = { shape: job.shape, layout: laid };
      // Drawn even when a newer graph waits: on a busy cluster a picture a second old beats none.
      job.resolve(laid);
    } catch (error) {
      job.reject(error as Error);
    } finally {
      this.busy = false;
      this.done++;
    }
    void this.pump();
  }

  private async run(graph: Graph): Promise<Layout> {
    if (graph.nodes.length <= BIG_GRAPH || this.workers.length === 1) return (this.workers[0] as LayoutWorker).layout(graph);
    const { parts, hubEdges } = splitGraph(graph, this.workers.length);
    const laid = await Promise.all(parts.map((part, i) => (this.workers[i] as LayoutWorker).layout(part)));
    return mergeLayouts(laid, hubEdges);
  }
}
