/** One problem with one field of an object, as a user reads it. */
export interface FieldError {
  /** Where, like `spec.partitions.date.every` or `spec.tasks[2].timeout`; empty for the whole object. */
  path: string;
  message: string;
}

/** A step into a value: a property name or a list index. */
export type PathSegment = string | number;

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * Writes a path the way kubectl does: dotted property names and `[i]` for list indexes.
 * Keys that would be ambiguous after a dot (containing dots, spaces, or starting with a digit)
 * are written as `["key"]`.
 */
export function formatPath(segments: readonly PathSegment[]): string {
  return segments.reduce(appendPath, '');
}

/** A path one step further: `appendPath(formatPath(segments), s)` is `formatPath([...segments, s])`. */
export function appendPath(path: string, segment: PathSegment): string {
  if (typeof segment === 'number') return `${path}[${segment}]`;
  if (PLAIN_KEY.test(segment)) return path === '' ? segment : `${path}.${segment}`;
  return `${path}[${JSON.stringify(segment)}]`;
}

/**
 * The segments of a JSON pointer (as ajv reports `instancePath`), read against the value it points
 * into so that list indexes become numbers and numeric-looking map keys stay strings.
 */
export function pointerSegments(pointer: string, root: unknown): PathSegment[] {
  if (pointer === '') return [];
  const segments: PathSegment[] = [];
  let current: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(current)) {
      const index = Number(token);
      segments.push(index);
      current = current[index];
    } else {
      segments.push(token);
      current = current !== null && typeof current === 'object' ? (current as Record<string, unknown>)[token] : undefined;
    }
  }
  return segments;
}

