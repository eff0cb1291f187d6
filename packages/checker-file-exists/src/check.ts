/**
 * Does a path exist on a mounted volume? Params (rendered per partition):
 * - `path` (required): absolute, or relative to HOMEOSTAT_FILE_ROOT (default: the working directory).
 * - `minBytes` (optional): the path must be a file of at least this many bytes.
 * - `minEntries` (optional): the path must be a directory with at least this many entries
 *   (names starting with `.` are not counted: they are usually in-progress or checksum files).
 *
 * Verdicts: there and big enough: satisfied; absent, too small, too few entries, or a file where a
 * directory is wanted (or the reverse): unsatisfied, with a message when not plainly absent; a bad
 * param: unrecoverable. Anything else (permission denied, I/O error, HOMEOSTAT_FILE_ROOT missing,
 * a volume not mounted) throws: the partition stays unknown.
 */
import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { type CheckFunction, type CheckOutcome, integerParam, requiredParam } from '@homeostat/checker-sdk';

export interface FileCheckConfig {
  /** What relative paths are resolved against. Defaults to the working directory. */
  root?: string;
}

/** The config from the environment: HOMEOSTAT_FILE_ROOT. */
export function fileCheckConfig(env: Record<string, string | undefined>): FileCheckConfig {
  return env.HOMEOSTAT_FILE_ROOT ? { root: env.HOMEOSTAT_FILE_ROOT } : {};
}

/** The check function for runChecker. */
export function fileCheck(config: FileCheckConfig = {}): CheckFunction {
  return (_partition, params) => checkPath(params, config);
}

export async function checkPath(params: Record<string, string>, config: FileCheckConfig = {}): Promise<CheckOutcome> {
  const path = requiredParam(params, 'path');
  const minBytes = integerParam(params, 'minBytes', undefined);
  const minEntries = integerParam(params, 'minEntries', undefined);
  if (!path.ok) return { state: 'unrecoverable', message: path.message };
  if (!minBytes.ok) return { state: 'unrecoverable', message: minBytes.message };
  if (!minEntries.ok) return { state: 'unrecoverable', message: minEntries.message };
  if (minBytes.value !== undefined && minEntries.value !== undefined) return { state: 'unrecoverable', message: 'minBytes is for a file and minEntries for a directory: give one of them' };

  const root = config.root ?? process.cwd();
  if (!isAbsolute(path.value)) await stat(root); // throws when the volume is not there: unknown, not unsatisfied
  const full = resolve(root, path.value);
  let info;
  try {
    info = await stat(full);
  } catch (error) {
    if (isAbsent(error)) return 'unsatisfied';
    throw error;
  }

  if (minEntries.value !== undefined) {
    if (!info.isDirectory()) return { state: 'unsatisfied', message: `${full} is not a directory` };
    const entries = (await readdir(full)).filter((name) => !name.startsWith('.')).length;
    return entries >= minEntries.value ? 'satisfied' : { state: 'unsatisfied', message: `${full} has ${entries} entries, fewer than ${minEntries.value}` };
  }
  if (minBytes.value !== undefined) {
    if (!info.isFile()) return { state: 'unsatisfied', message: `${full} is not a file` };
    return info.size >= minBytes.value ? 'satisfied' : { state: 'unsatisfied', message: `${full} is ${info.size} bytes, fewer than ${minBytes.value}` };
  }
  return 'satisfied';
}

function isAbsent(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
