/**
 * One watched resource that stays watched. client-node's ListWatch stops for good on most errors
 * (anything but 410 Gone and its own inactivity timeout) and can in principle go silent; this
 * wrapper restarts it after an error with exponential backoff, relists when nothing (no event, no
 * bookmark, no re-established watch) arrived for a while, and relists periodically as a safety
 * net. It keeps its own copy of the objects, so a relist through a fresh ListWatch reports only
 * what really changed, deletions included.
 */
import { type Informer, type KubeConfig, type KubernetesListObject, type KubernetesObject, ListWatch, type ObjectCache, Watch } from '@kubernetes/client-node';
import type { Logger } from '../runtime/log.js';
import { type Clock, systemClock } from '../runtime/ports.js';
import { describeError } from './client.js';
import { shareUnchanged } from './shareUnchanged.js';

export type ObjectEvent = 'add' | 'update' | 'delete';

/** The part of client-node's informer this wrapper drives; tests put a fake in its place. */
export interface InformerCore<T> {
  on(verb: ObjectEvent, callback: (object: T) => void): void;
  on(verb: 'error', callback: (error?: unknown) => void): void;
  /** Lists (unless it can resume from a resourceVersion) and watches; resolves once the watch is open or failed. */
  start(): Promise<void>;
  stop(): Promise<void>;
  list(): readonly T[];
}

/** Builds a fresh core; `activity` is called whenever the server shows it is alive (a bookmark, a watch opened). */
export type InformerFactory<T> = (activity: () => void) => InformerCore<T>;

/** One page of a list: at most `limit` objects, from where `_continue` says the previous page ended. */
export interface ListPage {
  limit: number;
  _continue?: string;
}

export interface KubeInformerSource<T extends KubernetesObject> {
  config: KubeConfig;
  /** The watch path, e.g. /apis/batch/v1/namespaces/NS/jobs or /apis/batch/v1/jobs. */
  path: string;
  /** Lists the same objects (with the same label selector), one page at a time. */
  list: (page: ListPage) => Promise<KubernetesListObject<T>>;
  labelSelector?: string;
  /**
   * What is kept of each object, applied on receipt (list pages and watch events) before any cache
   * holds it: see leanObjects.ts. Defaults to the object as received.
   */
  transform?: (object: T) => T;
  /** Objects per list page. Defaults to 500, as client-go's informers. */
  pageSize?: number;
}

/** Objects per page of an informer's list: a 10,000-object list is never one response in memory. */
export const DEFAULT_PAGE_SIZE = 500;

/**
 * Every page of a list, each transformed as it arrives, so only one page of full objects is in
 * memory at a time. The resourceVersion is the first page's: every page of a continued list
 * comes from the same snapshot, and the watch resumes from there. An expired continue token
 * (410) fails the list, and the informer lists again from the start.
 */
export async function pagedList<T extends KubernetesObject>(list: (page: ListPage) => Promise<KubernetesListObject<T>>, transform: ((object: T) => T) | undefined, pageSize = DEFAULT_PAGE_SIZE): Promise<KubernetesListObject<T>> {
  const items: T[] = [];
  let first: KubernetesListObject<T> | undefined;
  let token: string | undefined;
  do {
    const page = await list({ limit: pageSize, ...(token !== undefined ? { _continue: token } : {}) });
    first ??= page;
    for (const item of page.items) items.push(transform === undefined ? item : transform(item));
    // Typed lists (Jobs, Pods) say `_continue`; custom objects come as plain JSON: `continue`.
    const meta = page.metadata as { _continue?: string; continue?: string } | undefined;
    const next = meta?._continue ?? meta?.continue;
    token = next === undefined || next === '' ? undefined : next;
  } while (token !== undefined);
  const { _continue: _a, continue: _b, ...metadata } = (first.metadata ?? {}) as Record<string, unknown>;
  return { ...first, metadata, items } as KubernetesListObject<T>;
}

/**
 * The real core: a ListWatch whose watches ask for bookmarks and report activity (events,
 * bookmarks, a watch the server accepted), so a quiet but healthy watch is not taken for a dead one.
 */
export function kubeInformerFactory<T extends KubernetesObject>(source: KubeInformerSource<T>): InformerFactory<T> {
  return (activity) => {
    const list = () => pagedList(source.list, source.transform, source.pageSize);
    const informer = new ListWatch<T>(source.path, new ActivityWatch(source.config, activity, source.transform as ((object: unknown) => unknown) | undefined), list, false, source.labelSelector);
    return {
      on: (verb: ObjectEvent | 'error', callback: (x: never) => void) => informer.on(verb as 'add', callback as (o: T) => void),
      start: () => informer.start(),
      stop: () => informer.stop(),
      list: () => informer.list(),
    };
  };
}

