import { appendPath, type PathSegment } from './fieldPath.js';

/**
 * Whether a parsed manifest is a tree the rest of the code can walk: no node that contains itself (a
 * YAML alias to an enclosing node, `spec: &s {params: *s}`, parses into a circular object) and no
 * nesting deeper than `maxDepth`. Both would overflow the stack of every recursive walk after it
 * (validation, copying, rendering), so they are found first, with an explicit stack.
 */
export const MAX_MANIFEST_DEPTH = 64;

export type ShapeResult = { ok: true } | { ok: false; path: string; message: string };

export function checkJsonShape(value: unknown, maxDepth = MAX_MANIFEST_DEPTH): ShapeResult {
  // Each entry: a value, its field path, its depth, and the objects enclosing it.
  const stack: { value: unknown; path: string; depth: number; ancestors: ReadonlySet<object> }[] = [{ value, path: '', depth: 0, ancestors: new Set() }];
  while (stack.length > 0) {
    const { value: node, path, depth, ancestors } = stack.pop() as (typeof stack)[number];
    if (node === null || typeof node !== 'object') continue;
    if (ancestors.has(node)) return { ok: false, path, message: 'refers to an object that contains it (a YAML alias to an enclosing node): a manifest must be a tree' };
    if (depth >= maxDepth) return { ok: false, path, message: `is nested deeper than ${maxDepth} levels` };
    const inside = new Set(ancestors).add(node);
    // Written as every other field path is (formatPath): a key like `a.b` or `~0` is `["a.b"]`.
    const entries: [PathSegment, unknown][] = Array.isArray(node) ? node.map((v, i) => [i, v]) : Object.entries(node);
    for (const [step, child] of entries) {
      // Scalars can neither nest nor loop: no path built for the 100,000 items of a list of values.
      if (child !== null && typeof child === 'object') stack.push({ value: child, path: appendPath(path, step), depth: depth + 1, ancestors: inside });
    }
  }
  return { ok: true };
}
