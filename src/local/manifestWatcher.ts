import { type FSWatcher, watch } from 'node:fs';
import type { DefinitionSource, HomeostatObject } from '../api/types.js';
import type { Logger } from '../runtime/log.js';
import type { DeclaredState } from '../runtime/reconciler.js';
import { DirectoryReader } from '../sources/directoryReader.js';
import { PRUNED_ANNOTATION, SOURCE_FILE_ANNOTATION, type SourceEntry } from '../sources/model.js';
import { EmbeddedS3Source } from './embeddedSource.js';
import { declare, type FileObjects, readManifestFile } from './manifestFile.js';

/** A manifest file that could not be used as it is now. */
export interface FileProblem {
  /** Relative to the manifest directory. */
  file: string;
  message: string;
  /** Objects still in effect from the file's last good version (0: the file is skipped). */
  kept: number;
}

export interface ManifestState extends DeclaredState {
  /** Broken files, in path order. */
  problems: FileProblem[];
}

export interface WatcherOptions {
  log: Logger;
  /** Called after a poll that changed anything (not after the first load). */
  onChange: (state: ManifestState) => void;
  /** How often files are looked at again. Defaults to 500 ms. */
  pollMs?: number;
}

interface Entry {
  /** sha256 of the contents, from the directory reader (src/sources), which reopens only files whose size, mtime or inode moved. */
  checksum: string;
  /** The objects of the file's latest good version. */
  good: FileObjects | undefined;
  problem: string | undefined;
  /** The file is gone: its last good objects stay, its Dags and Expectations suspended, until it is back. */
  removed?: boolean;
}

/**
 * What a file that is gone leaves in effect: its objects, Dags and Expectations suspended (their
 * history kept) with the annotations a DefinitionSource's loader puts on what it suspends, so
 * their status says why (the Suspended condition, reason SourceFileRemoved).
 */
const suspended = (objects: FileObjects, file: string): FileObjects => ({
  ...objects,
  objects: objects.objects.map((o) => (o.kind === 'Dag' || o.kind === 'Expectation'
    ? ({ ...o, metadata: { ...o.metadata, annotations: { ...o.metadata.annotations, [SOURCE_FILE_ANNOTATION]: file, [PRUNED_ANNOTATION]: `file ${file} is gone` } }, spec: { ...o.spec, suspend: true } } as typeof o)
    : o)),
});

/** readManifestFile validates DefinitionSources too; the engine has no use for them, the watcher does. */
const isS3Source = (o: { kind: string }): boolean => o.kind === 'DefinitionSource';

/**
 * Watches a manifest directory as a directory DefinitionSource reads one (src/sources'
 * DirectoryReader: every *.yaml, *.yml and *.json below it, except dot-named ones, the compact
 * JSON DAG shape included): on each poll, and at once when fs.watch says something moved, files
 * whose size, mtime or inode changed are read again and checksummed (sha256); only a changed
 * checksum parses and validates the file.
 * A broken file is reported once per version, and keeps its last good objects while it stays
 * broken (a file never good is skipped). A removed file suspends its Dags and Expectations (as a
 * DefinitionSource's prune: Suspend does): their run history and successes are kept, and putting
 * the file back resumes them without re-running what already succeeded.
 *
 * A DefinitionSource with spec.s3 in the directory is loaded too (EmbeddedS3Source: the
 * controller's reader and planner), scanned on its interval; its objects join the directory's.
 */
export class ManifestWatcher {
  private readonly entries = new Map<string, Entry>();
  private readonly reader: DirectoryReader;
  /** S3 DefinitionSources declared in the directory (and those declared before, their objects suspended), by namespace/name. */
  private readonly sources = new Map<string, { source: EmbeddedS3Source; declared: boolean; timer?: NodeJS.Timeout }>();
  private readonly saidDirectorySources = new Set<string>();
  /** Files parsed since the watcher started (an unchanged file is neither read nor parsed again). */
  parsed = 0;
  private readonly generations = new Map<string, { spec: string; generation: number; created: string }>();
  private timer: NodeJS.Timeout | undefined;
  private watcher: FSWatcher | undefined;
  private polling: Promise<boolean> | undefined;
  private pollAgain = false;
  private stopped = false;

  constructor(readonly dir: string, private readonly options: WatcherOptions) {
    this.reader = new DirectoryReader(dir);
  }

  /** Files opened to be checksummed since the watcher started. */
  get opened(): number {
    return this.reader.opened;
  }

  /** The S3 DefinitionSources loaded from the directory. */
  s3Sources(): EmbeddedS3Source[] {
    return [...this.sources.values()].map((s) => s.source);
  }