/**
 * One core over several cores, e.g. the same resource in each watched namespace: events from any,
 * the objects of all. An error from any one is the composite's error; a restart then starts only
 * the cores that failed (or never started): starting a ListWatch that is running aborts its watch,
 * which would fail it and restart the others, for ever.
 */
export function combinedFactory<T>(factories: readonly InformerFactory<T>[]): InformerFactory<T> {
  if (factories.length === 1) return factories[0] as InformerFactory<T>;
  return (activity) => {
    const cores = factories.map((factory) => ({ core: factory(activity), running: false }));
    const errorListeners: ((error?: unknown) => void)[] = [];
    for (const entry of cores) {
      entry.core.on('error', (error?: unknown) => {
        entry.running = false;
        for (const listener of errorListeners) listener(error);
      });
    }
    return {
      on: (verb: ObjectEvent | 'error', callback: (x: never) => void) => {
        if (verb === 'error') errorListeners.push(callback as (error?: unknown) => void);
        else for (const { core } of cores) core.on(verb, callback as (o: T) => void);
      },
      start: async () => {
        const idle = cores.filter((entry) => !entry.running);
        for (const entry of idle) entry.running = true;
        await Promise.all(idle.map((entry) => entry.core.start()));
      },
      stop: async () => {
        for (const entry of cores) entry.running = false;
        await Promise.all(cores.map(({ core }) => core.stop()));
      },
      list: () => cores.flatMap(({ core }) => core.list()),
    };
  };
}

/** Watch events that carry an object (not ERROR's Status, not a BOOKMARK): what the transform applies to. */
const OBJECT_PHASES = new Set(['ADDED', 'MODIFIED', 'DELETED']);

class ActivityWatch extends Watch {
  constructor(config: KubeConfig, private readonly activity: () => void, private readonly transform?: (object: unknown) => unknown) {
    super(config);
  }

  override async watch(path: string, queryParams: Record<string, string | number | boolean | undefined>, callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void, done: (err: unknown) => void): Promise<AbortController> {
    let ended = false;
    const controller = await super.watch(
      path,
      { ...queryParams, allowWatchBookmarks: true },
      (phase, object, raw) => {
        this.activity();
        // The raw event is not passed on: it holds the whole object, which is what the transform drops.
        callback(phase, this.transform !== undefined && OBJECT_PHASES.has(phase) ? this.transform(object) : object, this.transform === undefined ? raw : undefined);
      },
      (error) => {
        ended = true;
        done(error);
      },
    );
    // Resolved without ending: the server answered 200 and the stream is open.
    if (!ended) this.activity();
    return controller;
  }
}

export interface ResilientInformerOptions<T> {
  /** The resource, for logs and metrics: its plural, e.g. `expectations`. */
  resource: string;
  factory: InformerFactory<T>;
  log: Logger;
  clock?: Clock;
  /** The first wait before a restart after an error, doubled per consecutive failure. Defaults to 1 s. */
  restartInitialMs?: number;
  /** The longest wait before a restart. Defaults to 30 s. */
  restartMaxMs?: number;
  /** Relist when nothing was heard from the server for this long. Defaults to 5 min. */
  watchdogMs?: number;
  /** Relist this often anyway, as a safety net. Defaults to 1 h. */
  resyncMs?: number;
  /** Called on every restart (after an error or by the watchdog), for metrics. */
  onRestart?: () => void;
}

/** What health checks and metrics read of an informer. */
export interface WatchState {
  readonly resource: string;
  readonly synced: boolean;
  readonly lastEventAt: number | undefined;
  readonly restarts: number;
}

/**
 * Called with the object; an update also with the version it replaces, so a listener can tell what
 * changed without keeping its own record of every object.
 */
export type InformerListener<T> = (object: T, previous?: T) => void;

const namespaceOf = (o: KubernetesObject): string => o.metadata?.namespace ?? '';
const nameOf = (o: KubernetesObject): string => o.metadata?.name ?? '';

/**
 * A resource watched for as long as the process runs. Listeners are called synchronously from
 * the watch: they must only enqueue (or mark something dirty), never do I/O or await.
 */
