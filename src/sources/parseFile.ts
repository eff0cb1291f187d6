/**
 * One file's text to the objects it declares, validated one by one, or the reasons it cannot be
 * applied. YAML or JSON manifests (several documents a file) and the compact JSON DAG shape.
 * Only Homeostat's graph kinds are accepted, and only for the source's namespace: a Secret, a
 * Deployment, a ConfigMap, a DefinitionSource or an object of another namespace is refused with a
 * reason, so a source never creates what its author could not create with kubectl in that
 * namespace. Pure; never throws on bad input.
 */
import { NOT_HOMEOSTAT, parseManifestText } from '../api/manifests.js';
import { API_VERSION } from '../api/schema/kind.js';
import type { HomeostatObject } from '../api/types.js';
import { validateObject } from '../api/validate.js';
import { compactDag, isCompactDag } from './compactDag.js';

export type ParsedFile = { ok: true; objects: HomeostatObject[] } | { ok: false; problems: string[] };

/** The kinds a source may apply. DefinitionSources are not among them: a source never makes sources. */
export const LOADABLE_KINDS: ReadonlySet<string> = new Set(['StateChecker', 'Expectation', 'Dag', 'DagRun', 'DagDependency']);

/** The extensions a reader lists; anything else in a directory or bucket is not a definition. */
export const DEFINITION_EXTENSIONS: readonly string[] = ['.yaml', '.yml', '.json'];
export const isDefinitionFile = (path: string): boolean => DEFINITION_EXTENSIONS.some((e) => path.toLowerCase().endsWith(e));

export function parseFile(text: string, file: string, namespace: string): ParsedFile {
  const problems: string[] = [];
  const candidates: { where: string; object: Record<string, unknown> }[] = [];

  const compact = file.toLowerCase().endsWith('.json') ? compactOf(text) : undefined;
  if (compact !== undefined) {
    if ('error' in compact) return { ok: false, problems: [compact.error] };
    const result = compactDag(compact.value, file);
    if (!result.ok) return { ok: false, problems: result.errors.map((e) => `${e.path === '' ? '' : `${e.path}: `}${e.message}`) };
    candidates.push({ where: '', object: result.object });
  } else {
    const set = parseManifestText(text, file);
    for (const e of set.errors) problems.push(`${where(e.index, e.line)}${e.message.startsWith(NOT_HOMEOSTAT) ? refused(e.message) : e.message}`);
    for (const d of set.others) problems.push(`${where(d.index, d.line)}a ${String(d.object.kind)} is not applied: a source applies only Homeostat's kinds (${[...LOADABLE_KINDS].join(', ')})`);
    for (const d of set.documents) candidates.push({ where: where(d.index, d.line), object: d.object });
    if (candidates.length === 0 && problems.length === 0) return { ok: true, objects: [] };
  }

  const objects: HomeostatObject[] = [];
  const seen = new Set<string>();
  for (const { where: at, object } of candidates) {
    const kind = String(object.kind);
    const name = isRecord(object.metadata) && typeof object.metadata.name === 'string' ? object.metadata.name : '(no name)';
    const label = `${at}${kind} ${name}: `;
    if (object.apiVersion === API_VERSION && !LOADABLE_KINDS.has(kind)) {
      problems.push(`${label}a source applies only ${[...LOADABLE_KINDS].join(', ')}; a ${kind} is created with kubectl by whoever may`);
      continue;
    }
    const metadata = isRecord(object.metadata) ? object.metadata : {};
    if (metadata.namespace !== undefined && metadata.namespace !== namespace) {
      problems.push(`${label}metadata.namespace ${JSON.stringify(metadata.namespace)} is refused: a source in namespace ${namespace} applies into ${namespace} only`);
      continue;
    }
    const placed = { ...object, metadata: { ...metadata, namespace } };
    const result = validateObject(placed);
    if (!result.ok) {
      problems.push(...result.errors.map((e) => `${label}${e.path === '' ? '' : `${e.path}: `}${e.message}`));
      continue;
    }
    const id = `${kind}/${name}`;
    if (seen.has(id)) {
      problems.push(`${label}declared twice in this file`);
      continue;
    }
    seen.add(id);
    // As written, without the schema's defaults: server-side apply makes the loader own only the
    // fields the file sets, so a hand edit of another field never conflicts with it.
    objects.push(placed as unknown as HomeostatObject);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, objects };
}

/** "not a Homeostat object: apiVersion v1, kind Secret (...)" said as the loader's refusal. */
function refused(message: string): string {
  const what = /apiVersion (\S+), kind ([^ (]+)/.exec(message);
  return `${what === null ? 'this document' : `a ${what[2]} (${what[1]})`} is refused: a source applies only Homeostat's kinds (${[...LOADABLE_KINDS].join(', ')})`;
}

/** The compact shape, when the JSON text is one; undefined for anything else (manifests in JSON). */
function compactOf(text: string): { value: Record<string, unknown> } | { error: string } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { error: `not valid JSON: ${(error as Error).message}` };
  }
  return isCompactDag(value) ? { value } : undefined;
}

const where = (index: number | undefined, line: number | undefined): string =>
  index === undefined ? (line !== undefined ? `line ${line}: ` : '') : `document ${index + 1}${line !== undefined ? ` (line ${line})` : ''}: `;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