  /** Reads the directory once and starts watching it; resolves to what it declares. */
  async start(): Promise<ManifestState> {
    await this.poll();
    this.timer = setInterval(() => void this.poll().then((changed) => changed && !this.stopped && this.options.onChange(this.state())), this.options.pollMs ?? 500);
    try {
      this.watcher = watch(this.dir, { recursive: true }, (_event, name) => {
        if (name !== null && String(name).split(/[\\/]/).some((part) => part.startsWith('.'))) return;
        void this.poll().then((changed) => changed && !this.stopped && this.options.onChange(this.state()));
      });
      this.watcher.on('error', () => this.watcher?.close());
    } catch {
      // Polling alone is enough; fs.watch only makes changes show up sooner.
    }
    return this.state();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.watcher?.close();
    for (const s of this.sources.values()) {
      clearTimeout(s.timer);
      s.source.stop();
    }
  }

  /** Looks at every file once; resolves to whether anything declared changed. One poll at a time. */
  poll(): Promise<boolean> {
    if (this.polling !== undefined) {
      this.pollAgain = true;
      return Promise.resolve(false);
    }
    this.polling = this.scan().finally(() => (this.polling = undefined));
    return this.polling.then(async (changed) => {
      if (!this.pollAgain || this.stopped) return changed;
      this.pollAgain = false;
      return (await this.poll()) || changed;
    });
  }

