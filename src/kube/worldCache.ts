/**
 * The declared objects, as the API server has them: one resilient informer per Homeostat kind
 * (every namespace, or a list), turned into the engine's World on every change that matters.
 *
 * Every object is validated with the same validator as `homeostat validate` and embedded mode;
 * an invalid one is kept out of the World and reported (the controller gives it Valid=False),
 * and never stops the others. Only a new or deleted object, or a new generation (a spec edit),
 * makes a new World: status writes (the controller's own, mostly) do not.
 *
 * ConfigMaps named by `valuesFrom` are read on demand (one GET each, no ConfigMap watch: the
 * controller needs only `get` on ConfigMaps) and read again every `configMapRefreshMs`. Only a
 * 404 makes a ConfigMap missing; any other failure (5xx, timeout, connection refused, 403) is
 * retried with backoff, keeping what was read before, and a ConfigMap never read yet is waited
 * for: a passing API hiccup never turns an Expectation invalid. The wait is bounded
 * (`configMapFirstReadWaitMs`): one ConfigMap that cannot be read must not hold back the World of
 * every other tenant. After it, the World names the read error (World.configMapErrors) and the
 * engine holds the Expectations reading it (Valid=False ConfigMapUnreadable, their work kept).
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { API_VERSION } from '../api/schema/kind.js';
import type { Expectation, KindName, StateChecker } from '../api/types.js';
import { type FieldError, validateObject } from '../api/validate.js';
import { emptyWorld } from '../engine/index.js';
import type { Logger } from '../runtime/log.js';
import { type Clock, type ObjectRef, systemClock } from '../runtime/ports.js';
import { addDeclared } from '../runtime/declaredState.js';
import { MANAGED_BY_LABEL, MANAGER, RERUN_ANNOTATION, VALUES_SOURCE_LABEL } from '../api/wellKnown.js';
import type { DeclaredState } from '../runtime/reconciler.js';
import { describeError, type KubeClients, statusOf } from './client.js';
import { type InformerFactory, type ResilientInformerOptions } from './resilientInformer.js';
import { type KindInformers, kindInformers } from './kindInformers.js';

export { KIND_PLURALS } from './kindInformers.js';
const KIND_NAMES: readonly KindName[] = ['StateChecker', 'Expectation', 'Dag', 'DagRun', 'DagDependency'];

export { DAG_LABEL, MANAGED_BY_LABEL, MANAGER } from '../api/wellKnown.js';

/** An object the validator rejected: kept out of the World. */
export interface InvalidObject {
  ref: ObjectRef;
  generation: number;
  errors: FieldError[];
  /** The errors, one per line: `path: message`. */
  message: string;
}

export interface WorldState extends DeclaredState {
  invalid: InvalidObject[];
}

/** An object as the API server sent it. */
export type RawObject = KubernetesObject & { spec?: unknown; status?: Record<string, unknown> };

export interface WorldCacheOptions {
  clients: KubeClients;
  /** Watch these namespaces only (one watch per kind and namespace). Defaults to every namespace. */
  namespaces?: readonly string[];
  log: Logger;
  /** Called with the new World after a change (debounced), and once after the first sync. */
  onChange: (state: WorldState) => void;
  /** Changes within this window make one World. Defaults to 20 ms. */
  debounceMs?: number;
  /** ConfigMaps of `valuesFrom` are read again this often. Defaults to 5 min. */
  configMapRefreshMs?: number;
  clock?: Clock;
  /** Informer settings (watchdog, resync, backoff) for every kind. */
  informer?: Pick<ResilientInformerOptions<RawObject>, 'watchdogMs' | 'resyncMs' | 'restartInitialMs' | 'restartMaxMs'>;
  /** Called when the watch of a resource restarts (metrics). */
  onRestart?: (resource: string) => void;
  /** Replaces the real informers (tests). */
  factoryFor?: (kind: KindName) => InformerFactory<RawObject>;
  /**
   * Informers someone else owns (the read API's ViewCache on the leader), used instead of
   * watching those kinds a second time: one copy of every object. Started here if they are not
   * yet, never stopped here.
   */
  shared?: Partial<KindInformers>;
  /** Replaces the ConfigMap GET (tests): the data, or undefined when there is no such ConfigMap; throws when the read failed. */
  readConfigMap?: (namespace: string, name: string) => Promise<Record<string, string> | undefined>;
  /** A failed ConfigMap read is tried again after this long, doubled per failure. Defaults to 1 s. */
  configMapRetryInitialMs?: number;
  /** The longest wait between two tries of a failing ConfigMap read. Defaults to 60 s. */
  configMapRetryMaxMs?: number;
  /**
   * How long a new World waits for a ConfigMap whose first read keeps failing before it is handed
   * over with the read error. Defaults to 60 s.
   */
  configMapFirstReadWaitMs?: number;
  /**
   * `valuesFrom` reads only ConfigMaps labelled homeostat.dev/values-source=true; an Expectation
   * naming another is invalid (Valid=False, the field path, and the label to add). Defaults to
   * false: any ConfigMap of the Expectation's namespace.
   */
  requireValuesSourceLabel?: boolean;
}

