/**
 * The DefinitionSource reconciler: each source is scanned on its interval, at once when its spec
 * or its homeostat.dev/scan-requested-at annotation changes, and again after a backoff when it
 * could not be reached. A scan lists the source, reads only what changed, plans (src/sources)
 * and carries the plan out: server-side applies as homeostat-loader (never forced; a conflict is
 * that file's problem), suspends or deletes for removed files, the status and Events. One
 * source's failure never stops another: scans run one at a time, each caught on its own.
 *
 * An unchanged periodic scan writes nothing, not even the status: lastScanTime is the end of the
 * last scan that changed something (a scan asked for with the annotation is acknowledged in
 * status.lastScanRequest).
 */
import { resolve, sep } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { parseDuration } from '../api/duration.js';
import type { Condition, DefinitionSource } from '../api/types.js';
import type { Logger } from '../runtime/log.js';
import type { Clock, ObjectRef } from '../runtime/ports.js';
import { DirectoryReader } from '../sources/directoryReader.js';
import { type FileStatus, idOf, type ScanState, SCAN_REQUESTED_ANNOTATION, type SourceEntry, SourceUnreachable, sourceLabelValue } from '../sources/model.js';
import { scanEntries } from '../sources/scan.js';
import { notReadyConditions, scannedStatus } from '../sources/sourceStatus.js';
import { guardedLookup } from './checkerPost.js';
import type { CheckerUrlPolicy } from './checkerUrlPolicy.js';
import type { EventRecorder } from './eventRecorder.js';
import { ApplyConflict, type SourceApi } from './sourceApi.js';

export interface SourceLoaderOptions {
  api: SourceApi;
  events: Pick<EventRecorder, 'record'>;
  log: Logger;
  clock: Clock;
  /**
   * Directories of the controller Pod a directory source may read (a source's path must be one of
   * them or below one). Defaults to none: directory sources are refused until the administrator
   * allows a directory (the chart's sources.directoryRoots).
   */
  directoryRoots?: readonly string[];
  /** The first retry after a failed scan, doubled per failure up to the interval. Defaults to 5 s. */
  retryInitialMs?: number;
  /**
   * Where an S3 source's `endpoint` may point: the controller's outbound policy (the one Http
   * checkers follow: loopback, link-local with the metadata service, and the API server refused
   * unless allowed). Checked before any request and again on every address the host resolves to.
   */
  endpointPolicy?: CheckerUrlPolicy;
}

interface Tracked {
  source: DefinitionSource;
  state: ScanState;
  /** What the reader was made for: a new spec makes a new reader and forgets the checksums. */
  readerKey?: string;
  reader?: { list(): Promise<SourceEntry[]>; close?(): void };
  timer?: () => void;
  failures: number;
  /** Scans in a row with a file that parsed but failed the whole-graph check (a reference not there yet). */
  unresolved: number;
  /** The status last written, without its times, to skip equal writes. */
  written?: string;
  conditions?: Condition[];
  handledRequest?: string;
  handledGeneration?: number;
  /** Problems already said in an Event, by file. */
  said: Map<string, string>;
  /** Applies the API server refused, by object and digest: not tried again until the file or a scan request changes. */
  refused: Map<string, string>;
  scans: number;
}

export class SourceLoader {
  private readonly sources = new Map<string, Tracked>();
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;
  /** API writes made (applies, deletes, status), for tests and the bench. */
  writes = 0;

  constructor(private readonly options: SourceLoaderOptions) {}

  /** A DefinitionSource was added or changed (the informer's add and update). */
  upsert(source: DefinitionSource): void {
    const key = keyOf(source);
    const tracked: Tracked = this.sources.get(key) ?? { source, state: new Map(), failures: 0, unresolved: 0, said: new Map(), refused: new Map(), scans: 0 };
    tracked.source = source;
    this.sources.set(key, tracked);
    const request = source.metadata.annotations?.[SCAN_REQUESTED_ANNOTATION];
    const asked = request !== undefined && request !== tracked.handledRequest;
    if (asked || tracked.handledGeneration !== (source.metadata.generation ?? 0)) this.schedule(key, 0);
    else if (tracked.timer === undefined) this.schedule(key, intervalOf(source));
  }

  delete(source: DefinitionSource): void {
    const tracked = this.sources.get(keyOf(source));
    tracked?.timer?.();
    tracked?.reader?.close?.();
    this.sources.delete(keyOf(source));
  }

