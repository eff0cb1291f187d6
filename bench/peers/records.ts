// Reading the records file the tasks append to, and waiting on it: the benchmark's only view of
// what each system did, so both are observed the same way.
import { existsSync, readFileSync } from 'node:fs';
import { parseRecords, type TaskRecord } from './figures.js';

export function readRecords(path: string): TaskRecord[] {
  return existsSync(path) ? parseRecords(readFileSync(path, 'utf8'), path) : [];
}

/**
 * Resolves with the first value `probe` returns other than undefined, reading the records every
 * 100 ms; rejects after `timeoutMs` with `what` and the number of records, or as soon as
 * `failed()` names a reason (the system exited).
 */
export async function waitForRecords<T>(path: string, what: string, timeoutMs: number, probe: (records: TaskRecord[]) => T | undefined, failed: () => string | undefined = () => undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const records = readRecords(path);
    const value = probe(records);
    if (value !== undefined) return value;
    const reason = failed();
    if (reason !== undefined) throw new Error(`${what}: ${reason} (${records.length} task records in ${path})`);
    if (Date.now() > deadline) throw new Error(`${what}: not within ${Math.round(timeoutMs / 1000)} s (${records.length} task records in ${path})`);
    await new Promise((done) => setTimeout(done, 100));
  }
}