interface Validated {
  uid: string | undefined;
  generation: number | undefined;
  result: ReturnType<typeof validateObject>;
}

interface ConfigMapEntry {
  data: Record<string, string> | undefined;
  fetchedAt: number;
  /** It exists but lacks the values-source label the administrator requires: its data was not kept. */
  unlabelled?: boolean;
}

/** What one ConfigMap read found. */
type ConfigMapRead = { data: Record<string, string> | undefined; unlabelled?: boolean };

const nsOf = (o: { metadata?: { namespace?: string } }): string => o.metadata?.namespace ?? 'default';
/**
 * Whether two versions of an object declare the same: status writes leave uid, generation,
 * deletion and the rerun annotation alone. Compared field by field, from the informer's two
 * versions: no record of each object's fingerprint is kept (10,000 strings for 10,000 objects).
 */
function sameDeclaration(a: KubernetesObject, b: KubernetesObject): boolean {
  const x = a.metadata;
  const y = b.metadata;
  return x?.uid === y?.uid && x?.generation === y?.generation && x?.deletionTimestamp === y?.deletionTimestamp && x?.annotations?.[RERUN_ANNOTATION] === y?.annotations?.[RERUN_ANNOTATION];
}

/**
 * Whether an object is part of the World. DagRuns the controller created record its runs; they
 * are not requests (and their creation is no news), unless one asks for its period again with
 * the rerun annotation.
 */
function declares(kind: KindName, raw: KubernetesObject): boolean {
  return !(kind === 'DagRun' && raw.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGER && raw.metadata.annotations?.[RERUN_ANNOTATION] === undefined);
}

/** A validated object with the annotations the API server has now. */
function withAnnotations<T extends { metadata: { annotations?: Record<string, string> } }>(object: T, raw: KubernetesObject): T {
  const annotations = raw.metadata?.annotations;
  return { ...object, metadata: { ...object.metadata, ...(annotations !== undefined ? { annotations } : {}) } };
}

const NONE_REFUSED: readonly FieldError[] = [];

export class WorldCache {
  readonly informers: KindInformers;
  /** The informers this cache created (and stops); the others are shared. */
  private readonly own: Partial<KindInformers>;
  private readonly clock: Clock;
  /**
   * The validation of each object's spec, kept by the informer's spec object: a status write
   * brings a new object whose spec is the previous one's (shareWithPrevious), so it is found again,
   * and the entry goes with the spec (a deleted object, a spec edit) without a key string per object.
   */
  private readonly validated = new WeakMap<object, Validated>();
  private readonly configMaps = new Map<string, ConfigMapEntry>();
  private readonly fetching = new Set<string>();
  /** ConfigMap reads that failed: how many times in a row, and the timer of the next try. */
  private readonly retries = new Map<string, { failures: number; cancel: (() => void) | undefined }>();
  /** ConfigMaps never read yet whose reads fail: the error, when the first failure was, and the timer ending the World's wait. */
  private readonly readErrors = new Map<string, { message: string; since: number; cancelWaitEnd: () => void }>();
  private debounce: (() => void) | undefined;
  private cancelRefresh: (() => void) | undefined;
  private synced = false;
  private stopped = false;

  constructor(private readonly options: WorldCacheOptions) {
    this.clock = options.clock ?? systemClock;
    const shared = options.shared ?? {};
    const own = KIND_NAMES.filter((kind) => shared[kind] === undefined);
    this.own = kindInformers(own, {
      clients: options.clients,
      namespaces: options.namespaces,
      log: options.log,
      clock: this.clock,
      ...(options.informer !== undefined ? { informer: options.informer } : {}),
      ...(options.onRestart !== undefined ? { onRestart: options.onRestart } : {}),
      ...(options.factoryFor !== undefined ? { factoryFor: options.factoryFor } : {}),
    });
    this.informers = { ...shared, ...this.own } as KindInformers;
    for (const kind of KIND_NAMES) {
      const informer = this.informers[kind];
      informer.on('add', (o) => this.changed(kind, o, undefined));
      informer.on('update', (o, previous) => this.changed(kind, o, previous));
      informer.on('delete', (o) => this.removed(kind, o));
    }
  }

