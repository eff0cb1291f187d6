/**
 * The page's side of the layout worker: one worker for the page's life, at most one layout in it
 * at a time, and of the layouts asked for meanwhile only the latest is sent next (a burst of live
 * updates lays out once, not once per update). A request superseded before it was sent resolves
 * to undefined. A graph with the same nodes and edges as the last one laid out (only phases or
 * counts changed: most live updates) reuses its positions without asking the worker.
 */
import type { Graph } from './api.js';
import type { GraphNode, Layout } from './labels.js';
import type { LayoutReply, LayoutRequest } from './layoutWorker.js';

/** The worker bundle beside app.js (Makefile: dist/web/layout-worker.js). */
export const WORKER_URL = 'layout-worker.js';

type Waiting = { graph: Graph; shape: string; resolve: (laid: Layout | undefined) => void; reject: (error: Error) => void };

/** What the layout depends on: the nodes (names size them) and the edges. */
const shapeOf = (graph: Graph): string => `${graph.nodes.map((n) => n.id).join('\n')}\n\n${graph.edges.map((e) => `${e.from}>${e.to}`).join('\n')}`;

/** The last layout with the current graph's nodes (phases, counts) in it. */
function withNodes(laid: Layout, graph: Graph): Layout {
  const byId = new Map<string, GraphNode>(graph.nodes.map((n) => [n.id, n]));
  return { ...laid, nodes: laid.nodes.map((p) => ({ ...p, node: byId.get(p.node.id) ?? p.node })) };
}

export class LayoutClient {
  private worker: Worker | undefined;
  private busy: (Waiting & { id: number }) | undefined;
  private next: Waiting | undefined;
  private seq = 0;
  private last: { shape: string; layout: Layout } | undefined;

  /** Layouts the worker has finished, and whether one runs now: the tests wait on these. */
  done = 0;
  get running(): boolean {
    return this.busy !== undefined;
  }

  /** Starts the worker now: it loads ELK (1.5 MB) while the page fetches the graph. */
  warm(): void {
    this.start();
  }

  layout(graph: Graph): Promise<Layout | undefined> {
    const shape = shapeOf(graph);
    if (this.last?.shape === shape && this.busy === undefined) {
      this.next?.resolve(undefined);
      this.next = undefined;
      return Promise.resolve(withNodes(this.last.layout, graph));
    }
    return new Promise((resolve, reject) => {
      // The one waiting is superseded: its caller draws nothing.
      this.next?.resolve(undefined);
      this.next = { graph, shape, resolve, reject };
      this.pump();
    });
  }

  private pump(): void {
    if (this.busy !== undefined || this.next === undefined) return;
    const job = { ...this.next, id: ++this.seq };
    this.next = undefined;
    if (this.last?.shape === job.shape) return job.resolve(withNodes(this.last.layout, job.graph));
    this.busy = job;
    this.start().postMessage({ id: job.id, graph: job.graph } satisfies LayoutRequest);
  }

  private start(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = new Worker(WORKER_URL, { type: 'module', name: 'homeostat-layout' });
    worker.addEventListener('message', (event: MessageEvent<LayoutReply>) => this.finish(event.data));
    worker.addEventListener('error', (event) => {
      // A worker that cannot load (a stale build, a CSP refusal) fails the layout with why.
      const job = this.busy;
      this.busy = undefined;
      this.worker = undefined;
      job?.reject(new Error(`the layout worker ${WORKER_URL} failed: ${event.message || 'it could not be loaded'}`));
      this.pump();
    });
    this.worker = worker;
    return worker;
  }

  private finish(reply: LayoutReply): void {
    const job = this.busy;
    if (job === undefined || job.id !== reply.id) return;
    this.busy = undefined;
    this.done++;
    if ('error' in reply) job.reject(new Error(reply.error));
    else {
      this.last = { shape: job.shape, layout: reply.layout };
      // Drawn even when a newer graph waits: on a busy cluster a picture a second old beats none.
      job.resolve(reply.layout);
    }
    this.pump();
  }
}
