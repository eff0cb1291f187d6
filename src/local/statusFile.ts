import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { API_VERSION } from '../api/schema/index.js';
import { DAG_LABEL } from '../api/wellKnown.js';
import type { GraphProblem } from '../api/graphChecks.js';
import type { Condition, HomeostatObject } from '../api/types.js';
import type { EngineEvent, RunRecord } from '../engine/index.js';
// Pure (no client): the same label value the controller writes on its DagRuns.
import { labelValue } from '../kube/labels.js';
import type { Logger } from '../runtime/log.js';
import type { ObjectRef, StatusWriter } from '../runtime/ports.js';
import { validityStatus } from '../runtime/statusDocuments.js';
import { writeFileAtomic } from './atomicFile.js';
import { LOCAL_DIR } from './stateFile.js';

export const defaultStatusPath = (manifestDir: string): string => join(manifestDir, LOCAL_DIR, 'status.json');

/** One object as `kubectl get -o json` would show it. */
export interface StoredObject {
  apiVersion: string;
  kind: ObjectRef['kind'];
  metadata: { name: string; namespace: string; creationTimestamp?: string; generation?: number; labels?: Record<string, string> };
  spec: Record<string, unknown>;
  status?: Record<string, unknown>;
}

/** A DefinitionSource of the manifest directory with the status its last scan gave (embedded mode loads S3 ones). */
export interface StoredSource {
  apiVersion: string;
  kind: 'DefinitionSource';
  metadata: { name: string; namespace: string; creationTimestamp?: string; generation?: number };
  spec: Record<string, unknown>;
  status?: Record<string, unknown>;
}

export interface StoredEvent extends EngineEvent {
  time: string;
}

/** status.json: what `homeostat get` reads. */
export interface StatusDocument {
  format: 'homeostat.dev/local-status';
  version: 1;
  updatedAt: string;
  objects: StoredObject[];
  /** The DefinitionSources loaded (absent when there is none): what `homeostat sources -d DIR` lists. */
  sources?: StoredSource[];
  events: StoredEvent[];
}

/** How many events status.json keeps, newest last. */
export const MAX_EVENTS = 200;

const keyOf = (o: { kind: string; namespace: string; name: string }): string => `${o.kind}/${o.namespace}/${o.name}`;

/**
 * The embedded StatusWriter: keeps every object's status as the controller would write it, the
 * DagRuns of the runs, and the latest events, and writes them to status.json (atomically, at most
 * every `delayMs`) for `homeostat get` and the progress display.
 */
export class FileStatusWriter implements StatusWriter {
  private declared: HomeostatObject[] = [];
  private sources: StoredSource[] = [];
  /** Valid=False statuses that override what the runtime wrote, by key (DagRuns naming no Dag). */
  private readonly invalid = new Map<string, { observedGeneration: number; conditions: Condition[] }>();
  private readonly statuses = new Map<string, Record<string, unknown>>();
  private readonly runs = new Map<string, StoredObject>();
  private readonly events: StoredEvent[] = [];
  private readonly created = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly listeners: (() => void)[] = [];
  private closed = false;

  constructor(readonly path: string, private readonly options: { log?: Logger; delayMs?: number } = {}) {
    try {
      const previous = JSON.parse(readFileSync(path, 'utf8')) as StatusDocument;
      for (const o of previous.objects ?? []) if (o.metadata.creationTimestamp !== undefined) this.created.set(keyOf({ kind: o.kind, ...o.metadata }), o.metadata.creationTimestamp);
    } catch {
      // No previous status: ages start now.
    }
  }

  /** Called after every change (the progress display redraws). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /**
   * The declared objects now; statuses of objects no longer declared are dropped. `problems` are
   * the graph problems the engine does not report itself (a DagRun whose Dag does not exist): each
   * shows as Valid=False with its reason and message, whatever the runtime writes for the object.
   */
  setObjects(objects: HomeostatObject[], problems: readonly GraphProblem[] = []): void {
    this.declared = objects;
    const keys = new Set(objects.map((o) => keyOf({ kind: o.kind, namespace: o.metadata.namespace ?? 'default', name: o.metadata.name })));
    for (const key of this.statuses.keys()) if (!keys.has(key)) this.statuses.delete(key);
    const generations = new Map(objects.map((o) => [keyOf({ kind: o.kind, namespace: o.metadata.namespace ?? 'default', name: o.metadata.name }), o.metadata.generation ?? 0]));
    const previous = new Map(this.invalid);
    this.invalid.clear();
    for (const p of problems) {
      const key = keyOf(p);
      if (!generations.has(key)) continue;
      this.invalid.set(key, validityStatus(p, generations.get(key) ?? 0, previous.get(key)?.conditions, Date.now()));
    }
    this.changed();
  }

