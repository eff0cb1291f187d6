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
import { DEFAULT_PAGE_SIZE, type ListPage, pagedList } from './resilientInformer.js';
import { type OwnerState, ownerStates, snapshotFromObjects, stableJson, stateFields, stateFromStatus, withoutState } from './leaseRecords.js';
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
const refKey = (o: ObjectRef): string => `${o.kind}/${o.namespace}/${o.name}`;

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

interface Entry {
  ref: ObjectRef;
  /** The composed status, without leases and retries; undefined until first composed or read. */
  summary: Record<string, unknown> | undefined;
  /** Owners only: what `save` keeps. */
  state: OwnerState | undefined;
  /**
   * A digest of the status as last written (of its stable JSON): enough to skip a write that
   * changes nothing, without keeping a second serialized copy of every status in memory.
   */
  written: string | undefined;
  resourceVersion: string | undefined;
  /** resourceVersions our own writes produced (the latest few): their watch events are not news. */
  ours: string[];
  chain: Promise<void>;
  /** A DagRun given the Dag label by this process. */
  labelled?: boolean;
  /** The uid of the object this entry was written to, once known: another uid is another object. */
  uid?: string;
}

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
  private running = 0;
  private readonly waiting: (() => void)[] = [];

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
    for (const [key, entry] of this.entries) if (entry.state !== undefined && !states.has(key)) states.set(key, emptyState(entry.ref.kind));
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
    const waited: { key: string; write: Promise<void> }[] = [];
    for (const key of [...this.unsaved]) {
      const write = this.flush(this.entries.get(key) as Entry).then(() => {
        this.unsaved.delete(key);
        this.urgent.delete(key);
      });
      if (this.urgent.has(key)) waited.push({ key, write });
      else write.catch((error: unknown) => this.writeLater(key, error));
    }
    const results = await Promise.allSettled(waited.map((w) => w.write));
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${waited[i]?.key}: ${describeError(r.reason)}`] : []));
    if (failed.length > 0) throw new Error(`the leases of ${failed.length} objects could not be written: ${failed.slice(0, 3).join('; ')}`);
  }

  /** Resolves once every write started so far has ended (a stopping controller waits for it). */
  async settled(): Promise<void> {
    await Promise.all([...this.entries.values()].map((e) => e.chain));
  }

  /** A write nothing waited for failed: it is tried again soon, and by every later save. */
  private writeLater(key: string, error: unknown): void {
    this.options.log.warn({ object: key, error: describeError(error) }, 'writing a status failed; retrying');
    if (this.retryTimer !== undefined) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      for (const k of this.unsaved) {
        const entry = this.entries.get(k);
        if (entry !== undefined) this.flush(entry).then(() => void this.unsaved.delete(k), (e: unknown) => this.writeLater(k, e));
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
    if (OWNER_KINDS.has(object.kind)) this.entry(object).summary = withoutState(status);
  }

  async writeStatus(object: ObjectRef, status: Record<string, unknown>): Promise<void> {
    const entry = this.entry(object);
    entry.summary = withoutState(status);
    await this.flush(entry);
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
    entry.summary = status;
    await this.flush(entry);
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
    if (entry === undefined || entry.written === undefined || rv === undefined || entry.ours.includes(rv)) return Promise.resolve();
    const seen = digestOf(object.status ?? {});
    if (seen === entry.written || seen === digestOf(this.document(entry))) return Promise.resolve();
    this.options.log.info({ kind: ref.kind, namespace: ref.namespace, name: ref.name }, 'the status was changed by someone else; writing it back');
    entry.written = undefined;
    return this.flush(entry).catch((error: unknown) => this.options.log.warn({ kind: ref.kind, namespace: ref.namespace, name: ref.name, error: describeError(error) }, 'writing the status back failed'));
  }

  /** Forgets what it knows of an object that was deleted. */
  forget(ref: ObjectRef): void {
    this.entries.delete(refKey(ref));
    this.unsaved.delete(refKey(ref));
    this.urgent.delete(refKey(ref));
  }

  private entry(ref: ObjectRef): Entry {
    const key = refKey(ref);
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = { ref, summary: undefined, state: undefined, written: undefined, resourceVersion: undefined, ours: [], chain: Promise.resolve() };
      this.entries.set(key, entry);
    }
    return entry;
  }

  /** Writes the entry's status unless it is what was written last; one write per object at a time. */
  private flush(entry: Entry): Promise<void> {
    const next = entry.chain.then(() => this.limited(() => this.write(entry)));
    entry.chain = next.catch(() => undefined);
    return next;
  }

  private async write(entry: Entry): Promise<void> {
    const { api, log } = this.options;
    const ref = entry.ref;
    const maxAttempts = this.options.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      const seen = this.options.current?.(ref);
      entry.uid ??= seen?.metadata?.uid;
      entry.summary ??= summaryOf(seen?.status);
      if (OWNER_KINDS.has(ref.kind)) entry.state ??= stateFromStatus(seen?.status, ref.kind);
      const status = this.document(entry);
      const digest = digestOf(status);
      if (digest === entry.written) return;
      // Not written by this process yet, and the API holds this very status already (a
      // controller started again over unchanged objects): nothing to write. Should the informer
      // be behind, the newer status arrives as an update and `observe` writes ours back.
      if (entry.written === undefined && seen?.status !== undefined && digestOf(seen.status) === digest) {
        entry.written = digest;
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
        if (entry.resourceVersion !== undefined) entry.ours = [...entry.ours.slice(-3), entry.resourceVersion];
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
    const summary = entry.summary ?? {};
    if (!OWNER_KINDS.has(entry.ref.kind)) return summary;
    return { ...summary, ...stateFields(entry.ref.kind, entry.state ?? emptyState(entry.ref.kind)) };
  }

  private async limited<T>(work: () => Promise<T>): Promise<T> {
    const max = this.options.concurrency ?? 16;
    if (this.running >= max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      return await work();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}

/**
 * A status's digest (SHA-1 of its stable JSON, 27 characters): two statuses with the same digest
 * are the same document. SHA-1 is used for change detection only, never for trust.
 */
function digestOf(status: Record<string, unknown>): string {
  return createHash('sha1').update(stableJson(status)).digest('base64').slice(0, 27);
}

/** What `load` reads of a listed object: who it is, its status, and a DagRun's spec (its run). */
function loadedFields(object: RawObject): RawObject {
  const { name, namespace, uid, resourceVersion } = object.metadata ?? {};
  return { apiVersion: object.apiVersion, kind: object.kind, metadata: { name, namespace, uid, resourceVersion }, ...(object.kind === 'DagRun' ? { spec: object.spec } : {}), status: object.status };
}

/** A status without what `save` owns. */
function summaryOf(status: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  return status === undefined ? undefined : withoutState(status);
}

const emptyState = (kind: string): OwnerState => ({ leases: [], retries: [], retriesDropped: 0, ...(kind === 'Dag' ? { successes: [], runRequests: [] } : {}) });
