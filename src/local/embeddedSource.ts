/**
 * A DefinitionSource with spec.s3 found in the manifest directory of `homeostat dev`: its bucket is
 * listed and read by the controller's S3 reader and planned by the loader's pure core (src/sources:
 * checksums, parseFile, the whole-graph checks, prune), exactly as in a cluster. What a cluster
 * would hold is held here: the objects applied, with the loader's label and annotations, so a
 * removed key suspends its Dags and Expectations (prune: Suspend) and putting it back resumes
 * them, and an unchanged scan changes nothing.
 *
 * Credentials: embedded mode has no Secrets, so the S3 client uses the AWS SDK's default chain
 * (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE and ~/.aws, SSO, instance roles) of the
 * user running `homeostat dev`; spec.s3.credentialsSecretRef is not read (it is said once).
 */
import type { Condition, DefinitionSource, HomeostatObject } from '../api/types.js';
import { parseDuration } from '../api/duration.js';
import type { Logger } from '../runtime/log.js';
import {
  DIGEST_ANNOTATION,
  type FileStatus,
  idOf,
  type LiveObject,
  PRUNED_ANNOTATION,
  type ScanState,
  SOURCE_FILE_ANNOTATION,
  SOURCE_LABEL,
  sourceLabelValue,
  SourceUnreachable,
} from '../sources/model.js';
import type { S3Reader } from '../sources/s3Reader.js';
import { scanEntries } from '../sources/scan.js';
import type { StoredSource } from './statusFile.js';
import { notReadyConditions, scannedStatus, type SourceStatus } from '../sources/sourceStatus.js';

/** What one scan did, for the log and the tests. */
export interface EmbeddedScan {
  /** Objects applied or suspended: the declared world changed. */
  changed: boolean;
  read: number;
}

export class EmbeddedS3Source {
  private state: ScanState = new Map();
  /** What a cluster would hold from this source, by Kind/name. */
  private readonly held = new Map<string, HomeostatObject>();
  private files: FileStatus[] = [];
  private readerKey: string | undefined;
  private reader: S3Reader | undefined;
  private close: (() => void) | undefined;
  /** Why the last scan could not list the bucket (nothing is suspended because of it). */
  unreachable: string | undefined;
  /** Failed scans in a row: the next one waits longer. */
  failures = 0;
  scans = 0;
  private saidSecretRef = false;
  private revision = '';
  private conditions: Condition[] | undefined;
  private lastStatus: SourceStatus | undefined;

  constructor(public source: DefinitionSource, private readonly log: Logger) {}

  get name(): string {
    return this.source.metadata.name;
  }

  get namespace(): string {
    return this.source.metadata.namespace ?? 'default';
  }

  /** Where the objects come from, as file problems name it: s3://bucket/prefix. */
  get location(): string {
    const s3 = this.source.spec.s3;
    return `s3://${s3?.bucket ?? '?'}/${s3?.prefix ?? ''}`;
  }

  /** Milliseconds to the next scan: the interval, or a backoff from 1 s after a failure. */
  nextScanMs(): number {
    const parsed = parseDuration(this.source.spec.interval ?? '30s');
    const interval = parsed.ok && parsed.value >= 1_000 ? parsed.value : 30_000;
    return this.failures > 0 ? Math.min(interval, 1_000 * 2 ** (this.failures - 1)) : interval;
  }

