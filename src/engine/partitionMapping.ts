import type { PartitionRow, PartitionSpace } from './partitions.js';

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

  const groups = new Map<string, number[]>();
  upstream.rows.forEach((row, index) => {
    const tuple = equalPairs.map(([upKey]) => row.values[upKey]).join('\u0000');
    let group = groups.get(tuple);
    if (group === undefined) groups.set(tuple, (group = []));
    group.push(index);
  });
  if (timeMapped) for (const group of groups.values()) group.sort((a, b) => startOf(upstream.rows[a]) - startOf(upstream.rows[b]));

  const mode = resolveMode(options.periods ?? 'Auto', upstream.typicalLength, mine.typicalLength);
  return mine.rows.map((row) => {
    const group = groups.get(equalPairs.map(([, myKey]) => row.values[myKey]).join('\u0000'));
    if (group === undefined || group.length === 0) return null;
    if (!timeMapped) return group;
    const matched = matchPeriods(group, upstream.rows, row, mode);
    return matched.length > 0 ? matched : null;
  });
}

function resolveMode(mode: PeriodMapping, upLength: number, myLength: number): Exclude<PeriodMapping, 'Auto'> {
  if (mode !== 'Auto') return mode;
  if (upLength === myLength) return 'Same';
  return upLength < myLength ? 'Within' : 'Containing';
}

const startOf = (row: PartitionRow | undefined): number => row?.start ?? 0;
const endOf = (row: PartitionRow | undefined): number => row?.end ?? 0;

/** The first position in `sorted` whose row starts at or after `t`. */
function lowerBound(sorted: number[], rows: PartitionRow[], t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (startOf(rows[sorted[mid] as number]) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function matchPeriods(sorted: number[], rows: PartitionRow[], mine: PartitionRow, mode: Exclude<PeriodMapping, 'Auto'>): number[] {
  const myStart = mine.start ?? 0;
  const myEnd = mine.end ?? 0;
  switch (mode) {
    case 'Same': {
      // Every upstream row of my period: several when the upstream has keys I do not (fan-in).
      const out: number[] = [];
      for (let i = lowerBound(sorted, rows, myStart); i < sorted.length; i++) {
        const index = sorted[i] as number;
        if (startOf(rows[index]) !== myStart) break;
        if (endOf(rows[index]) === myEnd) out.push(index);
      }
      return out;
    }
    case 'Within': {
      // Every upstream period inside mine, and only once they cover all of it: a day needs its 24 hours.
      const out: number[] = [];
      let reach = myStart;
      for (let i = lowerBound(sorted, rows, myStart); i < sorted.length; i++) {
        const index = sorted[i] as number;
        const start = startOf(rows[index]);
        if (start >= myEnd) break;
        if (endOf(rows[index]) > myEnd) continue;
        if (start > reach) return [];
        reach = Math.max(reach, endOf(rows[index]));
        out.push(index);
      }
      return reach >= myEnd ? out : [];
    }
    case 'Containing': {
      // The last upstream period starting at or before mine, if it also covers my end.
      const i = lowerBound(sorted, rows, myStart + 1) - 1;
      const index = sorted[i];
      return index !== undefined && endOf(rows[index]) >= myEnd ? samePeriod(sorted, rows, i) : [];
    }
    case 'Latest': {
      for (let i = lowerBound(sorted, rows, myEnd) - 1; i >= 0; i--) {
        if (endOf(rows[sorted[i] as number]) <= myEnd) return samePeriod(sorted, rows, i);
      }
      return [];
    }
  }
}

/** The rows at and before position `at` in `sorted` that share its period (fan-in: one per upstream key value). */
function samePeriod(sorted: number[], rows: PartitionRow[], at: number): number[] {
  const pivot = rows[sorted[at] as number];
  const out: number[] = [];
  for (let i = at; i >= 0; i--) {
    const index = sorted[i] as number;
    if (startOf(rows[index]) !== startOf(pivot)) break;
    if (endOf(rows[index]) === endOf(pivot)) out.push(index);
  }
  return out.reverse();
}
