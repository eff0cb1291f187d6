import { createHash } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import type { Logger } from '../runtime/log.js';
import type { DeclaredState } from '../runtime/reconciler.js';
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
  mtimeMs: number;
  size: number;
  checksum: string;
  /** The objects of the file's latest good version. */
  good: FileObjects | undefined;
  problem: string | undefined;
  /** The file is gone: its last good objects stay, its Dags and Expectations suspended, until it is back. */
  removed?: boolean;
}

/** What a file that is gone leaves in effect: its objects, Dags and Expectations suspended (their history kept). */
const suspended = (objects: FileObjects): FileObjects => ({
  ...objects,
  objects: objects.objects.map((o) => (o.kind === 'Dag' || o.kind === 'Expectation' ? ({ ...o, spec: { ...o.spec, suspend: true } } as typeof o) : o)),
});

/**
 * Watches a manifest directory (every *.yaml and *.yml below it, except dot-named ones): on each
 * poll, and at once when fs.watch says something moved, files whose size or mtime changed are
 * read again and checksummed (sha256); only a changed checksum parses and validates the file.
 * A broken file is reported once per version, and keeps its last good objects while it stays
 * broken (a file never good is skipped). A removed file suspends its Dags and Expectations (as a
 * DefinitionSource's prune: Suspend does): their run history and successes are kept, and putting
 * the file back resumes them without re-running what already succeeded.
 */
export class ManifestWatcher {
  private readonly entries = new Map<string, Entry>();
  private readonly generations = new Map<string, { spec: string; generation: number; created: string }>();
  private timer: NodeJS.Timeout | undefined;
  private watcher: FSWatcher | undefined;
  private polling: Promise<boolean> | undefined;
  private pollAgain = false;
  private stopped = false;

  constructor(readonly dir: string, private readonly options: WatcherOptions) {}

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
    const { world, side, duplicates } = declare(files.map(([file, e]) => ({ file, objects: e.removed === true && e.good !== undefined ? suspended(e.good) : e.good })), (object) => this.stamp(object));
    for (const d of duplicates) problems.push({ file: d.file, message: d.message, kept: 0 });
    return { world, side, problems };
  }

  private async scan(): Promise<boolean> {
    let files: string[];
    try {
      files = await listManifests(this.dir);
    } catch (error) {
      this.options.log.error({ err: error, dir: this.dir }, 'the manifest directory cannot be read; keeping what was read before');
      return false;
    }
    let changed = false;
    const present = new Set(files.map((f) => relative(this.dir, f)));
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
    for (const path of files) if (await this.refresh(path)) changed = true;
    return changed;
  }

  /** Reads one file again if it may have changed; true when its objects or problem changed. */
  private async refresh(path: string): Promise<boolean> {
    const file = relative(this.dir, path);
    const entry = this.entries.get(file);
    let info: { mtimeMs: number; size: number };
    let bytes: Buffer;
    try {
      info = await stat(path);
      if (entry !== undefined && entry.removed !== true && entry.mtimeMs === info.mtimeMs && entry.size === info.size) return false;
      bytes = await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false; // removed meanwhile: the next scan sees it
      throw error;
    }
    const checksum = createHash('sha256').update(bytes).digest('hex');
    if (entry !== undefined && entry.checksum === checksum) {
      const back = entry.removed === true;
      Object.assign(entry, { mtimeMs: info.mtimeMs, size: info.size, removed: false });
      if (back) this.options.log.info({ file }, `${file} is back; its objects are resumed`);
      return back;
    }
    const read = readManifestFile(bytes.toString('utf8'), file);
    const next: Entry = { mtimeMs: info.mtimeMs, size: info.size, checksum, good: read.ok ? read.objects : entry?.good, problem: read.ok ? undefined : read.problem };
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

const EXTENSIONS = new Set(['.yaml', '.yml']);

/** Every manifest file under `dir`, recursively, in sorted order; dot-named entries are skipped. */
export async function listManifests(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await listManifests(path)));
    else if ((entry.isFile() || entry.isSymbolicLink()) && EXTENSIONS.has(extname(entry.name).toLowerCase())) found.push(path);
  }
  return found.sort();
}
