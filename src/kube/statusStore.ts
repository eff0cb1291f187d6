/**
 * The cluster's StateStore and StatusWriter: everything the controller must not lose lives in the
 * status subresources of the objects it concerns (DESIGN: one source of truth, the API).
 *
 * - An owner's leases and bounded retry records are written into its own status before any of
 *   its actions starts (DESIGN rule 2): `save` resolves only once every owner whose leases or
 *   retries changed has been written.
 * - `writeStatus` merges the composed summary (phase, counts, conditions) with them; an owner's
 *   status is always written whole (PUT /status), guarded by the resourceVersion last seen, and
 *   a 409 Conflict is answered by reading the object again and retrying. The API server answers
 *   a write with the object's metadata only (PartialObjectMetadata): its new resourceVersion is
 *   all a write keeps, and the whole object would be encoded, sent and parsed for nothing.
 * - Writes of one object are serialized, and a write that would not change anything is skipped.
 * - A Dag's status also keeps its task successes (bounded: the engine folds old ones), its fold
 *   and its pending re-run requests, written with its leases; the runs are DagRuns.
 * - `load` rebuilds the snapshot from the statuses (and the runs from DagRuns).
 */
import { createHash } from 'node:crypto';
import { type KubernetesListObject, setHeaderOptions } from '@kubernetes/client-node';
import type { Condition } from '../api/types.js';
import { API_VERSION, GROUP, VERSION } from '../api/schema/index.js';
import type { EngineEvent, EngineSnapshot, OwnerRef, RunRecord } from '../engine/index.js';
import type { Logger } from '../runtime/log.js';
import type { ObjectRef, StateStore, StatusWriter } from '../runtime/ports.js';
import { describeError, type KubeClients, mergePatch, plainHttp, resourceOf, statusOf } from './client.js';
import { labelValue } from './labels.js';
import { emptyOwnerState, type OwnerState, ownerStates, snapshotFromObjects, stableJson, stateFields, stateFromStatus, withoutState } from './leaseRecords.js';
import { DEFAULT_PAGE_SIZE, type ListPage, pagedList } from './resilientInformer.js';
import { DAG_LABEL, KIND_PLURALS, MANAGED_BY_LABEL, MANAGER, type RawObject } from './worldCache.js';

// ---- the API, narrowed to what this file does (a fake stands in for it in unit tests) --------

export interface StatusApi {
  get(ref: ObjectRef): Promise<RawObject>;
  list(kind: ObjectRef['kind'], namespace: string | undefined): Promise<RawObject[]>;
  /**
   * PUT /status: the body's status replaces the stored one; metadata.resourceVersion guards it.
   * Resolves to the written object's metadata (the status may be left out).
   */
  replaceStatus(ref: ObjectRef, body: RawObject): Promise<RawObject>;
  create(ref: ObjectRef, body: RawObject): Promise<RawObject>;
  delete(ref: ObjectRef): Promise<void>;
  /** Adds labels (a JSON merge patch of metadata.labels). */
  addLabels(ref: ObjectRef, labels: Record<string, string>): Promise<void>;
}

const FIELD_MANAGER = 'homeostat';
/**
 * A status write's options: the answer as the object's metadata only (served by every supported
 * API server), sent without fetch()'s overhead (plainHttp): the controller's most frequent request.
 */
