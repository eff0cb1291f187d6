/**
 * What the last checks of an Expectation said, compactly, so a restarted controller (a rolling
 * update, a failover) shows it instead of `Unknown 0/N` until it has checked again. Pure.
 *
 * The record lists the partitions that were not Satisfied; every other partition of the set it
 * names (a count and an order-free digest of the keys) was. 365,000 satisfied partitions take a
 * few bytes; beyond MAX_NOT_SATISFIED unsatisfied ones nothing is listed and nothing restored.
 * Restored verdicts are the embedded mode's `fromEarlierProcess` rule: satisfied, dated 0, so each
 * is checked again at once; they show, and never act nor hold back an action.
 */
import { MAX_NOT_SATISFIED } from '../api/schema/expectation.js';

export { MAX_NOT_SATISFIED };

export interface LastVerdicts {
  /** How many partitions there were. */
  partitions: number;
  /** An order-free digest of their keys: the verdicts apply to that very set only. */
  digest: string;
  /** False when more than MAX_NOT_SATISFIED were not satisfied: nothing is listed. */
  complete: boolean;
  /** Keys of the partitions not Satisfied (sorted); absent when none or when not complete. */
  notSatisfied?: string[];
}

/** One partition as the record sees it: its key and whether it is Satisfied now. */
export interface PartitionVerdict {
  key: string;
  satisfied: boolean;
}

/** The record of a set of partitions; `digest` may be given when known (it only changes with the set). */
export function recordVerdicts(partitions: readonly PartitionVerdict[], max = MAX_NOT_SATISFIED, digest?: string): LastVerdicts {
  const notSatisfied: string[] = [];
  let complete = true;
  for (const p of partitions) {
    if (p.satisfied) continue;
    if (notSatisfied.length >= max) {
      complete = false;
      break;
    }
    notSatisfied.push(p.key);
  }
  const record: LastVerdicts = { partitions: partitions.length, digest: digest ?? partitionDigest(partitions.map((p) => p.key)), complete };
  if (complete && notSatisfied.length > 0) record.notSatisfied = notSatisfied.sort();
  return record;
}

/**
 * The keys to show as satisfied, from a record read back: every key not listed, when the
 * partitions are the set the record was made of. A changed set (a new generation, a time range
 * that grew meanwhile) or an incomplete or unreadable record restores nothing: those partitions
 * are checked before they show.
 */
export function restoredSatisfied(record: unknown, keys: readonly string[]): string[] {
  const r = readRecord(record);
  if (r === undefined || !r.complete || r.partitions !== keys.length || r.digest !== partitionDigest(keys)) return [];
  const listed = new Set(r.notSatisfied ?? []);
  return keys.filter((k) => !listed.has(k));
}

/** A record as read from a status, or undefined when it is not one. */
export function readRecord(value: unknown): LastVerdicts | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const v = value as Partial<LastVerdicts>;
  if (typeof v.partitions !== 'number' || typeof v.digest !== 'string' || typeof v.complete !== 'boolean') return undefined;
  if (v.notSatisfied !== undefined && (!Array.isArray(v.notSatisfied) || v.notSatisfied.some((k) => typeof k !== 'string'))) return undefined;
  return { partitions: v.partitions, digest: v.digest, complete: v.complete, ...(v.notSatisfied !== undefined ? { notSatisfied: v.notSatisfied } : {}) };
}

/**
 * 64 bits, order-free: the sums of two FNV-1a hashes of each key. Linear in the keys (no sort),
 * so a status write of 365,000 partitions stays cheap.
 */
export function partitionDigest(keys: Iterable<string>): string {
  let a = 0;
  let b = 0;
  for (const key of keys) {
    a = (a + fnv1a(key, 0x811c9dc5)) >>> 0;
    b = (b + fnv1a(key, 0x01000193)) >>> 0;
  }
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}

function fnv1a(text: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
