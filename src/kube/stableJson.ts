/**
 * JSON with sorted keys: two equal documents give the same text. The StatusStore compares every
 * owner's leases and status this way on every pass (10,000 owners: 20,000 documents a pass), so
 * it writes the text directly: JSON.stringify with a replacer that sorts made a sorted copy of
 * every object and an entries array per object first, most of the first pass's garbage.
 * Same text as `JSON.stringify` of the sorted document (undefined and function members left
 * out, undefined array items as null, toJSON honoured).
 */
export function stableJson(value: unknown): string {
  return stable(value) ?? 'undefined';
}

function stable(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return typeof value === 'function' || typeof value === 'symbol' ? undefined : JSON.stringify(value);
  const withToJson = value as { toJSON?: () => unknown };
  if (typeof withToJson.toJSON === 'function') return stable(withToJson.toJSON());
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += `${i > 0 ? ',' : ''}${stable(value[i]) ?? 'null'}`;
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  let out = '{';
  let first = true;
  for (const key of Object.keys(record).sort()) {
    const text = stable(record[key]);
    if (text === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(key)}:${text}`;
    first = false;
  }
  return `${out}}`;
}