const statusWrite = () => ({ ...setHeaderOptions('Accept', 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1'), httpApi: plainHttp });
// join, not a template: the key is kept (one per object), and a template gives a rope of five strings.
const refKey = (o: ObjectRef): string => [o.kind, o.namespace, o.name].join('/');

/** `pageSize`: objects per page of `list` (the informers' default). */
export function kubeStatusApi(clients: KubeClients, pageSize = DEFAULT_PAGE_SIZE): StatusApi {
  const { custom } = clients;
  const at = (ref: ObjectRef) => ({ ...resourceOf(KIND_PLURALS[ref.kind], ref.namespace), name: ref.name });
  return {
    get: async (ref) => (await custom.getNamespacedCustomObject(at(ref))) as RawObject,
    async list(kind, namespace) {
      const plural = KIND_PLURALS[kind];
      // In pages, each cut to what `load` reads as it arrives: one unpaged list of 10,000
      // Expectations is a ~40 MB response held whole, and the process keeps that memory long after.
      const page = (p: ListPage) => (namespace !== undefined ? custom.listNamespacedCustomObject({ ...resourceOf(plural, namespace), ...p }) : custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural, ...p })) as Promise<KubernetesListObject<RawObject>>;
      return (await pagedList(page, loadedFields, pageSize)).items;
    },
    replaceStatus: async (ref, body) => (await custom.replaceNamespacedCustomObjectStatus({ ...at(ref), body, fieldManager: FIELD_MANAGER }, statusWrite())) as RawObject,
    create: async (ref, body) => (await custom.createNamespacedCustomObject({ ...resourceOf(KIND_PLURALS[ref.kind], ref.namespace), body, fieldManager: FIELD_MANAGER })) as RawObject,
    delete: async (ref) => void (await custom.deleteNamespacedCustomObject({ ...at(ref), propagationPolicy: 'Background' })),
    addLabels: async (ref, labels) => void (await custom.patchNamespacedCustomObject({ ...at(ref), body: { metadata: { labels } }, fieldManager: FIELD_MANAGER }, mergePatch())),
  };
}

// ---- the store ---------------------------------------------------------------------------

export interface StatusStoreOptions {
  api: StatusApi;
  log: Logger;
  /** Where events go (the EventRecorder). */
  recordEvent: (event: EngineEvent) => void;
  /** The object as the informers last saw it (its status and resourceVersion), if they have. */
  current?: (ref: ObjectRef) => RawObject | undefined;
  /** Load from these namespaces only. Defaults to every namespace. */
  namespaces?: readonly string[];
  /** Attempts of one write that meets 409 Conflicts. Defaults to 5. */
  maxAttempts?: number;
  /** How soon a failed write nothing waited for is tried again. Defaults to 2 s. */
  retryMs?: number;
  /** Writes in flight at once. Defaults to 16. */
  concurrency?: number;
  onWrite?: (kind: ObjectRef['kind']) => void;
  onConflict?: (kind: ObjectRef['kind']) => void;
}

/**
 * What the store keeps of one object. Small on purpose (12,000 of them at a first pass): a
 * composed summary as one JSON string until the informer shows it written, then nothing of its
 * own (the informer's object holds it); one shape for every entry (every field is set when it is
 * made); no promise while no write is queued or in flight.
 */
interface Entry {
  /** `Kind/namespace/name`: the same string the entries map is keyed by. */
  key: string;
  /** The composed status (JSON), without leases and retries, until `base` holds it; undefined until composed. */
  summary: string | undefined;
  /**
   * The status the summary is taken from when there is no `summary`: the informer's object's (the
   * very object, not a copy), either as read before anything was composed, or once it showed
   * what this store wrote. Informers' objects are replaced, never changed in place.
   */
  base: Record<string, unknown> | undefined;
  /** The resourceVersion the write of `summary` produced: when the informer shows it, `base` replaces `summary`. */
  summaryVersion: string | undefined;
  /** Owners only: what `save` keeps. */
  state: OwnerState | undefined;
  /**
   * A digest of the status as last written (of its stable JSON): enough to skip a write that
   * changes nothing, without keeping a second serialized copy of every status in memory.
   */
  written: string | undefined;
  resourceVersion: string | undefined;
  /** resourceVersions our own writes produced (the latest few, space-separated): their watch events are not news. */
  ours: string | undefined;
  /** A write is being made now. */
  running: boolean;
  /** A write is due after the running one, or waits for a slot: what its callers wait for (none: nobody waits). */
  next: Pending | typeof QUEUED | undefined;
  /** A DagRun given the Dag label by this process. */
  labelled: boolean;
  /** The uid of the object this entry was written to, once known: another uid is another object. */
  uid: string | undefined;
}

/** A write callers wait for. */
interface Pending {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}
/** A write is due that nobody waits for (its failure is retried by `writeLater`). */
const QUEUED = 'queued';

const pending = (): Pending => {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

const refOf = (key: string): ObjectRef => {
  const [kind = '', namespace = '', name = ''] = key.split('/');
  return { kind: kind as ObjectRef['kind'], namespace, name };
};

/** The latest few resourceVersions our writes produced, with this one: one flat string (join, not +). */
function withOurs(ours: string | undefined, rv: string): string {
  if (ours === undefined) return rv;
  return [...ours.split(' ').slice(-3), rv].join(' ');
}
const isOurs = (ours: string | undefined, rv: string): boolean => ours !== undefined && (ours === rv || ours.split(' ').includes(rv));

const OWNER_KINDS = new Set(['Expectation', 'Dag']);

export class StatusStore implements StateStore, StatusWriter {
  /** Status writes refused with 409 Conflict (each was read again and retried). */
  conflicts = 0;
  writes = 0;
  private readonly entries = new Map<string, Entry>();
  private readonly unsaved = new Set<string>();
  /** Owners with a lease not yet written: `save` waits for these. */
  private readonly urgent = new Set<string>();
  private retryTimer: NodeJS.Timeout | undefined;
  /** Writes in flight. */
  private running = 0;
  /** Entries whose write waits for a slot, in order (from `head` on): one per object, whatever asked for it. */
  private queue: Entry[] = [];
  private head = 0;
  /** `settled` callers, told once nothing is queued or in flight. */
  private idle: (() => void)[] = [];

  constructor(private readonly options: StatusStoreOptions) {}

  async load(): Promise<EngineSnapshot | undefined> {
    const { api, namespaces } = this.options;
    const listed = (kind: ObjectRef['kind']) => (namespaces === undefined ? api.list(kind, undefined) : Promise.all(namespaces.map((namespace) => api.list(kind, namespace))).then((lists) => lists.flat()));
    const [expectations, dags, dagRuns] = await Promise.all([listed('Expectation'), listed('Dag'), listed('DagRun')]);
    for (const o of [...expectations, ...dags]) {
      const entry = this.entry({ kind: o.kind as ObjectRef['kind'], namespace: o.metadata?.namespace ?? 'default', name: o.metadata?.name ?? '' });
      entry.state = stateFromStatus(o.status, o.kind);
    }
    return snapshotFromObjects([...expectations, ...dags], dagRuns);
  }

  async save(snapshot: EngineSnapshot): Promise<void> {
    const states = ownerStates(snapshot);
    for (const [key, entry] of this.entries) if (entry.state !== undefined && !states.has(key)) states.set(key, emptyState(refOf(key).kind));
    for (const [key, state] of states) {
      const [kind = '', namespace = '', name = ''] = key.split('/');
      const entry = this.entry({ kind: kind as OwnerRef['kind'], namespace, name });
      if (kind === 'Dag') {
        state.successes ??= [];
        state.runRequests ??= [];
      }
      const before = entry.state ?? emptyState(kind);
      if (stableJson(state) === stableJson(before)) continue;
      // New or renewed live leases: what an action may rely on.
      const known = new Set(before.leases.map((l) => stableJson(l)));
      if (state.leases.some((l) => l.outcome === undefined && !known.has(stableJson(l)))) this.urgent.add(key);
      entry.state = state;
      this.unsaved.add(key);
    }
    // Only new (or renewed) leases must be in the API before their actions start (DESIGN rule 2). The rest
    // (a finished lease, a success, a retry record) is written too, but nothing waits for it: a
    // success not yet written is found again from its Job after a restart.
    // A write that succeeds takes its key out of `unsaved` and `urgent` (see `pump`); one that fails
    // and nothing waited for is tried again by `writeLater`.
    const waited: { key: string; write: Promise<void> }[] = [];
    for (const key of this.unsaved) {
      const entry = this.entries.get(key) as Entry;
      if (this.urgent.has(key)) waited.push({ key, write: this.flush(entry, true) });
      else this.flush(entry, false);
    }
    const results = await Promise.allSettled(waited.map((w) => w.write));
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${waited[i]?.key}: ${describeError(r.reason)}`] : []));
    if (failed.length > 0) throw new Error(`the leases of ${failed.length} objects could not be written: ${failed.slice(0, 3).join('; ')}`);
  }

  /** Resolves once every write started so far has ended (a stopping controller waits for it). */
  async settled(): Promise<void> {
    if (this.running === 0 && this.head >= this.queue.length) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  /** A write nothing waited for failed: it is tried again soon, and by every later save. */
  private writeLater(key: string, error: unknown): void {
    this.options.log.warn({ object: key, error: describeError(error) }, 'writing a status failed; retrying');
    if (this.retryTimer !== undefined) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      for (const k of this.unsaved) {
        const entry = this.entries.get(k);
        if (entry !== undefined) this.flush(entry, false);
      }
    }, this.options.retryMs ?? 2_000);
    this.retryTimer.unref();
  }

  storedConditions(object: ObjectRef): Condition[] | undefined {
    const conditions = this.options.current?.(object)?.status?.conditions;
    return Array.isArray(conditions) ? (conditions as Condition[]) : undefined;
  }

  prepareStatus(object: ObjectRef, status: Record<string, unknown>): void {
    // An owner's summary rides along with its leases in the next save.
    if (OWNER_KINDS.has(object.kind)) this.compose(this.entry(object), summaryJson(status));
  }

  async writeStatus(object: ObjectRef, status: Record<string, unknown>): Promise<void> {
    const entry = this.entry(object);
    this.compose(entry, summaryJson(status));
    await this.flush(entry, true);
  }

  async writeRun(run: RunRecord, status: Record<string, unknown>): Promise<void> {
    const ref: ObjectRef = { kind: 'DagRun', namespace: run.namespace, name: run.name };
    const entry = this.entry(ref);
    if (entry.resourceVersion === undefined && this.options.current?.(ref) === undefined) {
      const body: RawObject = {
        apiVersion: API_VERSION,
        kind: 'DagRun',
        metadata: { name: run.name, namespace: run.namespace, labels: { [MANAGED_BY_LABEL]: MANAGER, [DAG_LABEL]: labelValue(run.dag) } },
        spec: { dag: run.dag, period: run.period, reason: run.reason, ...(run.params !== undefined ? { params: run.params } : {}) },
      };
      try {
        const created = await this.options.api.create(ref, body);
        entry.resourceVersion = created.metadata?.resourceVersion;
        entry.uid = created.metadata?.uid;
      } catch (error) {
        if (statusOf(error) !== 409) throw error; // 409: it exists (a user's DagRun, or ours)
      }
    }
    // A user's DagRun gets the Dag label too, so `kubectl get dr -l homeostat.dev/dag=X` lists every run.
    const current = this.options.current?.(ref);
    if (current !== undefined && current.metadata?.labels?.[DAG_LABEL] === undefined && !entry.labelled) {
      await this.options.api.addLabels(ref, { [DAG_LABEL]: labelValue(run.dag) }).catch((error: unknown) => {
        if (statusOf(error) !== 404) throw error;
      });
      entry.labelled = true;
    }
    this.compose(entry, JSON.stringify(status));
    await this.flush(entry, true);
  }

  async removeRun(run: RunRecord): Promise<void> {
    const ref: ObjectRef = { kind: 'DagRun', namespace: run.namespace, name: run.name };
    this.entries.delete(refKey(ref));
    let object = this.options.current?.(ref);
    if (object === undefined) {
      object = await this.options.api.get(ref).catch((error: unknown) => {
        if (statusOf(error) === 404) return undefined;
        throw error;
      });
    }
    // A user's DagRun is theirs to delete.
    if (object === undefined || object.metadata?.labels?.[MANAGED_BY_LABEL] !== MANAGER) return;
    await this.options.api.delete(ref).catch((error: unknown) => {
      if (statusOf(error) !== 404) throw error;
    });
  }

  recordEvent(event: EngineEvent): void {
    try {
      this.options.recordEvent(event);
    } catch {
      // Best effort, by contract.
    }
  }

  /**
   * An object as the informers saw it change. When someone else rewrote a status this store
   * wrote (a user, a script), the controller's version is written back; the stale
   * resourceVersion meets a 409 Conflict on the way, and is read again. Resolves once done.
   */
  observe(object: RawObject): Promise<void> {
    const ref: ObjectRef = { kind: object.kind as ObjectRef['kind'], namespace: object.metadata?.namespace ?? 'default', name: object.metadata?.name ?? '' };
    const entry = this.entries.get(refKey(ref));
    const rv = object.metadata?.resourceVersion;
    // The object was deleted and created again under its name, and its deletion never reached us
    // (a watch that re-listed): what this entry knows is of the old object, never to be written
    // back onto the new one (a re-created DagRun would show the old run's status).
    if (entry?.uid !== undefined && object.metadata?.uid !== undefined && object.metadata.uid !== entry.uid) {
      this.forget(ref);
      return Promise.resolve();
    }
    if (entry === undefined || entry.written === undefined || rv === undefined) return Promise.resolve();
    if (isOurs(entry.ours, rv)) {
      this.confirmed(entry, ref, rv);
      return Promise.resolve();
    }
    const seen = digestOf(object.status ?? {});
    if (seen === entry.written || seen === digestOf(this.document(entry))) return Promise.resolve();
    this.options.log.info({ kind: ref.kind, namespace: ref.namespace, name: ref.name }, 'the status was changed by someone else; writing it back');
    entry.written = undefined;
    return this.flush(entry, true).catch((error: unknown) => this.options.log.warn({ kind: ref.kind, namespace: ref.namespace, name: ref.name, error: describeError(error) }, 'writing the status back failed'));
  }

  /** Forgets what it knows of an object that was deleted. */
  forget(ref: ObjectRef): void {
    this.entries.delete(refKey(ref));
    this.unsaved.delete(refKey(ref));
    this.urgent.delete(refKey(ref));
  }

  /** A newly composed summary: kept until the informer shows it written. */
  private compose(entry: Entry, summary: string): void {
    entry.summary = summary;
    entry.summaryVersion = undefined;
  }

  /**
   * The informer shows this store's latest write: the summary written is in its object, which
   * `base` now points at instead of keeping a copy (unless a newer summary was composed since).
   */
  private confirmed(entry: Entry, ref: ObjectRef, rv: string): void {
    if (entry.summary === undefined || entry.summaryVersion !== rv) return;
    const seen = this.options.current?.(ref);
    if (seen?.metadata?.resourceVersion !== rv || seen.status === undefined) return;
    entry.base = seen.status;
    entry.summary = undefined;
    entry.summaryVersion = undefined;
  }

  private entry(ref: ObjectRef): Entry {
    const key = refKey(ref);
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = { key, summary: undefined, base: undefined, summaryVersion: undefined, state: undefined, written: undefined, resourceVersion: undefined, ours: undefined, running: false, next: undefined, labelled: false, uid: undefined };
      this.entries.set(key, entry);
    }
    return entry;
  }

  /**
   * Writes the entry's status unless it is what was written last; one write per object at a time.
   * Asked again before its write started, the one write due serves both (it writes what the entry
   * holds when it starts). `wait`: the caller waits for it (else a failure goes to `writeLater`).
   */
  private flush(entry: Entry, wait: true): Promise<void>;
  private flush(entry: Entry, wait: false): void;
  private flush(entry: Entry, wait: boolean): Promise<void> | void {
    const due = entry.next;
    if (due === undefined && !entry.running) this.queue.push(entry);
    const next = !wait ? (due ?? QUEUED) : due === undefined || due === QUEUED ? pending() : due;
    entry.next = next;
    this.pump();
    return next === QUEUED ? undefined : next.promise;
  }

  /** Starts queued writes while a slot is free. */
  private pump(): void {
    const max = this.options.concurrency ?? 16;
    while (this.running < max && this.head < this.queue.length) {
      const entry = this.queue[this.head++] as Entry;
      const waiting = entry.next;
      entry.next = undefined;
      entry.running = true;
      this.running++;
      this.write(entry).then(
        () => this.ended(entry, waiting, undefined, false),
        (error: unknown) => this.ended(entry, waiting, error, true),
      );
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (this.running === 0 && this.head >= this.queue.length && this.idle.length > 0) for (const resolve of this.idle.splice(0)) resolve();
  }

  private ended(entry: Entry, waiting: Pending | typeof QUEUED | undefined, error: unknown, failed: boolean): void {
    entry.running = false;
    this.running--;
    const current = this.entries.get(entry.key) === entry;
    // What a later save or write asked for is written by the write due next, if any.
    if (current && entry.next === undefined) {
      if (!failed) {
        this.unsaved.delete(entry.key);
        this.urgent.delete(entry.key);
      } else if (this.unsaved.has(entry.key) && !this.urgent.has(entry.key)) this.writeLater(entry.key, error);
    }
    if (entry.next !== undefined) this.queue.push(entry);
    if (waiting !== undefined && waiting !== QUEUED) {
      if (failed) waiting.reject(error);
      else waiting.resolve();
    }
    this.pump();
  }

  private async write(entry: Entry): Promise<void> {
    const { api, log } = this.options;
    const ref = refOf(entry.key);
    const maxAttempts = this.options.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      const seen = this.options.current?.(ref);
      entry.uid ??= seen?.metadata?.uid;
      if (entry.summary === undefined && entry.base === undefined) entry.base = seen?.status;
      if (OWNER_KINDS.has(ref.kind)) entry.state ??= stateFromStatus(seen?.status, ref.kind);
      const summary = entry.summary;
      const status = this.document(entry);
      const digest = digestOf(status);
      if (digest === entry.written) {
        // Composed again as it was written: once the informer shows our latest write, its object holds it.
        const latest = entry.ours?.slice(entry.ours.lastIndexOf(' ') + 1);
        if (summary !== undefined && latest !== undefined) {
          entry.summaryVersion = latest;
          this.confirmed(entry, ref, latest);
        }
        return;
      }
      // Not written by this process yet, and the API holds this very status already (a
      // controller started again over unchanged objects): nothing to write. Should the informer
      // be behind, the newer status arrives as an update and `observe` writes ours back.
      if (entry.written === undefined && seen?.status !== undefined && digestOf(seen.status) === digest) {
        entry.written = digest;
        entry.base = seen.status;
        entry.summary = undefined;
        return;
      }
      let resourceVersion = entry.resourceVersion ?? seen?.metadata?.resourceVersion;
      if (resourceVersion === undefined) {
        const read = await this.read(ref);
        if (read === undefined) return;
        resourceVersion = read.metadata?.resourceVersion;
      }
      const body: RawObject = { apiVersion: API_VERSION, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace, resourceVersion }, status };
      try {
        const written = await api.replaceStatus(ref, body);
        entry.resourceVersion = written.metadata?.resourceVersion;
        if (entry.resourceVersion !== undefined) entry.ours = withOurs(entry.ours, entry.resourceVersion);
        if (summary !== undefined && entry.summary === summary) entry.summaryVersion = entry.resourceVersion;
        entry.written = digest;
        this.writes++;
        this.options.onWrite?.(ref.kind);
        return;
      } catch (error) {
        const code = statusOf(error);
        if (code === 404) return; // deleted: nothing to write to
        if (code !== 409) throw error;
        this.conflicts++;
        this.options.onConflict?.(ref.kind);
        log.debug({ object: refKey(ref), attempt }, 'status write conflict; reading the object again');
        if (attempt >= maxAttempts) throw error;
        const read = await this.read(ref);
        if (read === undefined) return;
        entry.resourceVersion = read.metadata?.resourceVersion;
      }
    }
  }

  private async read(ref: ObjectRef): Promise<RawObject | undefined> {
    try {
      return await this.options.api.get(ref);
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /** The status to write: the summary, and for an owner its leases and retry records. */
  private document(entry: Entry): Record<string, unknown> {
    const summary = entry.summary !== undefined ? (JSON.parse(entry.summary) as Record<string, unknown>) : entry.base !== undefined ? withoutState(entry.base) : {};
    const { kind } = refOf(entry.key);
    if (!OWNER_KINDS.has(kind)) return summary;
    return { ...summary, ...stateFields(kind, entry.state ?? emptyState(kind)) };
  }
}

/**
 * A status's digest (SHA-1 of its stable JSON, 27 characters of base64url): two statuses with the same digest
 * are the same document. SHA-1 is used for change detection only, never for trust.
 */
function digestOf(status: Record<string, unknown>): string {
  // base64url has no padding: 27 characters as they are (a slice would keep the 28 behind it).
  return createHash('sha1').update(stableJson(status)).digest('base64url');
}

/** What `load` reads of a listed object: who it is, its status, and a DagRun's spec (its run). */
function loadedFields(object: RawObject): RawObject {
  const { name, namespace, uid, resourceVersion } = object.metadata ?? {};
  return { apiVersion: object.apiVersion, kind: object.kind, metadata: { name, namespace, uid, resourceVersion }, ...(object.kind === 'DagRun' ? { spec: object.spec } : {}), status: object.status };
}

/** A status without what `save` owns, as one JSON string (a flat string, not a tree of objects). */
function summaryJson(status: Record<string, unknown>): string {
  return JSON.stringify(withoutState(status));
}

const emptyState = emptyOwnerState;
