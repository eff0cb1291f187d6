/**
 * The read API, as the page asks it: same origin only (the Content-Security-Policy allows nothing
 * else), with the bearer token the user pasted when the server asks for one (a controller;
 * `homeostat dev` asks for none).
 */
import type { Graph } from '../../src/view/graph.js';
import type { Explanation } from '../../src/view/explain.js';
import type { PartitionSummary } from '../../src/view/partitionSummary.js';
import type { DagRunsTable } from '../../src/view/dagRunsTable.js';
import type { RecentEvent } from '../../src/server/nodeDetails.js';

export type { Graph, Explanation, PartitionSummary, DagRunsTable, RecentEvent };
export type Change = { kind: string; namespace: string; name: string; phase?: string };
export type ObjectAnswer = { object: { kind: string; metadata: unknown; spec: unknown; status?: { phase?: string; reason?: string; message?: string } }; partitions?: PartitionSummary; source: string;
  /** The node page's extras (src/server/nodeDetails.ts). */
  runs?: DagRunsTable; runsSource?: string; events?: RecentEvent[]; notes?: string[] };

/** The server wants a token (401): the page shows its token form. */
export class NeedsToken extends Error {}

const TOKEN_KEY = 'homeostat.token';
export const token = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (value: string) => sessionStorage.setItem(TOKEN_KEY, value),
};

const headers = (): HeadersInit => {
  const t = token.get();
  return t !== null && t !== '' ? { Authorization: `Bearer ${t}` } : {};
};

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: headers(), cache: 'no-store' });
  if (res.status === 401) throw new NeedsToken();
  if (!res.ok) {
    const problem = (await res.json().catch(() => ({}))) as { message?: string };
    throw new Error(`${path}: HTTP ${res.status}${problem.message !== undefined ? `: ${problem.message}` : ''}`);
  }
  return (await res.json()) as T;
}

const target = (kind: string, namespace: string, name: string) => `${encodeURIComponent(kind)}/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;

/** A POST of JSON; the server's message on a refusal. */
async function postJson<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(path, { method: 'POST', headers: { ...headers(), 'Content-Type': 'application/json' }, body: JSON.stringify(body), cache: 'no-store' });
  if (res.status === 401) throw new NeedsToken();
  const answer = (await res.json().catch(() => ({}))) as T & { message?: string };
  if (!res.ok) throw new Error(`HTTP ${res.status}${answer.message !== undefined ? `: ${answer.message}` : ''}`);
  return answer;
}

export const api = {
  /** labelSelector as kubectl -l takes it; a bad one is an Error with the server's message (HTTP 400). */
  graph: (labelSelector = '') => getJson<Graph>(labelSelector === '' ? 'api/v1/graph' : `api/v1/graph?labelSelector=${encodeURIComponent(labelSelector)}`),
  object: (kind: string, namespace: string, name: string) => getJson<ObjectAnswer>(`api/v1/objects/${target(kind, namespace, name)}`),
  explain: (kind: string, namespace: string, name: string) => getJson<Explanation & { source: string }>(`api/v1/explain/${target(kind, namespace, name)}`),
  rerun: (namespace: string, dag: string, period: string) => postJson<{ name: string }>(`api/v1/rerun/${encodeURIComponent(namespace)}/${encodeURIComponent(dag)}`, { period }),
};

/**
 * Follows /api/v1/events (Server-Sent Events) until `signal` aborts, reconnecting after a drop.
 * fetch, not EventSource: EventSource cannot send the Authorization header.
 */
export async function followEvents(onChange: (change: Change) => void, onState: (connected: boolean) => void, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    try {
      const res = await fetch('api/v1/events', { headers: headers(), cache: 'no-store', signal });
      if (!res.ok || res.body === null) throw new Error(`HTTP ${res.status}`);
      onState(true);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = event.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          if (/^event: change$/m.test(event) && data !== '') onChange(JSON.parse(data) as Change);
        }
      }
    } catch {
      if (signal.aborted) return;
    }
    onState(false);
    // The server dropped us (restart, or we were too slow): reload what we missed, then follow again.
    onChange({ kind: '*', namespace: '', name: '' });
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
