// Fakes for the Kubernetes adapter's unit tests: a clock driven by the test, and a scriptable
// informer core standing in for client-node's ListWatch.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { InformerCore, ObjectEvent } from '../../src/kube/resilientInformer.js';
import type { Clock } from '../../src/runtime/ports.js';

/** A clock whose time moves only when the test says so; due timers fire in time order. */
export class FakeClock implements Clock {
  private timers: { at: number; fire: () => void; id: number }[] = [];
  private seq = 0;

  constructor(private time = 1_000_000) {}

  now(): number {
    return this.time;
  }

  setTimer(at: number, fire: () => void): () => void {
    const id = ++this.seq;
    this.timers.push({ at, fire, id });
    return () => void (this.timers = this.timers.filter((t) => t.id !== id));
  }

  /** Moves time forward, firing due timers (and the promise callbacks they start) on the way. */
  async advance(ms: number): Promise<void> {
    const until = this.time + ms;
    for (;;) {
      await flush();
      const next = this.timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (next === undefined) break;
      this.time = Math.max(this.time, next.at);
      this.timers = this.timers.filter((t) => t !== next);
      next.fire();
    }
    this.time = until;
    await flush();
  }

  get pending(): number {
    return this.timers.length;
  }
}

/** Lets promise callbacks run. */
export const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

/**
 * A ListWatch stand-in. `server` is the API server's truth; start() "lists" it (unless told to
 * fail) and the test drives the watch with event(), fail() and bookmark().
 */
export class FakeCore<T extends KubernetesObject> implements InformerCore<T> {
  readonly callbacks: Record<ObjectEvent | 'error', ((x: never) => void)[]> = { add: [], update: [], delete: [], error: [] };
  readonly cache = new Map<string, T>();
  starts = 0;
  stopped = false;
  /** The next starts fail with these errors, in order. */
  failStarts: unknown[] = [];

  constructor(private readonly server: Map<string, T>, readonly activity: () => void) {}

  on(verb: ObjectEvent | 'error', callback: (x: never) => void): void {
    this.callbacks[verb].push(callback);
  }

  async start(): Promise<void> {
    this.starts++;
    this.stopped = false;
    const failure = this.failStarts.shift();
    if (failure !== undefined) {
      this.emit('error', failure);
      return;
    }
    // A real ListWatch lists only when it has no resourceVersion; the fake always does, as after 410.
    for (const [key, old] of [...this.cache]) {
      if (!this.server.has(key)) {
        this.cache.delete(key);
        this.emit('delete', old);
      }
    }
    for (const [key, object] of this.server) {
      const old = this.cache.get(key);
      this.cache.set(key, object);
      if (old === undefined) this.emit('add', object);
      else if (old.metadata?.resourceVersion !== object.metadata?.resourceVersion) this.emit('update', object);
    }
    this.activity();
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  /** A watch event for a change the server made. */
  event(type: 'add' | 'update' | 'delete', object: T): void {
    const key = `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
    if (type === 'delete') this.cache.delete(key);
    else this.cache.set(key, object);
    this.emit(type, object);
  }

  /** The watch ends with an error: a ListWatch stops for good after this. */
  fail(error: unknown): void {
    this.emit('error', error);
  }

  private emit(verb: ObjectEvent | 'error', x: unknown): void {
    for (const cb of this.callbacks[verb]) cb(x as never);
  }
}
