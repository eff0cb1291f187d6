import { appendPath, type PathSegment } from './fieldPath.js';

/**
 * Whether a parsed manifest is a tree the rest of the code can walk: no node that contains itself (a
 * YAML alias to an enclosing node, `spec: &s {params: *s}`, parses into a circular object) and no
 * nesting deeper than `maxDepth`. Both would overflow the stack of every recursive walk after it
 * (validation, copying, rendering), so they are found first, with an explicit stack.
 */
export const MAX_MANIFEST_DEPTH = 64;

export type ShapeResult = { ok: true } | { ok: false; path: string; message: string };

/** One object on the path being walked: its keys (undefined for a list), the next one's index, and the step that led to it. */
interface Frame {
  node: object;
  keys: string[] | undefined;
  next: number;
  step: PathSegment;
}

const frameOf = (node: object, step: PathSegment): Frame => ({ node, keys: Array.isArray(node) ? undefined : Object.keys(node), next: 0, step });

const OK: ShapeResult = { ok: true };

export function checkJsonShape(value: unknown, maxDepth = MAX_MANIFEST_DEPTH): ShapeResult {
  if (value === null || typeof value !== 'object') return OK;
  if (maxDepth <= 0) return { ok: false, path: '', message: `is nested deeper than ${maxDepth} levels` };
  // Most objects are fine (the controller checks every one it validates): a walk bounded by the
  // depth, which a loop would exceed too, tells so without allocating; the walk below says where.
  if (withinDepth(value, 1, maxDepth)) return OK;
  // Depth first, one frame per enclosing object, so the objects enclosing a node are the frames'
  // (one Set for the whole walk), and a path is written only for the node at fault: the
  // controller checks every object it validates, and most are fine.
  const frames: Frame[] = [frameOf(value, '')];
  const enclosing = new Set<object>([value]);
  const pathTo = (step: PathSegment) => [...frames.slice(1).map((f) => f.step), step].reduce(appendPath, '');
  while (frames.length > 0) {
    const top = frames[frames.length - 1] as Frame;
    const length = top.keys === undefined ? (top.node as unknown[]).length : top.keys.length;
    if (top.next >= length) {
      enclosing.delete(top.node);
      frames.pop();
      continue;
    }
    // Written as every other field path is (formatPath): a key like `a.b` or `~0` is `["a.b"]`.
    const step: PathSegment = top.keys === undefined ? top.next : (top.keys[top.next] as string);
    top.next++;
    const child = (top.node as Record<PathSegment, unknown>)[step];
    // Scalars can neither nest nor loop.
    if (child === null || typeof child !== 'object') continue;
    if (enclosing.has(child)) return { ok: false, path: pathTo(step), message: 'refers to an object that contains it (a YAML alias to an enclosing node): a manifest must be a tree' };
    if (frames.length >= maxDepth) return { ok: false, path: pathTo(step), message: `is nested deeper than ${maxDepth} levels` };
    enclosing.add(child);
    frames.push(frameOf(child, step));
  }
  return OK;
}

/** Whether nothing under `node` (at `depth`, the root being 1) is deeper than `maxDepth`; recursion at most `maxDepth` deep. */
function withinDepth(node: object, depth: number, maxDepth: number): boolean {
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const child: unknown = node[i];
      if (child !== null && typeof child === 'object' && (depth >= maxDepth || !withinDepth(child, depth + 1, maxDepth))) return false;
    }
    return true;
  }
  for (const key in node) {
    if (!Object.hasOwn(node, key)) continue;
    const child = (node as Record<string, unknown>)[key];
    if (child !== null && typeof child === 'object' && (depth >= maxDepth || !withinDepth(child, depth + 1, maxDepth))) return false;
  }
  return true;
}
