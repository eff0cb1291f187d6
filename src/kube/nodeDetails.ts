/**
 * The node page's extras from the API server (server/nodeDetails.ts), each one bounded list call:
 * - Events: core/v1 events of the namespace with a fieldSelector on involvedObject (the Events
 *   the recorder writes through events.k8s.io/v1 are the same objects); needs `list` on events.
 * - DagRuns of one Dag, for a standby's runs table: a label selector (homeostat.dev/dag, which
 *   the controller puts on every DagRun, a user's too) and `limit`.
 * A failed call is 'unavailable' (the page says so), never an error of the whole answer.
 */
import type { CoreV1Event } from '@kubernetes/client-node';
import type { DagRun } from '../api/types.js';
import { DAG_LABEL } from '../api/wellKnown.js';
import type { Logger } from '../runtime/log.js';
import { MAX_EVENTS_SHOWN, type NodeDetailsSource, type RecentEvent } from '../server/nodeDetails.js';
import { describeError, type KubeClients, resourceOf } from './client.js';
import { labelValue } from './labels.js';

/** One object rarely has more (the recorder folds repeats and limits each object's rate; Events expire after an hour). */
const LIST_LIMIT = 500;

/** Open pages reload a node on every change: one list per object per this long, whatever their number. */
const EVENTS_TTL_MS = 2_000;

export function kubeNodeDetails(clients: KubeClients, log: Logger, now: () => number = Date.now): NodeDetailsSource {
  const recent = new Map<string, { at: number; events: Promise<RecentEvent[] | 'unavailable'> }>();
  return {
    events(ref) {
      const key = `${ref.kind}/${ref.namespace}/${ref.name}`;
      const hit = recent.get(key);
      if (hit !== undefined && now() - hit.at < EVENTS_TTL_MS) return hit.events;
      const events = listEvents(ref);
      recent.delete(key);
      recent.set(key, { at: now(), events });
      // Bounded: the oldest entries go first (Maps iterate in insertion order).
      for (const oldest of recent.keys()) {
        if (recent.size <= 1_000) break;
        recent.delete(oldest);
      }
      return events;
    },
    async dagRuns(namespace, dag) {
      try {
        const list = (await clients.custom.listNamespacedCustomObject({ ...resourceOf('dagruns', namespace), labelSelector: `${DAG_LABEL}=${labelValue(dag)}`, limit: LIST_LIMIT })) as { items: DagRun[] };
        return list.items;
      } catch (error) {
        log.debug({ err: describeError(error), namespace, dag }, 'listing the DagRuns of a Dag failed');
        return 'unavailable';
      }
    },
  };

  async function listEvents(ref: { kind: string; namespace: string; name: string }): Promise<RecentEvent[] | 'unavailable'> {
    try {
      const list = await clients.core.listNamespacedEvent({ namespace: ref.namespace, fieldSelector: `involvedObject.kind=${ref.kind},involvedObject.name=${ref.name}`, limit: LIST_LIMIT });
      return recentEvents(list.items);
    } catch (error) {
      log.debug({ err: describeError(error), ...ref }, 'listing the Events of an object failed');
      return 'unavailable';
    }
  }
}

/** Newest first, at most MAX_EVENTS_SHOWN, as `kubectl describe` shows them. */
export function recentEvents(items: readonly CoreV1Event[]): RecentEvent[] {
  return items
    .map((e) => ({
      type: e.type ?? 'Normal',
      reason: e.reason ?? '',
      message: e.message ?? '',
      time: isoOf(e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata.creationTimestamp),
      count: e.series?.count ?? e.count ?? 1,
    }))
    .sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0))
    .slice(0, MAX_EVENTS_SHOWN);
}

const isoOf = (t: Date | string | undefined): string => (t === undefined ? '' : typeof t === 'string' ? t : t.toISOString());