export class ResilientInformer<T extends KubernetesObject> {
  /** Epoch ms of the latest sign of life from the server; undefined until the first. */
  lastEventAt: number | undefined;
  /** Restarts after an error or a silent watch. */
  restarts = 0;
  /** Relists through a fresh ListWatch (watchdog and periodic). */
  relists = 0;
  /**
   * The objects by namespace, then name: keyed by the objects' own strings (the namespace interned
   * by leanObjects), not a `namespace/name` string made per object.
   */
  private readonly objects = new Map<string, Map<string, T>>();
  private readonly listeners: Record<ObjectEvent, InformerListener<T>[]> = { add: [], update: [], delete: [] };
  private readonly clock: Clock;
  private core: InformerCore<T> | undefined;
  /** Bumped for every core; events of an older core are ignored. */
  private generation = 0;
  private failures = 0;
  private failedThisStart = false;
  /** A fresh core has not completed its first list: deletions are found once it has. */
  private reconcilePending = false;
  private syncedFlag = false;
  private syncedResolve: () => void = () => undefined;
  private readonly syncedPromise: Promise<void>;
  private cancelRestart: (() => void) | undefined;
  private cancelWatchdog: (() => void) | undefined;
  private cancelResync: (() => void) | undefined;
  private stopped = true;
  /** When the current core was created: the watchdog gives a fresh core a full period. */
  private freshAt = 0;

  constructor(private readonly options: ResilientInformerOptions<T>) {
    this.clock = options.clock ?? systemClock;
    this.syncedPromise = new Promise((resolve) => (this.syncedResolve = resolve));
  }

  get resource(): string {
    return this.options.resource;
  }

  /** The first list is in. */
  get synced(): boolean {
    return this.syncedFlag;
  }

  /** Resolves once the first list is in (never rejects: errors are retried). */
  whenSynced(): Promise<void> {
    return this.syncedPromise;
  }

  on(event: ObjectEvent, listener: InformerListener<T>): void {
    this.listeners[event].push(listener);
  }

  off(event: ObjectEvent, listener: InformerListener<T>): void {
    this.listeners[event] = this.listeners[event].filter((l) => l !== listener);
  }

  /** The objects now, of one namespace or of all. */
  list(namespace?: string): T[] {
    if (namespace !== undefined) return [...(this.objects.get(namespace)?.values() ?? [])];
    const all: T[] = [];
    for (const byName of this.objects.values()) for (const object of byName.values()) all.push(object);
    return all;
  }

  get(namespace: string, name: string): T | undefined {
    return this.objects.get(namespace)?.get(name);
  }

  /** Starts listing and watching; returns at once (see whenSynced). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.fresh();
    this.armWatchdog();
    this.armResync();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelRestart?.();
    this.cancelWatchdog?.();
    this.cancelResync?.();
    const core = this.core;
    this.core = undefined;
    this.generation++;
    await core?.stop().catch(() => undefined);
  }

  /** Replaces the core with a fresh one and lists again. */
  relist(reason: string): void {
    if (this.stopped) return;
    this.relists++;
    this.options.log.info({ resource: this.resource, reason }, 'relisting');
    this.cancelRestart?.();
    this.cancelRestart = undefined;
    this.fresh();
  }

  private fresh(): void {
    const old = this.core;
    if (old !== undefined) void old.stop().catch(() => undefined);
    const generation = ++this.generation;
    this.freshAt = this.clock.now();
    const live = () => generation === this.generation && !this.stopped;
    const core = this.options.factory(() => live() && this.touch());
    core.on('add', (o) => live() && this.upsert(o));
    core.on('update', (o) => live() && this.upsert(o));
    core.on('delete', (o) => live() && this.remove(namespaceOf(o), nameOf(o)));
    core.on('error', (error) => live() && this.failed(error));
    this.core = core;
    this.reconcilePending = true;
    this.run(core, generation);
  }

  private run(core: InformerCore<T>, generation: number): void {
    this.failedThisStart = false;
    core.start().then(
      () => {
        if (generation !== this.generation || this.stopped || this.failedThisStart) return;
        this.started(core);
      },
      (error: unknown) => generation === this.generation && !this.stopped && this.failed(error),
    );
  }

  /** A start went through: the list is in and the watch is open. */
  private started(core: InformerCore<T>): void {
    this.failures = 0;
    this.touch();
    if (this.reconcilePending) {
      this.reconcilePending = false;
      const present = new Map<string, Set<string>>();
      for (const o of core.list()) {
        const namespace = namespaceOf(o);
        let names = present.get(namespace);
        if (names === undefined) present.set(namespace, (names = new Set()));
        names.add(nameOf(o));
      }
      for (const [namespace, byName] of [...this.objects]) for (const name of [...byName.keys()]) if (present.get(namespace)?.has(name) !== true) this.remove(namespace, name);
    }
    if (!this.syncedFlag) {
      this.syncedFlag = true;
      this.syncedResolve();
    }
  }