  /** Starts every informer; the first World is handed over once all have synced. */
  start(): void {
    // A shared informer may have listed already: its later events come with the version they replace.
    for (const informer of Object.values(this.informers)) informer.start();
    void this.whenSynced().then(() => {
      if (this.stopped) return;
      this.synced = true;
      this.armRefresh();
      this.schedule(0);
    });
  }

  /** Resolves once every kind has been listed. */
  async whenSynced(): Promise<void> {
    await Promise.all(Object.values(this.informers).map((i) => i.whenSynced()));
  }

  get isSynced(): boolean {
    return Object.values(this.informers).every((i) => i.synced);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.debounce?.();
    this.cancelRefresh?.();
    for (const retry of this.retries.values()) retry.cancel?.();
    for (const error of this.readErrors.values()) error.cancelWaitEnd();
    await Promise.all(Object.values(this.own).map((i) => i.stop()));
  }

  /** The object as last seen (status and resourceVersion included), or undefined. */
  object(ref: ObjectRef): RawObject | undefined {
    return this.informers[ref.kind].get(ref.namespace, ref.name);
  }

  /** The uid of an object as last seen (for owner references and Events). */
  uidOf(ref: ObjectRef): string | undefined {
    return this.object(ref)?.metadata?.uid;
  }

  /** A StateChecker as declared (defaults applied), or undefined when there is no valid one. */
  checker(ref: { namespace: string; name: string }): StateChecker | undefined {
    const raw = this.informers.StateChecker.get(ref.namespace, ref.name);
    if (raw === undefined) return undefined;
    const result = this.validate('StateChecker', raw);
    return result.ok ? (result.object as StateChecker) : undefined;
  }

  /** The World now: every valid object, and the invalid ones with why. */
  state(): WorldState {
    const world = emptyWorld();
    const side: DeclaredState['side'] = { checkers: [], dagDependencies: [], dagRuns: [] };
    const invalid: InvalidObject[] = [];
    for (const kind of KIND_NAMES) {
      for (const raw of this.informers[kind].list()) {
        if (raw.metadata?.deletionTimestamp !== undefined) continue;
        if (!declares(kind, raw)) continue;
        const result = this.validate(kind, raw);
        if (!result.ok) {
          invalid.push({
            ref: { kind, namespace: nsOf(raw), name: raw.metadata?.name ?? '' },
            generation: raw.metadata?.generation ?? 0,
            errors: result.errors,
            message: result.errors.map((e) => (e.path === '' ? e.message : `${e.path}: ${e.message}`)).join('\n'),
          });
          continue;
        }
        const refused = kind === 'Expectation' ? this.unlabelledSources(result.object as Expectation) : NONE_REFUSED;
        if (refused.length > 0) {
          invalid.push({
            ref: { kind, namespace: nsOf(raw), name: raw.metadata?.name ?? '' },
            generation: raw.metadata?.generation ?? 0,
            errors: [...refused],
            message: refused.map((e) => `${e.path}: ${e.message}`).join('\n'),
          });
          continue;
        }
        // Validation is kept per generation; annotations change without one, so they are taken fresh.
        addDeclared(world, side, kind === 'DagRun' ? withAnnotations(result.object, raw) : result.object);
      }
    }
    for (const key of this.referencedConfigMaps(world.expectations)) {
      const data = this.configMaps.get(key)?.data;
      if (data !== undefined) world.configMaps.set(key, data);
      const error = this.configMaps.has(key) ? undefined : this.readErrors.get(key);
      if (error !== undefined) (world.configMapErrors ??= new Map()).set(key, error.message);
    }
    return { world, side, invalid };
  }

