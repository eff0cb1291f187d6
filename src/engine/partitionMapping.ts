import { type PartitionSpace, rowCount, rowEnd, rowStart, rowValue } from './partitions.js';

export type PeriodMapping = 'Auto' | 'Same' | 'Within' | 'Containing' | 'Latest';

export interface MappingOptions {
  /** Upstream key -> my key, where the names differ. Keys with equal names map by default. */
  keys?: Record<string, string>;
  periods?: PeriodMapping;
}

/**
 * For each of my partitions, the indexes of the upstream partitions it needs, or null when the
 * partition it needs does not exist (yet). Upstream keys I do not map mean "all of their values";
 * the two time keys map by period (Same, Within, Containing, Latest). Pure and O(n log n).
 */
export function mapPartitions(mine: PartitionSpace, upstream: PartitionSpace, options: MappingOptions = {}): (number[] | null)[] {
  const explicit = options.keys ?? {};
  const mineKeys = new Set(mine.keys);
  const equalPairs: [string, string][] = [];
  let timeMapped = false;
  for (const upKey of upstream.keys) {
    const myKey = explicit[upKey] ?? (mineKeys.has(upKey) ? upKey : undefined);
    const bothTime = upKey === upstream.timeKey && mine.timeKey !== undefined && (myKey === undefined || myKey === mine.timeKey);
    if (bothTime) timeMapped = true;
    else if (myKey !== undefined) equalPairs.push([upKey, myKey]);
  }

  // Rows are read through the space's columns (partitions.ts), never listed as objects.
  const upCount = rowCount(upstream);
  // Each upstream row's time range read once: sorting and matching compare them many times.
  const starts = new Float64Array(upCount);
  const ends = new Float64Array(upCount);
  if (timeMapped) {
    for (let i = 0; i < upCount; i++) {
      starts[i] = rowStart(upstream, i);
      ends[i] = rowEnd(upstream, i);
    }
  }
  const rows: RowTimes = { start: (i) => starts[i] as number, end: (i) => ends[i] as number };
  const groups = new Map<string, number[]>();
  for (let index = 0; index < upCount; index++) {
    const tuple = equalPairs.length === 0 ? '' : equalPairs.map(([upKey]) => rowValue(upstream, index, upKey)).join('\u0000');
    let group = groups.get(tuple);
    if (group === undefined) groups.set(tuple, (group = []));
    group.push(index);
  }
  if (timeMapped) for (const group of groups.values()) group.sort((a, b) => rows.start(a) - rows.start(b));

  const mode = resolveMode(options.periods ?? 'Auto', upstream.typicalLength, mine.typicalLength);
  const myCount = rowCount(mine);
  const out = new Array<number[] | null>(myCount);
  for (let row = 0; row < myCount; row++) {
    const group = groups.get(equalPairs.length === 0 ? '' : equalPairs.map(([, myKey]) => rowValue(mine, row, myKey)).join('\u0000'));
    if (group === undefined || group.length === 0) out[row] = null;
    else if (!timeMapped) out[row] = group;
    else {
      const matched = matchPeriods(group, rows, rowStart(mine, row), rowEnd(mine, row), mode);
      out[row] = matched.length > 0 ? matched : null;
    }
  }
  return out;
}

/** When an upstream row starts and ends, by row number. */
interface RowTimes {
  start(row: number): number;
  end(row: number): number;
}

function resolveMode(mode: PeriodMapping, upLength: number, myLength: number): Exclude<PeriodMapping, 'Auto'> {
  if (mode !== 'Auto') return mode;
  if (upLength === myLength) return 'Same';
  return upLength < myLength ? 'Within' : 'Containing';
}

/** The first position in `sorted` whose row starts at or after `t`. */
function lowerBound(sorted: number[], rows: RowTimes, t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (rows.start(sorted[mid] as number) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function matchPeriods(sorted: number[], rows: RowTimes, myStart: number, myEnd: number, mode: Exclude<PeriodMapping, 'Auto'>): number[] {
  switch (mode) {
    case 'Same': {
      // Every upstream row of my period: several when the upstream has keys I do not (fan-in).
      const out: number[] = [];
      for (let i = lowerBound(sorted, rows, myStart); i < sorted.length; i++) {
        const index = sorted[i] as number;
        if (rows.start(index) !== myStart) break;
        if (rows.end(index) === myEnd) out.push(index);
      }
      return out;
    }
    case 'Within': {
      // Every upstream period inside mine, and only once they cover all of it: a day needs its 24 hours.
      const out: number[] = [];
      let reach = myStart;
      for (let i = lowerBound(sorted, rows, myStart); i < sorted.length; i++) {
        const index = sorted[i] as number;
        const start = rows.start(index);
        if (start >= myEnd) break;
        if (rows.end(index) > myEnd) continue;
        if (start > reach) return [];
        reach = Math.max(reach, rows.end(index));
        out.push(index);
      }
      return reach >= myEnd ? out : [];
    }
    case 'Containing': {
      // The last upstream period starting at or before mine, if it also covers my end.
      const i = lowerBound(sorted, rows, myStart + 1) - 1;
      const index = sorted[i];
      return index !== undefined && rows.end(index) >= myEnd ? samePeriod(sorted, rows, i) : [];
    }
    case 'Latest': {
      for (let i = lowerBound(sorted, rows, myEnd) - 1; i >= 0; i--) {
        if (rows.end(sorted[i] as number) <= myEnd) return samePeriod(sorted, rows, i);
      }
      return [];
    }
  }
}

/** The rows at and before position `at` in `sorted` that share its period (fan-in: one per upstream key value). */
function samePeriod(sorted: number[], rows: RowTimes, at: number): number[] {
  const pivot = sorted[at] as number;
  const out: number[] = [];
  for (let i = at; i >= 0; i--) {
    const index = sorted[i] as number;
    if (rows.start(index) !== rows.start(pivot)) break;
    if (rows.end(index) === rows.end(pivot)) out.push(index);
  }
  return out.reverse();
}