  /** The DefinitionSources loaded from the directory, with their statuses. */
  setSources(sources: StoredSource[]): void {
    if (JSON.stringify(sources) === JSON.stringify(this.sources)) return;
    this.sources = sources;
    this.changed();
  }

  async writeStatus(object: ObjectRef, status: Record<string, unknown>): Promise<void> {
    this.statuses.set(keyOf(object), status);
    this.changed();
  }

  async writeRun(run: RunRecord, status: Record<string, unknown>): Promise<void> {
    const stamp = new Date(run.startedAt).toISOString().replace(/\.\d{3}Z$/, 'Z');
    this.runs.set(`${run.namespace}/${run.name}`, {
      apiVersion: API_VERSION,
      kind: 'DagRun',
      // The label the controller puts on the DagRuns it creates, so `get dr -l homeostat.dev/dag=NAME` works alike.
      metadata: { name: run.name, namespace: run.namespace, creationTimestamp: stamp, labels: { [DAG_LABEL]: labelValue(run.dag) } },
      spec: { dag: run.dag, period: run.period, reason: run.reason, ...(run.params !== undefined ? { params: run.params } : {}) },
      status,
    });
    this.changed();
  }

  async removeRun(run: RunRecord): Promise<void> {
    this.runs.delete(`${run.namespace}/${run.name}`);
    this.changed();
  }

  recordEvent(event: EngineEvent): void {
    this.events.push({ ...event, time: new Date().toISOString() });
    if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS);
    this.changed();
  }

  /** The latest events (at most MAX_EVENTS), oldest first: the web page's Events of an object. */
  recentEvents(): readonly StoredEvent[] {
    return this.events;
  }

  /** Everything as status.json holds it. */
  document(): StatusDocument {
    const objects: StoredObject[] = [];
    const runs = new Map(this.runs);
    for (const o of this.declared) {
      const ref = { kind: o.kind, namespace: o.metadata.namespace ?? 'default', name: o.metadata.name };
      const key = keyOf(ref);
      const run = o.kind === 'DagRun' ? runs.get(`${ref.namespace}/${ref.name}`) : undefined;
      if (run !== undefined) runs.delete(`${ref.namespace}/${ref.name}`);
      const invalid = this.invalid.get(key);
      const status = run?.status ?? (invalid !== undefined ? { ...this.statuses.get(key), ...invalid } : this.statuses.get(key));
      const creationTimestamp = this.created.get(key) ?? o.metadata.creationTimestamp;
      // A user's DagRun gets homeostat.dev/dag as the controller labels it, for `get dr -l`.
      const dag = o.kind === 'DagRun' ? (o.spec as { dag?: string }).dag : undefined;
      const labels = dag !== undefined ? { ...o.metadata.labels, [DAG_LABEL]: labelValue(dag) } : o.metadata.labels;
      objects.push({
        apiVersion: o.apiVersion,
        kind: o.kind,
        metadata: {
          name: ref.name,
          namespace: ref.namespace,
          ...(creationTimestamp !== undefined ? { creationTimestamp } : {}),
          ...(o.metadata.generation !== undefined ? { generation: o.metadata.generation } : {}),
          // For `homeostat get -l`: the labels the manifest gave.
          ...(labels !== undefined ? { labels } : {}),
        },
        spec: o.spec as Record<string, unknown>,
        ...(status !== undefined ? { status } : {}),
      });
    }
    objects.push(...runs.values());
    return { format: 'homeostat.dev/local-status', version: 1, updatedAt: new Date().toISOString(), objects, ...(this.sources.length > 0 ? { sources: this.sources } : {}), events: [...this.events] };
  }

  /** Writes status.json now, after any write in flight. */
  async flush(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.write();
  }

  /** Writes status.json one last time; later changes are kept in memory only. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
    if (this.closed) return;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.write();
    }, this.options.delayMs ?? 100);
  }

  private write(): Promise<void> {
    this.writing = this.writing.then(() => writeFileAtomic(this.path, `${JSON.stringify(this.document(), null, 1)}\n`)).catch((error: unknown) => void this.options.log?.error({ err: error, path: this.path }, 'writing the status file failed'));
    return this.writing;
  }
}