  /** Scans completed for a source (tests wait on it). */
  scans(namespace: string, name: string): number {
    return this.sources.get(`${namespace}/${name}`)?.scans ?? 0;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.sources.values()) {
      t.timer?.();
      t.reader?.close?.();
    }
    await this.queue;
  }

  private schedule(key: string, inMs: number): void {
    const tracked = this.sources.get(key);
    if (tracked === undefined || this.stopped) return;
    tracked.timer?.();
    tracked.timer = this.options.clock.setTimer(this.options.clock.now() + inMs, () => {
      tracked.timer = undefined;
      this.queue = this.queue.then(() => this.scan(key)).catch((error: unknown) => this.options.log.error({ err: error, source: key }, 'a scan failed unexpectedly'));
    });
  }

  private async scan(key: string): Promise<void> {
    const tracked = this.sources.get(key);
    if (tracked === undefined || this.stopped) return;
    const { source } = tracked;
    const { name, namespace = 'default', generation = 0 } = source.metadata;
    const request = source.metadata.annotations?.[SCAN_REQUESTED_ANNOTATION];
    const interval = intervalOf(source);
    try {
      if (source.spec.suspend === true) {
        await this.notReady(tracked, 'Suspended', 'spec.suspend is true: not scanned; the objects applied stay as they are', request);
        return;
      }
      const reader = await this.readerOf(tracked);
      const entries = await reader.list();
      const live = this.options.api.live(namespace);
      const plan = await scanEntries(entries, tracked.state, { source: name, namespace, prune: source.spec.prune ?? 'Suspend', live });
      if (request !== tracked.handledRequest) tracked.refused.clear();
      const problems = new Map<string, string>();
      let applied = 0;
      for (const step of plan.apply) {
        const refusal = tracked.refused.get(stamp(step.object));
        if (refusal !== undefined) {
          problems.set(step.file, refusal);
          continue;
        }
        try {
          this.writes++;
          await this.options.api.apply(step.object);
          applied++;
          if (step.why === 'Resumed') {
            this.writes++;
            await this.options.api.forgetPruned(step.object.kind, namespace, step.object.metadata.name);
            this.event(source, 'Normal', 'Resumed', `${idOf(step.object)}: file ${step.file} is back`);
          }
        } catch (error) {
          if (!(error instanceof ApplyConflict) && !/HTTP 4\d\d/.test((error as Error).message)) throw error;
          tracked.refused.set(stamp(step.object), (error as Error).message);
          problems.set(step.file, (error as Error).message);
        }
      }
      for (const step of plan.prune) {
        this.writes++;
        if (step.action === 'Delete') await this.options.api.remove(step.id.kind, namespace, step.id.name);
        else if (step.object !== undefined) await this.options.api.apply(step.object);
        this.event(source, 'Normal', step.action === 'Delete' ? 'Deleted' : 'Suspended', `${idOf(step.id)}: file ${step.file} is gone`);
      }
      if (applied > 0) this.event(source, 'Normal', 'Applied', `applied ${applied} objects: ${plan.apply.slice(0, 10).map((s) => idOf(s.object)).join(', ')}${plan.apply.length > 10 ? ` and ${plan.apply.length - 10} more` : ''}`);
      tracked.state = plan.state;
      const files: FileStatus[] = plan.files.map((f) => (problems.has(f.path) && f.problem === undefined ? { ...f, problem: problems.get(f.path) as string } : f));
      for (const f of files) {
        if (f.problem !== undefined && tracked.said.get(f.path) !== f.problem) this.event(source, 'Warning', 'InvalidDefinition', `${f.path}: ${f.problem}`);
      }
      tracked.said = new Map(files.filter((f) => f.problem !== undefined).map((f) => [f.path, f.problem as string]));
      const label = sourceLabelValue(name);
      const suspended = this.options.api.live(namespace).filter((l) => l.source === label && l.pruned).length + plan.prune.filter((p) => p.action === 'Suspend').length;
      const status = scannedStatus({ files, revision: plan.revision, suspended, ...(request !== undefined ? { lastScanRequest: request } : {}) }, generation, this.options.clock.now(), tracked.conditions);
      await this.write(tracked, status);
      tracked.failures = 0;
      // A reference to an object another source (or a person) has not created yet: scan again soon
      // rather than an interval later. Nothing is read again and nothing written unless it resolves.
      const unresolved = files.some((f) => f.problem !== undefined && plan.state.get(f.path)?.declared !== undefined);
      tracked.unresolved = unresolved ? tracked.unresolved + 1 : 0;
      this.options.log.debug({ source: key, read: plan.read.length, applied, pruned: plan.prune.length }, 'scanned');
    } catch (error) {
      tracked.failures++;
      const unreachable = error instanceof SourceUnreachable;
      const reason = unreachable ? error.reason : 'ScanFailed';
      const message = (error as Error).message;
      this.event(source, 'Warning', reason, message);
      this.options.log.warn({ source: key, reason, failures: tracked.failures }, message);
      await this.notReady(tracked, reason, message, request).catch((e: unknown) => this.options.log.warn({ err: e, source: key }, 'writing the status failed'));
    } finally {
      tracked.handledRequest = request;
      tracked.handledGeneration = generation;
      tracked.scans++;
      const again = Math.max(tracked.failures, tracked.unresolved);
      this.schedule(key, again > 0 ? Math.min(interval, (this.options.retryInitialMs ?? 5_000) * 2 ** (again - 1)) : interval);
    }
  }

  private async readerOf(tracked: Tracked): Promise<{ list(): Promise<SourceEntry[]> }> {
    const { spec, metadata } = tracked.source;
    const readerKey = JSON.stringify([spec.directory, spec.s3]);
    if (tracked.reader !== undefined && tracked.readerKey === readerKey && spec.s3?.credentialsSecretRef === undefined) return tracked.reader;
    tracked.reader?.close?.();
    if (tracked.readerKey !== readerKey) tracked.state = new Map();
    tracked.readerKey = readerKey;
    if (spec.directory !== undefined) {
      const path = resolve(spec.directory.path);
      const roots = (this.options.directoryRoots ?? []).map((r) => resolve(r));
      if (!roots.some((r) => path === r || path.startsWith(r.endsWith(sep) ? r : r + sep))) {
        throw new SourceUnreachable('DirectoryNotAllowed', `directory ${spec.directory.path} is not one the administrator allows sources to read (${roots.length === 0 ? 'none is allowed' : roots.join(', ')})`);
      }
      tracked.reader = new DirectoryReader(path, roots);
      return tracked.reader;
    }
    const s3 = spec.s3;
    if (s3 === undefined) throw new SourceUnreachable('InvalidSpec', 'give spec.directory or spec.s3');
    const policy = this.options.endpointPolicy;
    if (policy !== undefined && s3.endpoint !== undefined) {
      let url: URL;
      try {
        url = new URL(s3.endpoint);
      } catch {
        throw new SourceUnreachable('EndpointRefused', `endpoint ${JSON.stringify(s3.endpoint)} is not a URL`);
      }
      const decision = policy.checkUrl(url);
      if (!decision.ok) throw new SourceUnreachable('EndpointRefused', `endpoint ${s3.endpoint} is refused: ${decision.reason}`);
    }
    const lookup = policy !== undefined ? guardedLookup(policy) : undefined;
    // Loaded on first use: the AWS SDK costs a controller without S3 sources memory for nothing.
    const { s3Client, S3Reader } = await import('../sources/s3Reader.js');
    let client: S3Client;
    if (s3.credentialsSecretRef !== undefined) {
      // Read on every scan: a rotated key is used at the next scan, and a Secret that stops
      // allowing this source stops it.
      let credentials;
      try {
        credentials = await this.options.api.credentials(metadata.namespace ?? 'default', s3.credentialsSecretRef.name, metadata.name);
      } catch (error) {
        throw new SourceUnreachable('CredentialsUnavailable', (error as Error).message);
      }
      client = s3Client(s3, credentials, undefined, lookup);
    } else client = s3Client(s3, undefined, undefined, lookup);
    const reader = new S3Reader(client, s3);
    tracked.reader = { list: () => reader.list(), close: () => client.destroy() };
    return tracked.reader;
  }

  private async notReady(tracked: Tracked, reason: string, message: string, request: string | undefined): Promise<void> {
    const { generation = 0 } = tracked.source.metadata;
    const conditions = notReadyConditions(reason, message, generation, this.options.clock.now(), tracked.conditions);
    await this.write(tracked, { ...(tracked.source.status ?? {}), observedGeneration: generation, ...(request !== undefined ? { lastScanRequest: request } : {}), conditions });
  }

  private async write(tracked: Tracked, status: Record<string, unknown> & { conditions: Condition[] }): Promise<void> {
    const comparable = JSON.stringify({ ...status, lastScanTime: undefined });
    if (comparable === tracked.written) return;
    const { name, namespace = 'default' } = tracked.source.metadata;
    this.writes++;
    await this.options.api.writeStatus(namespace, name, { ...status, lastScanTime: new Date(this.options.clock.now()).toISOString().replace(/\.\d+Z$/, 'Z') });
    tracked.written = comparable;
    tracked.conditions = status.conditions;
  }

  private event(source: DefinitionSource, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const ref = { kind: 'DefinitionSource', namespace: source.metadata.namespace ?? 'default', name: source.metadata.name } as unknown as ObjectRef;
    this.options.events.record(ref, type, reason, message);
  }
}

const keyOf = (source: DefinitionSource): string => `${source.metadata.namespace ?? 'default'}/${source.metadata.name}`;
const stamp = (object: { kind: string; metadata: { name: string; annotations?: Record<string, string> } }): string => `${object.kind}/${object.metadata.name}@${object.metadata.annotations?.['homeostat.dev/source-digest'] ?? ''}`;

function intervalOf(source: DefinitionSource): number {
  const parsed = parseDuration(source.spec.interval ?? '30s');
  return parsed.ok && parsed.value >= 1_000 ? parsed.value : 30_000;
}