  /**
   * Lists the bucket, reads what changed and plans. `others` are the objects declared elsewhere
   * (the directory, other sources): the graph checks see them, and one of them is not overwritten.
   */
  async scan(others: readonly HomeostatObject[]): Promise<EmbeddedScan> {
    const { spec } = this.source;
    if (spec.suspend === true || spec.s3 === undefined) return { changed: false, read: 0 };
    this.scans++;
    const reader = await this.readerOf();
    try {
      const entries = await reader.list();
      const label = sourceLabelValue(this.name);
      const live: LiveObject[] = [
        ...others.filter((o) => (o.metadata.namespace ?? 'default') === this.namespace).map((object) => ({ object, source: object.metadata.labels?.[SOURCE_LABEL] ?? 'the manifest directory', pruned: false })),
        ...[...this.held.values()].map((object) => liveOf(object, label)),
      ];
      const plan = await scanEntries(entries, this.state, { source: this.name, namespace: this.namespace, prune: spec.prune ?? 'Suspend', live });
      for (const step of plan.apply) this.held.set(idOf(step.object), step.object);
      for (const step of plan.prune) {
        if (step.action === 'Delete') this.held.delete(idOf(step.id));
        else if (step.object !== undefined) this.held.set(idOf(step.id), step.object);
        this.log.info({ source: this.name, file: step.file }, `${idOf(step.id)}: ${this.location}${step.file} is gone; ${step.action === 'Delete' ? 'deleted' : 'suspended'}`);
      }
      for (const step of plan.apply) if (step.why === 'Resumed') this.log.info({ source: this.name, file: step.file }, `${idOf(step.object)}: ${this.location}${step.file} is back; resumed`);
      const problemsBefore = JSON.stringify(this.files.filter((f) => f.problem !== undefined));
      this.state = plan.state;
      this.files = plan.files;
      for (const f of plan.files) if (f.problem !== undefined && plan.read.includes(f.path)) this.log.warn({ source: this.name, file: f.path }, `${this.location}${f.path} is not applied: ${f.problem}`);
      const wasUnreachable = this.unreachable !== undefined;
      this.unreachable = undefined;
      this.failures = 0;
      this.revision = plan.revision;
      const changed = plan.apply.length > 0 || plan.prune.length > 0 || wasUnreachable || problemsBefore !== JSON.stringify(this.files.filter((f) => f.problem !== undefined));
      this.noteStatus(scannedStatus({ files: this.files, revision: this.revision, suspended: this.suspendedCount() }, this.source.metadata.generation ?? 0, Date.now(), this.conditions));
      return { changed, read: plan.read.length };
    } catch (error) {
      this.failures++;
      const message = (error as Error).message;
      const changed = this.unreachable !== message;
      if (changed) this.log.warn({ source: this.name, reason: error instanceof SourceUnreachable ? error.reason : 'ScanFailed' }, `DefinitionSource ${this.name}: ${message}; its objects stay as they are, and it is tried again`);
      this.unreachable = message;
      const reason = error instanceof SourceUnreachable ? error.reason : 'ScanFailed';
      this.noteStatus({ ...(this.lastStatus ?? {}), observedGeneration: this.source.metadata.generation ?? 0, conditions: notReadyConditions(reason, message, this.source.metadata.generation ?? 0, Date.now(), this.conditions) });
      return { changed, read: 0 };
    }
  }

  /**
   * The source's status as the controller would write it (src/sources/sourceStatus.ts), for
   * status.json and `homeostat sources -d DIR`; undefined before its first scan.
   */
  status(): SourceStatus | undefined {
    return this.lastStatus;
  }

  /** The source as status.json keeps it. */
  stored(): StoredSource {
    const { metadata } = this.source;
    const status = this.lastStatus;
    return {
      apiVersion: this.source.apiVersion,
      kind: 'DefinitionSource',
      metadata: { name: metadata.name, namespace: this.namespace, ...(metadata.generation !== undefined ? { generation: metadata.generation } : {}), ...(metadata.creationTimestamp !== undefined ? { creationTimestamp: metadata.creationTimestamp } : {}) },
      spec: this.source.spec as Record<string, unknown>,
      ...(status !== undefined ? { status } : {}),
    };
  }

