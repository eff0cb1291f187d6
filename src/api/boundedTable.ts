/**
 * Tables that keep one value per key, bounded: when full they are cleared, whatever keys come and
 * go (a value is only ever a saving, never needed). For the caches the controller keeps per text
 * (interned strings and small objects, parsed durations, calendar verdicts, condition traces):
 * 10,000 objects say the same few things.
 */

/** The value kept under `key`, else `value`, now kept. */
export function keptOnce<T>(table: Map<string, T>, max: number, key: string, value: T): T {
  const known = table.get(key);
  if (known !== undefined) return known;
  if (table.size >= max) table.clear();
  table.set(key, value);
  return value;
}

/** The value kept under `key`, else what `make` makes, now kept (`make` runs only when it is not). */
export function keptOnceBy<T>(table: Map<string, T>, max: number, key: string, make: () => T): T {
  const known = table.get(key);
  return known !== undefined ? known : keptOnce(table, max, key, make());
}
