import type { ManifestSet } from '../api/manifests.js';
import { compactDag, isCompactDag } from '../sources/compactDag.js';

/**
 * `homeostat validate` reads JSON as a DefinitionSource and `homeostat dev` do: a file in the
 * compact DAG shape (a top-level `nodes`) is the Dag its name names; JSON that declares nothing
 * (package.json: no apiVersion, kind or nodes) is skipped; any other JSON is read as manifests.
 */
export function readCompactJson(text: string, file: string): ManifestSet | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined; // the manifest reader reports it with its line
  }
  const nothing = { documents: [], others: [], errors: [] };
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && !('apiVersion' in value) && !('kind' in value) && !isCompactDag(value)) return nothing;
  if (!isCompactDag(value)) return undefined;
  const shaped = compactDag(value, file);
  if (!shaped.ok) return { ...nothing, errors: shaped.errors.map((e) => ({ file, message: `${e.path === '' ? '' : `${e.path}: `}${e.message}` })) };
  return { ...nothing, documents: [{ file, index: 0, line: 1, object: shaped.object }] };
}
