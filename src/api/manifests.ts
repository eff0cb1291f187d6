import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { isCollection, isPair, LineCounter, parseAllDocuments, type YAMLError } from 'yaml';
import { checkJsonShape, MAX_MANIFEST_DEPTH } from './jsonShape.js';
import { API_VERSION, GROUP } from './schema/index.js';

/** One YAML document of a manifest file, not yet validated. */
export interface ManifestDocument {
  file: string;
  /** The document's number in its file, from 0, counting empty documents too. */
  index: number;
  /** The 1-based line its content starts on. */
  line: number;
  object: Record<string, unknown>;
}

/** A file or document that could not be read as a manifest. */
export interface ManifestError {
  file: string;
  /** The document's number in its file, when the problem is one document. */
  index?: number;
  /** 1-based, when the YAML parser knows where. */
  line?: number;
  column?: number;
  message: string;
}

/**
 * What a file or directory holds: Homeostat objects (apiVersion in the homeostat.dev group),
 * others (v1 ConfigMaps, for valuesFrom), and what could not be read. Any other document (a wrong
 * group such as homeostat.io, a Secret, a Deployment) is an error, never skipped in silence: in a
 * directory Homeostat reads, it is most likely a typo. Empty documents are left out. Each list is
 * in file order, files in sorted path order.
 */
export interface ManifestSet {
  documents: ManifestDocument[];
  others: ManifestDocument[];
  errors: ManifestError[];
}

/** Parses one file's text: every `---`-separated document. Pure; never throws on bad input. */
export function parseManifestText(text: string, file: string): ManifestSet {
  const set: ManifestSet = { documents: [], others: [], errors: [] };
  const lines = new LineCounter();
  const where = (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
  const toError = (error: YAMLError, index?: number): ManifestError => ({
    file,
    ...(index !== undefined ? { index } : {}),
    ...where(error.pos[0]),
    // The YAML parser recurses: thousands of nested [ or { exhaust its stack, which it reports as is.
    message: /Maximum call stack size exceeded/.test(error.message) ? `nested too deeply to parse (a manifest may be at most ${MAX_MANIFEST_DEPTH} levels deep)` : error.message,
  });

  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false });
  if ('empty' in docs) {
    set.errors.push(...docs.errors.map((e) => toError(e)));
    return set;
  }
  docs.forEach((doc, index) => {
    if (doc.errors.length > 0) {
      set.errors.push(...doc.errors.map((e) => toError(e, index)));
      return;
    }
    const start = where(doc.contents?.range[0] ?? doc.range[0]);
    const collectionKey = firstCollectionKey(doc.contents);
    if (collectionKey !== undefined) {
      set.errors.push({ file, index, ...where(collectionKey), message: 'a mapping key must be a plain value, not a list or a mapping' });
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      set.errors.push({ file, index, ...start, message: (error as Error).message });
      return;
    }
    if (value === null || value === undefined) return;
    const shape = checkJsonShape(value);
    if (!shape.ok) {
      set.errors.push({ file, index, ...start, message: `${shape.path}: ${shape.message}` });
      return;
    }
    if (typeof value !== 'object' || Array.isArray(value)) {
      set.errors.push({ file, index, ...start, message: 'a manifest must be a mapping with apiVersion, kind, metadata and spec' });
      return;
    }
    const object = value as Record<string, unknown>;
    if (typeof object.apiVersion !== 'string' || object.apiVersion === '') {
      set.errors.push({ file, index, ...start, message: 'apiVersion is not set' });
      return;
    }
    const group = object.apiVersion.includes('/') ? object.apiVersion.slice(0, object.apiVersion.indexOf('/')) : '';
    if (group === GROUP) set.documents.push({ file, index, line: start.line, object });
    else if (object.apiVersion === 'v1' && object.kind === 'ConfigMap') set.others.push({ file, index, line: start.line, object });
    else set.errors.push({ file, index, ...start, message: notHomeostat(object) });
  });
  return set;
}

/**
 * Where the first key that is itself a list or a mapping (`? [a, b]: 1`) starts, if any: JSON has no
 * such keys, and the parser would turn it into a string with a process warning. Walked with an
 * explicit stack (nesting is limited only later, by checkJsonShape); aliases are not followed.
 */
function firstCollectionKey(root: unknown): number | undefined {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (!isCollection(node)) continue;
    for (const item of node.items) {
      if (isPair(item)) {
        if (isCollection(item.key)) return item.key.range?.[0] ?? 0;
        stack.push(item.value);
      } else stack.push(item);
    }
  }
  return undefined;
}

/** How the message of a document that is not a Homeostat object (nor a ConfigMap) starts. */
export const NOT_HOMEOSTAT = 'not a Homeostat object:';

function notHomeostat(object: Record<string, unknown>): string {
  const kind = typeof object.kind === 'string' && object.kind !== '' ? object.kind : '(none)';
  return `${NOT_HOMEOSTAT} apiVersion ${String(object.apiVersion)}, kind ${kind} (Homeostat's are ${API_VERSION}; besides them only v1 ConfigMaps are read, for valuesFrom)`;
}

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml']);
const JSON_TOO = new Set([...MANIFEST_EXTENSIONS, '.json']);

/**
 * Reads a JSON file in another shape than manifests (the compact DAG shape of file-based loaders):
 * its documents, or undefined to read it as manifests.
 */
export type JsonReader = (text: string, file: string) => ManifestSet | undefined;

/**
 * Reads a manifest file, or every *.yaml and *.yml file under a directory (recursively, in sorted
 * path order, skipping names that start with a dot); with `readJson`, *.json files too, each
 * offered to it first. A file named explicitly is read whatever its extension. Unreadable paths
 * and files become errors, not exceptions.
 */
export async function readManifests(path: string, readJson?: JsonReader): Promise<ManifestSet> {
  const set: ManifestSet = { documents: [], others: [], errors: [] };
  let files: string[];
  try {
    files = (await stat(path)).isDirectory() ? await manifestFiles(path, readJson !== undefined ? JSON_TOO : MANIFEST_EXTENSIONS) : [path];
  } catch (error) {
    return { ...set, errors: [{ file: path, message: ioMessage(error) }] };
  }
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      set.errors.push({ file, message: ioMessage(error) });
      continue;
    }
    const parsed = (readJson !== undefined && extname(file).toLowerCase() === '.json' ? readJson(text, file) : undefined) ?? parseManifestText(text, file);
    set.documents.push(...parsed.documents);
    set.others.push(...parsed.others);
    set.errors.push(...parsed.errors);
  }
  return set;
}

async function manifestFiles(dir: string, extensions: ReadonlySet<string>): Promise<string[]> {
  const found: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    // Symlinked directories are not followed: a link cycle must not hang a reload.
    if (entry.isDirectory()) found.push(...(await manifestFiles(path, extensions)));
    else if ((entry.isFile() || entry.isSymbolicLink()) && extensions.has(extname(entry.name).toLowerCase())) found.push(path);
  }
  return found.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function ioMessage(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  return (error as Error).message;
}