  /** Validates the declaration (not the status); the result is kept per uid and generation. */
  private validate(kind: KindName, raw: RawObject): ReturnType<typeof validateObject> {
    const uid = raw.metadata?.uid;
    const generation = raw.metadata?.generation;
    const spec = raw.spec;
    const holder = spec !== null && typeof spec === 'object' ? spec : undefined;
    const known = holder === undefined ? undefined : this.validated.get(holder);
    if (known !== undefined && generation !== undefined && known.uid === uid && known.generation === generation) return known.result;
    // The validated copy is kept as long as the generation stands, next to the informer's object:
    // the validator copies only what its defaults change, the rest is the informer's, held once.
    const result = validateObject({ apiVersion: raw.apiVersion ?? API_VERSION, kind, metadata: declaredMetadata(raw), spec }, { share: true });
    if (holder !== undefined) this.validated.set(holder, { uid, generation, result });
    return result;
  }

  /** A new World when the object is or was part of it (not the controller's own DagRuns) and its declaration changed. */
  private changed(kind: KindName, object: RawObject, previous: RawObject | undefined): void {
    const was = previous !== undefined && declares(kind, previous);
    const is = declares(kind, object);
    if (!was && !is) return;
    if (was && is && sameDeclaration(previous, object)) return;
    this.schedule();
  }

  private removed(kind: KindName, object: RawObject): void {
    if (declares(kind, object)) this.schedule();
  }

  /** Hands over a new World after the debounce window (not before the first sync). */
  private schedule(delayMs = this.options.debounceMs ?? 20): void {
    if (!this.synced || this.stopped || this.debounce !== undefined) return;
    this.debounce = this.clock.setTimer(this.clock.now() + delayMs, () => {
      this.debounce = undefined;
      this.emit();
    });
  }

  private emit(): void {
    if (this.stopped) return;
    let state: WorldState;
    try {
      state = this.state();
    } catch (error) {
      this.options.log.error({ err: error }, 'the declared objects could not be read; keeping the previous World');
      return;
    }
    // ConfigMaps read for the first time: the World waits for them, so an Expectation is never
    // judged invalid (and its leases dropped) for a ConfigMap that is only on its way.
    // A first read that keeps failing is waited for a bounded time, then named in the World.
    const now = this.clock.now();
    const wait = this.options.configMapFirstReadWaitMs ?? 60_000;
    const missing = this.referencedConfigMaps(state.world.expectations).filter((key) => !this.configMaps.has(key));
    const waiting = missing.filter((key) => {
      const error = this.readErrors.get(key);
      return error === undefined || now < error.since + wait;
    });
    if (waiting.length > 0) {
      for (const key of missing) this.fetch(key);
      return;
    }
    this.options.onChange(state);
  }

  /** The valuesFrom fields of `exp` naming a ConfigMap without the required label. */
  private unlabelledSources(exp: Expectation): readonly FieldError[] {
    // Only a ConfigMap read under requireValuesSourceLabel is ever unlabelled; most Expectations read none.
    if (this.options.requireValuesSourceLabel !== true || exp.spec.partitions === undefined) return NONE_REFUSED;
    const errors: FieldError[] = [];
    for (const [key, p] of Object.entries(exp.spec.partitions ?? {})) {
      if (p.valuesFrom === undefined || this.configMaps.get(`${nsOf(exp)}/${p.valuesFrom.configMap}`)?.unlabelled !== true) continue;
      errors.push({
        path: `spec.partitions.${key}.valuesFrom.configMap`,
        message: `ConfigMap ${p.valuesFrom.configMap} is not labelled ${VALUES_SOURCE_LABEL}=true; the administrator allows valuesFrom to read only ConfigMaps with that label (kubectl label configmap ${p.valuesFrom.configMap} ${VALUES_SOURCE_LABEL}=true)`,
      });
    }
    return errors;
  }

  private referencedConfigMaps(expectations: readonly Expectation[]): string[] {
    const keys = new Set<string>();
    for (const exp of expectations) {
      const partitions = exp.spec.partitions;
      if (partitions === undefined) continue;
      for (const p of Object.values(partitions)) if (p.valuesFrom !== undefined) keys.add(`${nsOf(exp)}/${p.valuesFrom.configMap}`);
    }
    return [...keys];
  }