  /** What the directory declares now: objects of every good file and last good versions of broken ones. */
  state(): ManifestState {
    const files = [...this.entries.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const problems: FileProblem[] = files.flatMap(([file, e]) => {
      if (e.removed === true) return [{ file, message: `${file} is gone: its Dags and Expectations are suspended until it is back`, kept: e.good?.objects.length ?? 0 }];
      return e.problem !== undefined ? [{ file, message: e.problem, kept: e.good?.objects.length ?? 0 }] : [];
    });
    const declared = files.map(([file, e]) => ({ file, objects: e.removed === true && e.good !== undefined ? suspended(withoutSources(e.good) as FileObjects, file) : withoutSources(e.good) }));
    for (const { source } of this.sources.values()) {
      declared.push({ file: `${source.location} (DefinitionSource ${source.name})`, objects: { objects: source.objects(), configMaps: [] } });
      problems.push(...source.problems());
    }
    const { world, side, duplicates } = declare(declared, (object) => this.stamp(object));
    for (const d of duplicates) problems.push({ file: d.file, message: d.message, kept: 0 });
    return { world, side, problems };
  }

  /** The objects of the directory's files now (for a source's graph checks and duplicates). */
  private directoryObjects(): HomeostatObject[] {
    return [...this.entries.values()].flatMap((e) => withoutSources(e.good)?.objects ?? []);
  }

  /**
   * Starts loading the S3 DefinitionSources the directory declares now (their first scan is
   * awaited, so a first state has their objects), updates changed ones, and suspends the objects
   * of those no longer declared. Directory DefinitionSources are not loaded: the directory is one.
   */
  private async syncSources(): Promise<boolean> {
    const wanted = new Map<string, DefinitionSource>();
    for (const [file, e] of this.entries) {
      if (e.removed === true) continue;
      for (const o of e.good?.objects ?? []) {
        if (!isS3Source(o)) continue;
        const source = o as unknown as DefinitionSource;
        const key = `${source.metadata.namespace ?? 'default'}/${source.metadata.name}`;
        if (source.spec.s3 !== undefined) wanted.set(key, source);
        else if (!this.saidDirectorySources.has(key)) {
          this.saidDirectorySources.add(key);
          this.options.log.warn({ file, source: key }, `DefinitionSource ${key} (${file}) reads a directory: not loaded in embedded mode, where the manifest directory is the directory source; put its files under ${this.dir}`);
        }
      }
    }
    let changed = false;
    const scans: Promise<void>[] = [];
    for (const [key, source] of wanted) {
      const known = this.sources.get(key);
      if (known !== undefined && known.declared && JSON.stringify(known.source.source.spec) === JSON.stringify(source.spec)) continue;
      const tracked = known ?? { source: new EmbeddedS3Source(source, this.options.log.child({ source: key })), declared: true };
      tracked.source.source = source;
      tracked.declared = true;
      this.sources.set(key, tracked);
      clearTimeout(tracked.timer);
      scans.push(this.scanSource(key).then((c) => void (changed ||= c)));
    }
    await Promise.all(scans);
    for (const [key, tracked] of this.sources) {
      if (wanted.has(key) || !tracked.declared) continue;
      tracked.declared = false;
      clearTimeout(tracked.timer);
      if (tracked.source.suspendAll()) changed = true;
      this.options.log.info({ source: key }, `DefinitionSource ${key} is no longer declared; its Dags and Expectations are suspended until it is back`);
    }
    return changed;
  }

  /** One scan of a source, then the next one on its interval (sooner after a failure). */
  private async scanSource(key: string): Promise<boolean> {
    const tracked = this.sources.get(key);
    if (tracked === undefined || !tracked.declared || this.stopped) return false;
    const others = [...this.directoryObjects(), ...[...this.sources.values()].filter((s) => s !== tracked).flatMap((s) => s.source.objects())];
    const result = await tracked.source.scan(others);
    if (!this.stopped && tracked.declared) {
      clearTimeout(tracked.timer);
      tracked.timer = setTimeout(() => void this.scanSource(key).then((c) => c && !this.stopped && this.options.onChange(this.state())), tracked.source.nextScanMs());
      tracked.timer.unref();
    }
    return result.changed;
  }

  private async scan(): Promise<boolean> {
    let listed: SourceEntry[];
    try {
      listed = await this.reader.list();
    } catch (error) {
      this.options.log.error({ err: error, dir: this.dir }, 'the manifest directory cannot be read; keeping what was read before');
      return false;
    }
    let changed = false;
    const present = new Set(listed.map((f) => f.path));
    for (const [file, entry] of [...this.entries]) {
      if (present.has(file) || entry.removed === true) continue;
      changed = true;
      if (entry.good === undefined || entry.good.objects.length === 0) {
        this.entries.delete(file);
        continue;
      }
      entry.removed = true;
      this.options.log.info({ file }, 'manifest file removed; its Dags and Expectations are suspended until it is back');
    }
    for (const entry of listed) if (await this.refresh(entry)) changed = true;
    if (changed && (await this.syncSources())) changed = true;
    return changed;
  }

  /** Reads one file again if its checksum changed; true when its objects or problem changed. */
  private async refresh(listed: SourceEntry): Promise<boolean> {
    const file = listed.path;
    const entry = this.entries.get(file);
    if (entry !== undefined && entry.checksum === listed.checksum) {
      if (entry.removed !== true) return false;
      entry.removed = false;
      this.options.log.info({ file }, `${file} is back; its objects are resumed`);
      return true;
    }
    let text: string;
    try {
      text = await listed.read();
    } catch (error) {
      text = '';
      const problem = `${file}: cannot be read: ${(error as Error).message}`;
      if (entry?.problem === problem) return false;
      this.entries.set(file, { checksum: listed.checksum, good: entry?.good, problem });
      this.options.log.warn({ file, problem }, `${file} cannot be read; ${entry?.good !== undefined ? 'keeping its last good version' : 'skipped'}`);
      return true;
    }
    this.parsed++;
    const read = readManifestFile(text, file);
    const next: Entry = { checksum: listed.checksum, good: read.ok ? read.objects : entry?.good, problem: read.ok ? undefined : read.problem };
    this.entries.set(file, next);
    const log = this.options.log;
    if (!read.ok) {
      const kept = next.good?.objects.length ?? 0;
      log.warn({ file, problem: read.problem }, kept > 0 ? `${file} is not valid; keeping its last good version (${kept} objects)` : `${file} is not valid; skipped`);
    } else if (entry?.problem !== undefined) {
      log.info({ file }, `${file} is valid again`);
    } else {
      log.debug({ file, objects: read.objects.objects.length }, entry === undefined ? 'manifest file read' : 'manifest file changed');
    }
    return true;
  }

  /** Stamps what the API server would: a generation bumped when the spec changes, a creation time. */
  private stamp(object: { kind: string; metadata: { name: string; namespace?: string; generation?: number; creationTimestamp?: string }; spec?: unknown }): void {
    const key = `${object.kind}/${object.metadata.namespace ?? 'default'}/${object.metadata.name}`;
    const spec = JSON.stringify(object.spec ?? null);
    let known = this.generations.get(key);
    if (known === undefined) this.generations.set(key, (known = { spec, generation: 1, created: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') }));
    else if (known.spec !== spec) Object.assign(known, { spec, generation: known.generation + 1 });
    object.metadata.generation ??= known.generation;
    object.metadata.creationTimestamp ??= known.created;
  }
}

/** The file's objects without its DefinitionSources (loaded by the watcher, not by the engine). */
function withoutSources(objects: FileObjects | undefined): FileObjects | undefined {
  if (objects === undefined || !objects.objects.some((o) => isS3Source(o))) return objects;
  return { ...objects, objects: objects.objects.filter((o) => !isS3Source(o)) };
}
