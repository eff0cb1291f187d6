/**
 * Structural sharing between a validated copy and the object it was copied from. The validator
 * works on a copy (it fills defaults in), and the World keeps that copy for as long as the
 * object's generation stands, next to the informer's own object: two trees of the same spec,
 * ~0.8 KB per Expectation. Every part of the copy equal to the original's is replaced by the
 * original's, so only what the defaults changed (a spec's top level, mostly) is held twice.
 *
 * Only plain objects and arrays are compared by value (a Date or any other class instance, as in a
 * typed Job, is the same only when it is the same instance). Neither tree may be changed
 * afterwards: the informer's objects are replaced, never edited, and the World's are read only.
 */
export function shareUnchanged<T>(copy: T, original: unknown): T {
  return share(copy, original) as T;
}

/** The original when the copy equals it, else the copy with its equal parts replaced. */
function share(copy: unknown, original: unknown): unknown {
  if (copy === original) return original;
  if (Array.isArray(copy)) {
    if (!Array.isArray(original)) return copy;
    let same = copy.length === original.length;
    for (let i = 0; i < copy.length; i++) {
      const shared = share(copy[i], original[i]);
      copy[i] = shared;
      if (shared !== original[i]) same = false;
    }
    return same ? original : copy;
  }
  if (!isRecord(copy) || !isRecord(original)) return copy;
  // for-in, not Object.keys: no key arrays (every watch event of every object comes through here).
  let same = true;
  let count = 0;
  for (const key in copy) {
    if (!Object.hasOwn(copy, key)) continue;
    count++;
    if (!Object.hasOwn(original, key)) {
      same = false;
      continue;
    }
    const shared = share(copy[key], original[key]);
    copy[key] = shared;
    if (shared !== original[key]) same = false;
  }
  return same && count === ownCount(original) ? original : copy;
}

function ownCount(object: Record<string, unknown>): number {
  let count = 0;
  for (const key in object) if (Object.hasOwn(object, key)) count++;
  return count;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  // A plain object's prototype is an Object.prototype (of any realm) or null; a class instance's is further down.
  const prototype = Object.getPrototypeOf(value) as object | null;
  return prototype === null || Object.getPrototypeOf(prototype) === null;
}
