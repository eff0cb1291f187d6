import { parseManifestText } from '../api/manifests.js';
import type { HomeostatObject } from '../api/types.js';
import { validateObject } from '../api/validate.js';
import { emptyWorld } from '../engine/index.js';
import { addDeclared } from '../runtime/declaredState.js';
import { compactDag, isCompactDag } from '../sources/compactDag.js';
import type { DeclaredState } from '../runtime/reconciler.js';

/** What one good manifest file declares. */
export interface FileObjects {
  objects: HomeostatObject[];
  /** ConfigMaps, for `valuesFrom`. */
  configMaps: { namespace: string; name: string; data: Record<string, string> }[];
}

export type FileRead = { ok: true; objects: FileObjects } | { ok: false; problem: string };

/**
 * Parses and validates one manifest file. The file is all or nothing: one bad document makes the
 * whole file bad (with every reason, one per line), so a half-applied file never runs.
 * A document that is neither a Homeostat object nor a v1 ConfigMap makes the file bad too (a wrong
 * group is a typo, not something to skip in silence).
 */
export function readManifestFile(text: string, file: string): FileRead {
  if (file.toLowerCase().endsWith('.json')) {
    const compact = readCompactDag(text, file);
    if (compact !== undefined) return compact;
  }
  const set = parseManifestText(text, file);
  const problems: string[] = set.errors.map((e) => `${[file, e.line, e.column].filter((p) => p !== undefined).join(':')}: ${e.message}`);
  const objects: HomeostatObject[] = [];
  for (const doc of set.documents) {
    const result = validateObject(doc.object);
    if (result.ok) {
      objects.push(result.object);
      continue;
    }
    const meta = doc.object.metadata as { name?: unknown } | undefined;
    const what = `${String(doc.object.kind ?? '?')}/${String(meta?.name ?? '?')}`;
    for (const e of result.errors) problems.push(`${file}:${doc.line}: ${what}: ${e.path === '' ? '' : `${e.path}: `}${e.message}`);
  }
  const configMaps: FileObjects['configMaps'] = [];
  for (const doc of set.others) {
    if (doc.object.kind !== 'ConfigMap' || doc.object.apiVersion !== 'v1') continue;
    const meta = (doc.object.metadata ?? {}) as { name?: unknown; namespace?: unknown };
    const data = (doc.object.data ?? {}) as Record<string, unknown>;
    if (typeof meta.name !== 'string' || typeof data !== 'object' || Object.values(data).some((v) => typeof v !== 'string')) {
      problems.push(`${file}:${doc.line}: ConfigMap/${String(meta.name ?? '?')}: needs metadata.name and string data values`);
      continue;
    }
    configMaps.push({ namespace: typeof meta.namespace === 'string' ? meta.namespace : 'default', name: meta.name, data: data as Record<string, string> });
  }
  if (problems.length > 0) return { ok: false, problem: problems.join('\n') };
  return { ok: true, objects: { objects, configMaps } };
}

/**
 * A JSON file in the compact DAG shape of file-based loaders (a top-level `nodes`), read as a
 * DefinitionSource reads it (src/sources/compactDag.ts): the file name names the Dag. A JSON
 * object with neither apiVersion, kind nor nodes declares nothing (embedded mode's directory is a
 * project's: package.json); undefined for any other JSON, which is read as manifests.
 */
function readCompactDag(text: string, file: string): FileRead | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, problem: `${file}: not valid JSON: ${(error as Error).message}` };
  }
  // package.json, tsconfig.json, a checker's data: JSON that declares nothing is not a manifest.
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && !('apiVersion' in value) && !('kind' in value) && !isCompactDag(value)) return { ok: true, objects: { objects: [], configMaps: [] } };
  if (!isCompactDag(value)) return undefined;
  const shaped = compactDag(value, file);
  if (!shaped.ok) return { ok: false, problem: shaped.errors.map((e) => `${file}: ${e.path === '' ? '' : `${e.path}: `}${e.message}`).join('\n') };
  const result = validateObject(shaped.object);
  if (!result.ok) return { ok: false, problem: result.errors.map((e) => `${file}: Dag/${String((shaped.object.metadata as { name: string }).name)}: ${e.path === '' ? '' : `${e.path}: `}${e.message}`).join('\n') };
  return { ok: true, objects: { objects: [result.object], configMaps: [] } };
}

/**
 * Puts the files' objects together, in the order given (sorted paths): the first file to declare
 * an object wins, and each later copy is reported as a duplicate.
 */
export function declare(files: { file: string; objects: FileObjects | undefined }[], stamp: (object: HomeostatObject) => void): DeclaredState & { duplicates: { file: string; message: string }[] } {
  const world = emptyWorld();
  const side: DeclaredState['side'] = { checkers: [], dagDependencies: [], dagRuns: [] };
  const seen = new Map<string, string>();
  const duplicates: { file: string; message: string }[] = [];
  for (const { file, objects } of files) {
    if (objects === undefined) continue;
    for (const object of objects.objects) {
      const key = `${object.kind}/${object.metadata.namespace ?? 'default'}/${object.metadata.name}`;
      const first = seen.get(key);
      if (first !== undefined) {
        duplicates.push({ file, message: `${key} is also declared in ${first}; this copy is ignored` });
        continue;
      }
      seen.set(key, file);
      stamp(object);
      addDeclared(world, side, object);
    }
    for (const cm of objects.configMaps) world.configMaps.set(`${cm.namespace}/${cm.name}`, cm.data);
  }
  return { world, side, duplicates };
}
