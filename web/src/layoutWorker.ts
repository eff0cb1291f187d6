/**
 * The layout worker (bundled to layout-worker.js): ELK runs here, so the page's thread stays free
 * for the keyboard, the search box and the live updates while a big graph is laid out.
 * Protocol: `{ id, graph }` in; `{ id, layout }` or `{ id, error }` out.
 */
import type { Graph } from './api.js';
import { layout } from './layout.js';

export type LayoutRequest = { id: number; graph: Graph };
export type LayoutReply = { id: number; layout: Awaited<ReturnType<typeof layout>> } | { id: number; error: string };

// The DOM lib types `self` as a Window; in a worker it is the worker's global scope.
const scope = globalThis as unknown as { postMessage(reply: LayoutReply): void; addEventListener(type: 'message', listener: (event: MessageEvent<LayoutRequest>) => void): void };

scope.addEventListener('message', (event) => {
  const { id, graph } = event.data;
  layout(graph).then(
    (laid) => scope.postMessage({ id, layout: laid }),
    (error: unknown) => scope.postMessage({ id, error: `laying out ${graph.nodes.length} nodes failed: ${error instanceof Error ? error.message : String(error)}` }),
  );
});