  private failed(error: unknown): void {
    this.failedThisStart = true;
    if (this.cancelRestart !== undefined) return; // a restart is already due
    this.failures++;
    const initial = this.options.restartInitialMs ?? 1_000;
    const delay = Math.min(initial * 2 ** (this.failures - 1), this.options.restartMaxMs ?? 30_000);
    this.options.log.warn({ resource: this.resource, error: describeError(error), retryInMs: delay }, 'the watch stopped; restarting it');
    this.cancelRestart = this.clock.setTimer(this.clock.now() + delay, () => {
      this.cancelRestart = undefined;
      if (this.stopped || this.core === undefined) return;
      this.restarts++;
      this.options.onRestart?.();
      this.run(this.core, this.generation);
    });
  }

  private upsert(object: T): void {
    this.touch();
    const namespace = namespaceOf(object);
    let byName = this.objects.get(namespace);
    if (byName === undefined) this.objects.set(namespace, (byName = new Map()));
    const name = nameOf(object);
    const old = byName.get(name);
    if (old !== undefined) shareWithPrevious(object, old);
    byName.set(name, object);
    if (old === undefined) this.emit('add', object);
    else if (old.metadata?.resourceVersion !== object.metadata?.resourceVersion || object.metadata?.resourceVersion === undefined) this.emit('update', object, old);
  }

  private remove(namespace: string, name: string): void {
    this.touch();
    const byName = this.objects.get(namespace);
    const old = byName?.get(name);
    if (byName === undefined || old === undefined) return;
    byName.delete(name);
    if (byName.size === 0) this.objects.delete(namespace);
    this.emit('delete', old);
  }

  private emit(event: ObjectEvent, object: T, previous?: T): void {
    for (const listener of this.listeners[event]) {
      try {
        listener(object, previous);
      } catch (error) {
        this.options.log.error({ resource: this.resource, err: error }, 'an informer listener threw');
      }
    }
  }

  private touch(): void {
    this.lastEventAt = this.clock.now();
  }

  private armWatchdog(): void {
    const limit = this.options.watchdogMs ?? 300_000;
    const since = Math.max(this.lastEventAt ?? 0, this.freshAt);
    // Never sooner than a second from now: while a restart backs off, the silence goes on.
    this.cancelWatchdog = this.clock.setTimer(Math.max(since + limit, this.clock.now() + Math.min(limit, 1_000)), () => {
      if (this.stopped) return;
      const quietFor = this.clock.now() - Math.max(this.lastEventAt ?? 0, this.freshAt);
      // While a restart is due, the backoff decides; a relist now would skip it.
      if (quietFor >= limit && this.cancelRestart === undefined) {
        this.restarts++;
        this.options.onRestart?.();
        this.relist(`nothing heard for ${Math.round(quietFor / 1000)} s`);
      }
      this.armWatchdog();
    });
  }

  private armResync(): void {
    this.cancelResync = this.clock.setTimer(this.clock.now() + (this.options.resyncMs ?? 3_600_000), () => {
      if (this.stopped) return;
      this.relist('periodic resync');
      this.armResync();
    });
  }
}

/**
 * A new version of an object takes the parts the previous one had already (a status write leaves
 * the spec and most of the status as they were): the versions, and what holds on to an older one
 * (the WorldCache's validated copy, kept per generation), then share one tree instead of holding
 * a fresh copy per watch event.
 */
function shareWithPrevious(object: KubernetesObject, previous: KubernetesObject): void {
  const next = object as Record<string, unknown>;
  const before = previous as Record<string, unknown>;
  for (const part of ['metadata', 'spec', 'status']) if (next[part] !== undefined && before[part] !== undefined) next[part] = shareUnchanged(next[part], before[part]);
}

/** What client-node's informers offer their users (events and cache), which the Job runners take. */
export type WatchedObjects<T extends KubernetesObject> = Pick<Informer<T>, 'on' | 'off'> & Pick<ObjectCache<T>, 'get' | 'list'>;

/**
 * A resilient informer in the shape of client-node's informer. `error` and `connect` listeners
 * are never called: the informer restarts itself.
 */
export function watchedObjects<T extends KubernetesObject>(informer: ResilientInformer<T>): WatchedObjects<T> {
  const verbs = (verb: string): ObjectEvent[] => (verb === 'change' ? ['add', 'update', 'delete'] : verb === 'add' || verb === 'update' || verb === 'delete' ? [verb] : []);
  return {
    on: ((verb: string, callback: (object: T) => void) => verbs(verb).forEach((v) => informer.on(v, callback))) as WatchedObjects<T>['on'],
    off: ((verb: string, callback: (object: T) => void) => verbs(verb).forEach((v) => informer.off(v, callback))) as WatchedObjects<T>['off'],
    get: (name, namespace) => informer.get(namespace ?? '', name),
    list: (namespace) => informer.list(namespace),
  };
}
