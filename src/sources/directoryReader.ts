/**
 * Lists a directory as SourceEntries: every *.yaml, *.yml and *.json file under it, recursively,
 * skipping names that start with a dot (a ConfigMap volume's ..data, .git). The checksum is the
 * sha256 of the contents; a file whose size, mtime and inode are unchanged since the last listing
 * keeps its checksum without being read again, so an unchanged scan opens no file.
 *
 * A symlink is followed to a file only when it resolves inside the directory (a ConfigMap volume's
 * files are links into ..data): a link to /var/run/secrets is listed with a read that fails,
 * never read. Symlinked directories are not followed (a link cycle must not hang a scan).
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { type SourceEntry, SourceUnreachable } from './model.js';
import { isDefinitionFile } from './parseFile.js';

interface Known {
  stamp: string;
  checksum: string;
}

export class DirectoryReader {
  private known = new Map<string, Known>();
  /** Files opened since the reader was made (for tests and the bench: an unchanged scan opens none). */
  opened = 0;

  /**
   * `allowedRoots`: when given, the directory, links resolved, must be one of them or below one
   * (resolved too), so a link inside an allowed directory cannot lead a source elsewhere.
   */
  constructor(private readonly root: string, private readonly allowedRoots?: readonly string[]) {}

  async list(): Promise<SourceEntry[]> {
    let realRoot: string;
    try {
      realRoot = await realpath(this.root);
      if (!(await stat(realRoot)).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    } catch (error) {
      throw new SourceUnreachable('DirectoryUnreadable', `directory ${this.root}: ${ioMessage(error)}`);
    }
    if (this.allowedRoots !== undefined) {
      const roots = await Promise.all(this.allowedRoots.map((r) => realpath(r).catch(() => undefined)));
      if (!roots.some((r) => r !== undefined && (realRoot === r || realRoot.startsWith(r.endsWith(sep) ? r : r + sep)))) {
        throw new SourceUnreachable('DirectoryNotAllowed', `directory ${this.root} leads to ${realRoot}, which is not in a directory the administrator allows sources to read`);
      }
    }
    const files = await walk(realRoot, '');
    const known = new Map<string, Known>();
    const entries = await Promise.all(files.map(async (path): Promise<SourceEntry> => {
      const full = join(realRoot, path);
      const refuse = (message: string): SourceEntry => ({ path, checksum: `unreadable:${message}`, read: () => Promise.reject(new Error(message)) });
      let target: string;
      try {
        target = await realpath(full);
      } catch (error) {
        return refuse(ioMessage(error));
      }
      if (target !== full && !target.startsWith(realRoot + sep)) return refuse('a link to outside the directory is not read');
      let stamp: string;
      try {
        const s = await stat(target);
        if (!s.isFile()) return refuse('not a regular file');
        stamp = `${s.size}:${s.mtimeMs}:${s.ino}:${target}`;
      } catch (error) {
        return refuse(ioMessage(error));
      }
      const before = this.known.get(path);
      if (before !== undefined && before.stamp === stamp) {
        known.set(path, before);
        return { path, checksum: before.checksum, read: () => readFile(target, 'utf8') };
      }
      let bytes: Buffer;
      try {
        this.opened++;
        bytes = await readFile(target);
      } catch (error) {
        return refuse(ioMessage(error));
      }
      const checksum = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
      known.set(path, { stamp, checksum });
      return { path, checksum, read: () => Promise.resolve(bytes.toString('utf8')) };
    }));
    this.known = known;
    return entries;
  }
}

/** Definition files under `dir`, as paths relative to the root, sorted. */
async function walk(root: string, dir: string): Promise<string[]> {
  const found: string[] = [];
  let entries;
  try {
    entries = await readdir(join(root, dir), { withFileTypes: true });
  } catch (error) {
    if (dir === '') throw new SourceUnreachable('DirectoryUnreadable', `directory ${root}: ${ioMessage(error)}`);
    return found; // a subdirectory that vanished mid-scan: its files are gone
  }
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const path = dir === '' ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory()) found.push(...(await walk(root, path)));
    else if ((entry.isFile() || entry.isSymbolicLink()) && isDefinitionFile(entry.name)) found.push(path);
  }
  return found.sort();
}

function ioMessage(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'ENOTDIR') return 'not a directory';
  return (error as Error).message;
}
