import type { Parsed } from '../api/duration.js';
import { type CalendarSpec, countPeriods, enumeratePeriods, tooMany } from './calendar.js';
import type { PeriodCount } from './periodCount.js';

/** One partition: a value for every key, and the time range of the time key if there is one. */
export interface PartitionRow {
  /** Hive-style and stable: `date=2026-01-01/campaign=7`; empty for an unpartitioned Expectation. */
  key: string;
  values: Record<string, string>;
  start?: number;
  end?: number;
}

export interface PartitionSpace {
  keys: string[];
  timeKey: string | undefined;
  /** Length of one time period, to compare with another space's; 0 without a time key. */
  typicalLength: number;
  rows: PartitionRow[];
  nextChangeAt: number | undefined;
}

/** How one key's values are declared (the API's partition spec, with valuesFrom already resolved). */
export interface KeySpec extends Partial<CalendarSpec> {
  values?: string[];
}

/** Values of one key: a list, or periods of a calendar. */
interface KeyValues {
  key: string;
  values: string[];
  ranges?: { start: number; end: number }[];
}

/** The most partitions by default (the per-object node cap's default; callers pass theirs). */
const MAX_ROWS = 400_000;

/** How many partitions a spec has, counted without building any: the product of the value lists and the period count. */
export interface PartitionCount {
  /** Partitions (rows); a lower bound when `exact` is false (a cron calendar). */
  rows: PeriodCount;
  /** Periods of the time key, if there is one. */
  periods: PeriodCount | undefined;
  /** The product of the listed values' counts (1 without list keys). */
  combinations: number;
}

export function countPartitions(spec: Record<string, KeySpec> | undefined, now: number, defaultTo: 'today' | 'now' = 'today', completeOnly = false): Parsed<PartitionCount> {
  let combinations = 1;
  let periods: PeriodCount | undefined;
  for (const [key, keySpec] of Object.entries(spec ?? {})) {
    if (keySpec.from !== undefined) {
      const counted = countPeriods(keySpec as CalendarSpec, now, { completeOnly, defaultTo });
      if (!counted.ok) return { ok: false, error: `partitions.${key}.${counted.error}` };
      periods = counted.value;
    } else {
      combinations *= new Set(keySpec.values ?? []).size;
    }
  }
  const rows = periods === undefined ? { atLeast: combinations, exact: true } : { atLeast: combinations * periods.atLeast, exact: periods.exact };
  return { ok: true, value: { rows, periods, combinations } };
}

/**
 * The product of every key's values, in declared key order (the first key varies slowest).
 * Pure: `now` bounds time keys. More than `maxRows` partitions is an error, found before any is built.
 */
export function partitionSpace(spec: Record<string, KeySpec> | undefined, now: number, defaultTo: 'today' | 'now' = 'today', completeOnly = false, maxRows = MAX_ROWS): Parsed<PartitionSpace> {
  const counted = countPartitions(spec, now, defaultTo, completeOnly);
  if (!counted.ok) return counted;
  if (counted.value.rows.atLeast > maxRows) return { ok: false, error: `partitions: ${tooMany(counted.value.rows)} combinations is more than ${maxRows.toLocaleString('en-US')}` };
  // A cron calendar's count is a lower bound: its enumeration stops once the rows could not fit.
  const maxPeriods = Math.floor(maxRows / Math.max(1, counted.value.combinations));
  const columns: KeyValues[] = [];
  let timeKey: string | undefined;
  let typicalLength = 0;
  let nextChangeAt: number | undefined;
  for (const [key, keySpec] of Object.entries(spec ?? {})) {
    if (keySpec.from !== undefined) {
      const calendar = enumeratePeriods(keySpec as CalendarSpec, now, { completeOnly, defaultTo }, maxPeriods);
      if (!calendar.ok) return { ok: false, error: `partitions.${key}.${calendar.error}` };
      timeKey = key;
      typicalLength = calendar.value.typicalLength;
      nextChangeAt = calendar.value.nextChangeAt;
      columns.push({ key, values: calendar.value.periods.map((p) => p.key), ranges: calendar.value.periods });
    } else {
      columns.push({ key, values: [...new Set(keySpec.values ?? [])] });
    }
  }
  const total = columns.reduce((n, c) => n * c.values.length, 1);
  if (total > maxRows) return { ok: false, error: `partitions: ${total.toLocaleString('en-US')} combinations is more than ${maxRows.toLocaleString('en-US')}` };

  // The hot path of a full plan: one row per partition, so no closures or temporary arrays here.
  const rows: PartitionRow[] = new Array<PartitionRow>(total);
  const encoded = columns.map((c) => c.values.map((v) => `${escapePart(c.key)}=${escapePart(v)}`));
  const pick = new Array<number>(columns.length).fill(0);
  const parts = new Array<string>(columns.length).fill('');
  for (let n = 0; n < total; n++) {
    let rest = n;
    for (let c = columns.length - 1; c >= 0; c--) {
      const size = (columns[c] as KeyValues).values.length;
      pick[c] = rest % size;
      rest = Math.floor(rest / size);
    }
    const values: Record<string, string> = {};
    let start: number | undefined;
    let end: number | undefined;
    for (let c = 0; c < columns.length; c++) {
      const column = columns[c] as KeyValues;
      const i = pick[c] as number;
      values[column.key] = column.values[i] as string;
      parts[c] = (encoded[c] as string[])[i] as string;
      const range = column.ranges?.[i];
      if (range !== undefined) {
        start = range.start;
        end = range.end;
      }
    }
    // join gives one flat string; `a/${b}` would keep a rope of several objects per partition.
    const key = columns.length === 1 ? (parts[0] as string) : parts.join('/');
    rows[n] = start !== undefined ? { key, values, start, end: end as number } : { key, values };
  }
  return { ok: true, value: { keys: columns.map((c) => c.key), timeKey, typicalLength, rows, nextChangeAt } };
}

/** `/`, `=` and `%` would make a key ambiguous, so they are percent-encoded. */
function escapePart(text: string): string {
  return text.replace(/[%/=]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Parses a partition key back into its values. */
export function parsePartitionKey(key: string): Record<string, string> {
  const values: Record<string, string> = {};
  if (key === '') return values;
  for (const part of key.split('/')) {
    const at = part.indexOf('=');
    values[decodeURIComponent(part.slice(0, at))] = decodeURIComponent(part.slice(at + 1));
  }
  return values;
}
