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
  /**
   * Every partition as an object. In a space built by partitionSpace this is computed on first
   * read (and kept): the engine reads rows through the functions below (rowCount, rowKey, ...),
   * which use `columns`, so 365,000 partitions are not 365,000 objects.
   */
  rows: PartitionRow[];
  nextChangeAt: number | undefined;
  /** The product form (partitionSpace): row n picks value (n / stride) % values.length of each column. */
  columns?: SpaceColumn[];
}

/** One key's values, encoded for keys, and where it sits in the row number. */
export interface SpaceColumn {
  key: string;
  values: string[];
  /** `key=value`, escaped: a part of a row key. */
  encoded: string[];
  ranges?: { start: number; end: number }[];
  /** Rows between two values of this key (the first key varies slowest). */
  stride: number;
}

/** How many partitions a space has, without listing them. */
export const rowCount = (space: PartitionSpace): number => (space.columns !== undefined ? space.columns.reduce((n, c) => n * c.values.length, 1) : space.rows.length);

const pick = (column: SpaceColumn, row: number): number => Math.floor(row / column.stride) % column.values.length;

/** The value of `key` in partition `row`, or undefined when the space has no such key. */
export function rowValue(space: PartitionSpace, row: number, key: string): string | undefined {
  if (space.columns === undefined) return space.rows[row]?.values[key];
  for (const column of space.columns) if (column.key === key) return column.values[pick(column, row)];
  return undefined;
}

/** Hive-style key of partition `row` (see PartitionRow.key). */
export function rowKey(space: PartitionSpace, row: number): string {
  const columns = space.columns;
  if (columns === undefined) return space.rows[row]?.key ?? '';
  if (columns.length === 1) return (columns[0] as SpaceColumn).encoded[pick(columns[0] as SpaceColumn, row)] as string;
  const parts = new Array<string>(columns.length);
  for (let c = 0; c < columns.length; c++) parts[c] = (columns[c] as SpaceColumn).encoded[pick(columns[c] as SpaceColumn, row)] as string;
  // join gives one flat string; `a/${b}` would keep a rope of several objects per partition.
  return parts.join('/');
}

/** The values of partition `row`, a new object each call. */
export function rowValues(space: PartitionSpace, row: number): Record<string, string> {
  if (space.columns === undefined) return space.rows[row]?.values ?? {};
  const values: Record<string, string> = {};
  for (const column of space.columns) values[column.key] = column.values[pick(column, row)] as string;
  return values;
}

/** The time range of partition `row` (its time key's period), or undefined without a time key. */
export function rowRange(space: PartitionSpace, row: number): { start: number; end: number } | undefined {
  if (space.columns === undefined) {
    const r = space.rows[row];
    return r?.start !== undefined ? { start: r.start, end: r.end ?? 0 } : undefined;
  }
  for (const column of space.columns) if (column.ranges !== undefined) return column.ranges[pick(column, row)];
  return undefined;
}

export const rowStart = (space: PartitionSpace, row: number): number => rowRange(space, row)?.start ?? 0;
export const rowEnd = (space: PartitionSpace, row: number): number => rowRange(space, row)?.end ?? 0;

/**
 * The row of a partition key (as rowKey writes it), or undefined: a lookup by each part's
 * value, with no table of every key.
 */
export function rowOfKey(space: PartitionSpace, key: string, lookups: WeakMap<SpaceColumn, Map<string, number>>): number | undefined {
  const columns = space.columns;
  if (columns === undefined) {
    const index = space.rows.findIndex((r) => r.key === key);
    return index < 0 ? undefined : index;
  }
  if (columns.length === 0) return key === '' ? 0 : undefined;
  const parts = key.split('/');
  if (parts.length !== columns.length) return undefined;
  let row = 0;
  for (let c = 0; c < columns.length; c++) {
    const column = columns[c] as SpaceColumn;
    let lookup = lookups.get(column);
    if (lookup === undefined) lookups.set(column, (lookup = new Map(column.encoded.map((e, i) => [e, i]))));
    const i = lookup.get(parts[c] as string);
    if (i === undefined) return undefined;
    row += i * column.stride;
  }
  return row;
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

  const spaceColumns: SpaceColumn[] = [];
  let stride = total;
  for (const c of columns) {
    stride = c.values.length === 0 ? 0 : stride / c.values.length;
    spaceColumns.push({ key: c.key, values: c.values, encoded: c.values.map((v) => `${escapePart(c.key)}=${escapePart(v)}`), ...(c.ranges !== undefined ? { ranges: c.ranges } : {}), stride: Math.max(1, stride) });
  }
  if (columns.length === 0) return { ok: true, value: UNPARTITIONED };
  return { ok: true, value: new ColumnSpace(columns.map((c) => c.key), timeKey, typicalLength, nextChangeAt, spaceColumns, total) };
}

/**
 * A space in product form. A class, so `rows` is a getter on the prototype: a getter defined on
 * each object (Object.defineProperty) put every space in dictionary mode, a few hundred bytes
 * apiece for an engine of 11,000 small owners.
 */
class ColumnSpace implements PartitionSpace {
  /** Rows as objects only for whoever asks for them (tests, small spaces): the engine reads the columns. */
  private listed: PartitionRow[] | undefined = undefined;
  constructor(
    readonly keys: string[],
    readonly timeKey: string | undefined,
    readonly typicalLength: number,
    readonly nextChangeAt: number | undefined,
    readonly columns: SpaceColumn[],
    private readonly total: number,
  ) {}

  get rows(): PartitionRow[] {
    return (this.listed ??= listRows(this, this.total));
  }
}

/** The space of every unpartitioned owner (one partition, no keys): one object for all of them. */
const UNPARTITIONED: PartitionSpace = new ColumnSpace([], undefined, 0, undefined, [], 1);

function listRows(space: PartitionSpace, total: number): PartitionRow[] {
  const rows = new Array<PartitionRow>(total);
  for (let n = 0; n < total; n++) {
    const range = rowRange(space, n);
    rows[n] = range !== undefined ? { key: rowKey(space, n), values: rowValues(space, n), start: range.start, end: range.end } : { key: rowKey(space, n), values: rowValues(space, n) };
  }
  return rows;
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
