/**
 * Kubernetes Events (events.k8s.io/v1) on the objects they are about, so `kubectl describe exp X`
 * and `kubectl events --for exp/X` tell the story. Best effort: recording never throws and never
 * blocks; a failed write is logged at debug level and forgotten.
 *
 * Repeats are folded as client-go folds them: the same object, type, reason and note within
 * `windowMs` update the first Event's series (count, lastObservedTime) instead of creating
 * another; and each object may burst `burst` Events, then one per `refillMs` (spam filter).
 */
import type { EventsV1Event } from '@kubernetes/client-node';
import { API_VERSION } from '../api/schema/index.js';
import type { EngineEvent } from '../engine/index.js';
import type { Logger } from '../runtime/log.js';
import { type Clock, type ObjectRef, systemClock } from '../runtime/ports.js';
import { describeError, type KubeClients, mergePatch } from './client.js';

/** Who reports: the `reportingController` of every Event. */
export const REPORTING_CONTROLLER = 'homeostat.dev/controller';
/** The API server's limit on an Event's note, in bytes. */
const NOTE_LIMIT = 1024;

/** The events API, narrowed (a fake stands in for it in unit tests). */
export interface EventsApi {
  create(namespace: string, body: EventsV1Event): Promise<{ metadata?: { name?: string } }>;
  patch(namespace: string, name: string, body: Record<string, unknown>): Promise<unknown>;
}

export function kubeEventsApi(clients: KubeClients): EventsApi {
  return {
    create: (namespace, body) => clients.events.createNamespacedEvent({ namespace, body }),
    patch: (namespace, name, body) => clients.events.patchNamespacedEvent({ namespace, name, body }, mergePatch()),
  };
}

export interface EventRecorderOptions {
  api: EventsApi;
  log: Logger;
  /** The reporting instance: this controller's identity (its Pod name). At most 128 characters. */
  instance: string;
  /** The uid of the object an Event is about, when known (kubectl matches Events by it). */
  uidOf?: (ref: ObjectRef) => string | undefined;
  clock?: Clock;
  /** Repeats within this window are folded into one Event. Defaults to 10 min. */
  windowMs?: number;
  /** Events one object may get at once. Defaults to 25. */
  burst?: number;
  /** After the burst, one more per this long. Defaults to 10 s. */
  refillMs?: number;
}

interface Series {
  namespace: string;
  /** The Event's name, once created. */
  name: Promise<string | undefined>;
  count: number;
  sentCount: number;
  firstAt: number;
  lastAt: number;
  patching: boolean;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** A time as metav1.MicroTime wants it: RFC 3339 with exactly six fraction digits. */
export const microTime = (ms: number): string => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

/** A note cut to the API server's limit in bytes, without splitting a character. */
export function cutNote(note: string): string {
  if (Buffer.byteLength(note) <= NOTE_LIMIT) return note;
  let out = note.slice(0, NOTE_LIMIT - 1);
  while (Buffer.byteLength(`${out}…`) > NOTE_LIMIT) out = out.slice(0, -1);
  return `${out}…`;
}

export class EventRecorder {
  /** Events dropped by the spam filter. */
  dropped = 0;
  private readonly clock: Clock;
  private readonly series = new Map<string, Series>();
  private readonly buckets = new Map<string, Bucket>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private seq = 0;

  constructor(private readonly options: EventRecorderOptions) {
    this.clock = options.clock ?? systemClock;
  }

  /** An engine event, on its owner; the partition (if any) leads the note. */
  recordEvent(event: EngineEvent): void {
    this.record({ kind: event.owner.kind, namespace: event.owner.namespace, name: event.owner.name }, event.type, event.reason, event.partition !== undefined ? `${event.partition}: ${event.message}` : event.message);
  }

  /** Records an Event about `regarding`. Never throws. */
  record(regarding: ObjectRef, type: 'Normal' | 'Warning', reason: string, message: string): void {
    try {
      this.recordUnsafe(regarding, type, reason, cutNote(message));
    } catch (error) {
      this.options.log.debug({ err: error }, 'recording an event failed');
    }
  }

