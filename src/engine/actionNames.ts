/**
 * Deterministic action names: the same lease always yields the same Job name, so creating it
 * twice is harmless and a restart adopts the Job instead of launching another. The lease's start
 * time is part of the name, so an attempt number reused after a success never collides with an
 * old, finished Job.
 */
export function actionName(owner: string, task: string | undefined, nodeId: string, attempt: number, acquiredAt: number): string {
  const base = [owner, task].filter((s) => s !== undefined && s !== '').join('-');
  const suffix = `-${fnv1a(`${nodeId}@${acquiredAt}`)}-${attempt}`;
  return `${dnsSafe(base).slice(0, 63 - suffix.length).replace(/-+$/, '')}${suffix}`;
}

/** A DNS-1123 label fragment: lower case, digits and dashes. */
export function dnsSafe(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+/, '');
}

/** FNV-1a, 32 bits, base 36: short, stable and fast; not for security. */
export function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(36).padStart(7, '0');
}