  private noteStatus(status: SourceStatus): void {
    this.conditions = status.conditions;
    this.lastStatus = { ...status, lastScanTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') };
  }

  private suspendedCount(): number {
    return [...this.held.values()].filter((o) => o.metadata.annotations?.[PRUNED_ANNOTATION] !== undefined).length;
  }

  /** Objects fetched from the bucket since the source was loaded (an unchanged object is not fetched again). */
  get gets(): number {
    return this.reader?.gets ?? 0;
  }

  /** The objects this source holds now (suspended ones included), as a cluster would. */
  objects(): HomeostatObject[] {
    return [...this.held.values()].sort((a, b) => (idOf(a) < idOf(b) ? -1 : 1));
  }

  /** Files with a problem, and the bucket itself when it cannot be listed. */
  problems(): { file: string; message: string; kept: number }[] {
    const out = this.files.filter((f) => f.problem !== undefined).map((f) => ({ file: `${this.location}${f.path}`, message: f.problem as string, kept: f.objects.length }));
    if (this.unreachable !== undefined) out.unshift({ file: this.location, message: `DefinitionSource ${this.name}: ${this.unreachable}`, kept: this.held.size });
    const suspended = [...this.held.values()].filter((o) => o.metadata.annotations?.[PRUNED_ANNOTATION] !== undefined);
    for (const o of suspended) out.push({ file: `${this.location}${o.metadata.annotations?.[SOURCE_FILE_ANNOTATION] ?? '?'}`, message: `${idOf(o)} is suspended: its file is gone`, kept: 1 });
    return out;
  }

  /** The source's declaration is gone from the directory: its Dags and Expectations are suspended as if every file were. */
  suspendAll(): boolean {
    let changed = false;
    for (const [id, o] of this.held) {
      if ((o.kind !== 'Dag' && o.kind !== 'Expectation') || o.metadata.annotations?.[PRUNED_ANNOTATION] !== undefined) continue;
      this.held.set(id, { ...o, metadata: { ...o.metadata, annotations: { ...o.metadata.annotations, [PRUNED_ANNOTATION]: `DefinitionSource ${this.name} is no longer declared` } }, spec: { ...o.spec, suspend: true } } as HomeostatObject);
      changed = true;
    }
    // Its next scan (when it is declared again) applies every file afresh, which resumes them.
    this.state = new Map();
    return changed;
  }

  stop(): void {
    this.close?.();
  }

  private async readerOf(): Promise<S3Reader> {
    // Loaded on first use (before anything is read from this object, so two scans never race on
    // it): the AWS SDK costs a run without S3 sources memory for nothing.
    const { s3Client, S3Reader } = await import('../sources/s3Reader.js');
    const s3 = this.source.spec.s3;
    if (s3 === undefined) throw new Error('not an S3 source');
    const key = JSON.stringify(s3);
    if (this.reader !== undefined && key === this.readerKey) return this.reader;
    this.close?.();
    if (s3.credentialsSecretRef !== undefined && !this.saidSecretRef) {
      this.saidSecretRef = true;
      this.log.warn({ source: this.name }, `DefinitionSource ${this.name}: spec.s3.credentialsSecretRef is not read in embedded mode (there are no Secrets); the AWS SDK's default chain is used (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, ~/.aws)`);
    }
    const client = s3Client(s3);
    this.readerKey = key;
    this.reader = new S3Reader(client, s3);
    this.close = () => client.destroy();
    this.state = new Map();
    return this.reader;
  }
}

/** An object as the cluster's cache would describe it to the planner. */
function liveOf(object: HomeostatObject, label: string): LiveObject {
  const annotations = object.metadata.annotations ?? {};
  return {
    object,
    source: object.metadata.labels?.[SOURCE_LABEL] ?? label,
    ...(annotations[SOURCE_FILE_ANNOTATION] !== undefined ? { file: annotations[SOURCE_FILE_ANNOTATION] } : {}),
    ...(annotations[DIGEST_ANNOTATION] !== undefined ? { digest: annotations[DIGEST_ANNOTATION] } : {}),
    pruned: annotations[PRUNED_ANNOTATION] !== undefined,
  };
}