  /** Reads a ConfigMap; `retrying` is the backoff timer's own call (others wait for that timer). */
  private fetch(key: string, retrying = false): void {
    if (this.fetching.has(key)) return;
    const retry = this.retries.get(key);
    if (retry !== undefined && !retrying) return;
    this.fetching.add(key);
    const [namespace = '', name = ''] = key.split('/');
    const hook = this.options.readConfigMap;
    const read = hook !== undefined ? (ns: string, n: string): Promise<ConfigMapRead> => hook(ns, n).then((data) => ({ data })) : (ns: string, n: string) => this.readConfigMap(ns, n);
    read(namespace, name)
      .then(
        ({ data, unlabelled }) => {
          this.retries.delete(key);
          this.readErrors.get(key)?.cancelWaitEnd();
          this.readErrors.delete(key);
          const old = this.configMaps.get(key);
          this.configMaps.set(key, { data, fetchedAt: this.clock.now(), ...(unlabelled === true ? { unlabelled } : {}) });
          return old === undefined || JSON.stringify(old.data) !== JSON.stringify(data) || old.unlabelled !== unlabelled;
        },
        (error: unknown) => {
          // Not a 404: the ConfigMap may well exist. What was read before stays; one never read
          // stays unread, so the World keeps waiting for it instead of calling it missing.
          const failures = (this.retries.get(key)?.failures ?? 0) + 1;
          const initial = this.options.configMapRetryInitialMs ?? 1000;
          const delay = Math.min(this.options.configMapRetryMaxMs ?? 60_000, initial * 2 ** Math.min(failures - 1, 30));
          const next = { failures, cancel: undefined as (() => void) | undefined };
          this.retries.set(key, next);
          const known = this.readErrors.get(key);
          if (known !== undefined) known.message = describeError(error);
          else if (!this.configMaps.has(key) && !this.stopped) {
            // The World waits for this first read until then; a new World then names the error.
            const since = this.clock.now();
            const cancelWaitEnd = this.clock.setTimer(since + (this.options.configMapFirstReadWaitMs ?? 60_000), () => this.schedule(0));
            this.readErrors.set(key, { message: describeError(error), since, cancelWaitEnd });
          }
          this.options.log.warn({ configMap: key, failures, retryInMs: delay, error: describeError(error) }, 'reading a ConfigMap for valuesFrom failed; keeping what was read before and trying again');
          if (!this.stopped) {
            next.cancel = this.clock.setTimer(this.clock.now() + delay, () => {
              next.cancel = undefined;
              if (!this.stopped) this.fetch(key, true);
            });
          }
          return false;
        },
      )
      .then((changed) => {
        this.fetching.delete(key);
        if (changed) this.schedule(0);
      });
  }

  private async readConfigMap(namespace: string, name: string): Promise<ConfigMapRead> {
    try {
      const cm = await this.options.clients.core.readNamespacedConfigMap({ namespace, name });
      // Read with the controller's rights on behalf of an Expectation's author: without the label, nothing of it is kept.
      if (this.options.requireValuesSourceLabel === true && cm.metadata?.labels?.[VALUES_SOURCE_LABEL] !== 'true') return { data: undefined, unlabelled: true };
      return { data: cm.data ?? {} };
    } catch (error) {
      if (statusOf(error) === 404) return { data: undefined };
      throw error;
    }
  }

  private armRefresh(): void {
    const every = this.options.configMapRefreshMs ?? 300_000;
    this.cancelRefresh = this.clock.setTimer(this.clock.now() + every, () => {
      if (this.stopped) return;
      const wanted = new Set(this.referencedConfigMaps(this.informers.Expectation.list().flatMap((o) => {
        const r = this.validate('Expectation', o);
        return r.ok ? [r.object as Expectation] : [];
      })));
      for (const key of [...this.configMaps.keys()]) if (!wanted.has(key)) this.configMaps.delete(key);
      for (const key of wanted) this.fetch(key);
      this.armRefresh();
    });
  }
}

/** The metadata a declared object carries; server-set fields (managedFields, deletionTimestamp, ...) are left out. */
const DECLARED_METADATA: ReadonlySet<string> = new Set(['name', 'namespace', 'uid', 'generation', 'resourceVersion', 'creationTimestamp', 'labels', 'annotations']);

/**
 * The informer's metadata itself when it holds nothing else (a lean object's, leanObjects.ts),
 * else a copy of the declared fields: the World's object then shares the informer's.
 */
function declaredMetadata(raw: RawObject): Record<string, unknown> {
  const m = (raw.metadata ?? {}) as Record<string, unknown>;
  let lean = m.name !== undefined && m.namespace !== undefined;
  for (const key in m) if (!DECLARED_METADATA.has(key) || m[key] === undefined) lean = false;
  if (lean) return m;
  const out: Record<string, unknown> = { name: m.name, namespace: m.namespace };
  for (const key of DECLARED_METADATA) if (key !== 'name' && key !== 'namespace' && m[key] !== undefined) out[key] = m[key];
  return out;
}
