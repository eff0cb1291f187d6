/**
 * Owner keys, each after the owners it reads (`reads`: owner key -> keys it reads; keys that are
 * not in the map are left out). Cycles are invalid objects; they are cut here. Deterministic: the
 * roots are taken in sorted order.
 *
 * Depth-first with a stack of its own, not the call stack: a dependsOn chain of 12,000
 * Expectations is as deep, and a recursive walk overflowed (issue 10).
 */
export function readersLast(reads: ReadonlyMap<string, readonly string[]>): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const walk: { key: string; reads: readonly string[]; at: number }[] = [];
  const enter = (key: string) => {
    seen.add(key);
    walk.push({ key, reads: reads.get(key) ?? [], at: 0 });
  };
  for (const root of [...reads.keys()].sort()) {
    if (seen.has(root)) continue;
    enter(root);
    while (walk.length > 0) {
      const frame = walk[walk.length - 1] as (typeof walk)[number];
      if (frame.at < frame.reads.length) {
        const up = frame.reads[frame.at++] as string;
        if (reads.has(up) && !seen.has(up)) enter(up);
        continue;
      }
      walk.pop();
      order.push(frame.key);
    }
  }
  return order;
}