  /** Resolves once every write started so far has ended (shutdown, tests). */
  async flush(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private recordUnsafe(regarding: ObjectRef, type: 'Normal' | 'Warning', reason: string, note: string): void {
    const now = this.clock.now();
    this.sweep(now);
    const objectKey = `${regarding.kind}/${regarding.namespace}/${regarding.name}`;
    const key = `${objectKey}\n${type}\n${reason}\n${note}`;
    const known = this.series.get(key);
    if (known !== undefined && now - known.firstAt < (this.options.windowMs ?? 600_000)) {
      known.count++;
      known.lastAt = now;
      this.patchSeries(known);
      return;
    }
    if (!this.take(objectKey, now)) {
      this.dropped++;
      return;
    }
    const body: EventsV1Event = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: `${regarding.name.slice(0, 200)}.${now.toString(16)}${(this.seq++ % 4096).toString(16).padStart(3, '0')}`, namespace: regarding.namespace },
      eventTime: microTime(now) as unknown as Date,
      reportingController: REPORTING_CONTROLLER,
      reportingInstance: this.options.instance.slice(0, 128),
      action: 'Reconcile',
      reason: reason.slice(0, 128),
      note,
      type,
      regarding: { apiVersion: API_VERSION, kind: regarding.kind, namespace: regarding.namespace, name: regarding.name, ...(this.uid(regarding) !== undefined ? { uid: this.uid(regarding) } : {}) },
    };
    const created = this.track(this.options.api.create(regarding.namespace, body)).then(
      (e) => e.metadata?.name,
      (error: unknown) => {
        this.options.log.debug({ object: objectKey, reason, error: describeError(error) }, 'creating an event failed');
        return undefined;
      },
    );
    this.series.set(key, { namespace: regarding.namespace, name: created, count: 1, sentCount: 1, firstAt: now, lastAt: now, patching: false });
  }

  /** Sends the latest count of a series; one patch at a time per series. */
  private patchSeries(s: Series): void {
    if (s.patching) return;
    s.patching = true;
    const send = async (): Promise<void> => {
      const name = await s.name;
      while (name !== undefined && s.sentCount < s.count) {
        const count = s.count;
        try {
          await this.options.api.patch(s.namespace, name, { series: { count, lastObservedTime: microTime(s.lastAt) } });
        } catch (error) {
          this.options.log.debug({ event: name, error: describeError(error) }, 'updating an event series failed');
          return;
        }
        s.sentCount = count;
      }
    };
    void this.track(send().finally(() => (s.patching = false)));
  }

  private uid(ref: ObjectRef): string | undefined {
    return this.options.uidOf?.(ref);
  }

  /** The spam filter: a token bucket per object. */
  private take(objectKey: string, now: number): boolean {
    const burst = this.options.burst ?? 25;
    const refill = this.options.refillMs ?? 10_000;
    const b = this.buckets.get(objectKey) ?? { tokens: burst, at: now };
    const earned = Math.floor((now - b.at) / refill);
    if (earned > 0) {
      b.tokens = Math.min(burst, b.tokens + earned);
      b.at = b.tokens === burst ? now : b.at + earned * refill;
    }
    this.buckets.set(objectKey, b);
    if (b.tokens <= 0) return false;
    b.tokens--;
    return true;
  }

  /** Forgets series older than the window and full buckets, so memory stays bounded. */
  private sweep(now: number): void {
    if (this.series.size + this.buckets.size < 2048) return;
    const window = this.options.windowMs ?? 600_000;
    for (const [k, s] of this.series) if (now - s.firstAt >= window && !s.patching) this.series.delete(k);
    const burst = this.options.burst ?? 25;
    const refill = this.options.refillMs ?? 10_000;
    for (const [k, b] of this.buckets) if (b.tokens + Math.floor((now - b.at) / refill) >= burst) this.buckets.delete(k);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p)).catch(() => undefined);
    return p;
  }
}
