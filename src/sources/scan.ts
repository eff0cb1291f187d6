/**
 * One scan of a source: list, read only what changed (a few at a time), plan. The reader's
 * listing failing is the caller's (the source is unreachable: nothing is pruned because of it);
 * one file failing to read is that file's problem.
 */
import type { ScanContext, ScanPlan, ScanState, SourceEntry } from './model.js';
import { type Listed, planScan, toRead } from './plan.js';

/** Reads at once at most; an S3 GET or a file read each. */
const READ_CONCURRENCY = 16;

export async function scanEntries(entries: readonly SourceEntry[], previous: ScanState, ctx: ScanContext): Promise<ScanPlan> {
  const wanted = new Set(toRead(entries, previous));
  const listed: Listed[] = entries.map((e) => ({ path: e.path, checksum: e.checksum }));
  const byPath = new Map(entries.map((e) => [e.path, e]));
  const queue = listed.filter((l) => wanted.has(l.path));
  const worker = async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const entry = byPath.get(next.path) as SourceEntry;
      try {
        next.read = { text: await entry.read() };
      } catch (error) {
        next.read = { error: error instanceof Error ? error.message : String(error) };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, queue.length) }, worker));
  return planScan(listed, previous, ctx);
}
