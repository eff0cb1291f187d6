/**
 * JSON with sorted keys: two equal documents give the same text. The StatusStore compares every
 * owner's leases and status this way on every pass (10,000 owners: 20,000 documents a pass). A
 * replacer that sorts made a sorted copy of every object, and an entries array per object,
 * before JSON.stringify ran: most of the first pass's garbage. Instead the document's keys are
 * gathered once and handed to JSON.stringify as its property list, which also sets the order
 * in which it writes each object's keys: one native pass, one string.
 */
export function stableJson(value: unknown): string {
  const keys = new Set<string>();
  gatherKeys(value, keys);
  return JSON.stringify(value, [...keys].sort());
}

function gatherKeys(value: unknown, keys: Set<string>): void {
  if (value === null || typeof value !== 'object') return;
  const withToJson = value as { toJSON?: () => unknown };
  if (typeof withToJson.toJSON === 'function') return gatherKeys(withToJson.toJSON(), keys);
  if (Array.isArray(value)) {
    for (const item of value) gatherKeys(item, keys);
    return;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    keys.add(key);
    gatherKeys((value as Record<string, unknown>)[key], keys);
  }
}
