/**
 * One object's partitions, small whatever their number (365k and more): counts per phase in a
 * grid of time buckets x values, plus the bounded lists of the status (failures, leases, waiting).
 * Pure: reads the engine's owner model.
 */
import { type NodeRecord, type OwnerModel, PHASES } from '../engine/model.js';
import { type OwnerStatus, ownerStatus } from '../engine/ownerStatus.js';
import type { Lease, Phase, RetryRecord } from '../engine/types.js';

export interface PartitionCell {
  /** Index into `buckets` and `values`. */
  bucket: number;
  value: number;
  counts: Partial<Record<Phase, number>>;
}

export interface PartitionSummary {
  total: number;
  counts: Record<Phase, number>;
  /** The time key (Dags: `period`), or undefined without one. */
  timeKey: string | undefined;
  /** Time buckets in order: one period each when few, else consecutive periods grouped (`from`..`to`). */
  buckets: { from: string; to: string; periods: number }[];
  /** The other keys' values (`campaign=7/region=eu`), the most frequent first; the rest as `(other)`. */
  values: string[];
  /** Only cells with nodes. */
  cells: PartitionCell[];
  failures: OwnerStatus['failures'];
  failuresNotShown: number;
  waiting: OwnerStatus['waiting'];
  waitingNotShown: number;
  leases: OwnerStatus['leases'];
}

export interface SummaryLimits {
  /** Defaults to 120 (a few years of months, four months of days). */
  maxBuckets?: number;
  /** Defaults to 50. */
  maxValues?: number;
}

export const OTHER_VALUES = '(other)';

export function partitionSummary(owner: OwnerModel, leaseOf: (node: string) => Lease | undefined, retryOf: (node: string) => RetryRecord | undefined, limits: SummaryLimits = {}): PartitionSummary {
  const maxBuckets = Math.max(1, limits.maxBuckets ?? 120);
  const maxValues = Math.max(1, limits.maxValues ?? 50);
  const status = ownerStatus(owner, leaseOf, retryOf);
  // A Dag's own nodes are its whole periods; its task nodes are summed up in the status already.
  const nodes = owner.nodes.filter((n) => n.alive && (owner.ref.kind !== 'Dag' || n.policy.task === undefined));
  const timeKey = owner.ref.kind === 'Dag' ? 'period' : owner.space?.timeKey;
  const timeOf = (n: NodeRecord): string => (owner.ref.kind === 'Dag' ? (n.period ?? n.partition) : timeKey !== undefined ? (n.values[timeKey] ?? '') : '');
  const valueOf = (n: NodeRecord): string =>
    owner.ref.kind === 'Dag'
      ? ''
      : (owner.space?.keys ?? [])
          .filter((k) => k !== timeKey)
          .map((k) => `${k}=${n.values[k] ?? ''}`)
          .join('/');

  const times = [...new Set(nodes.map(timeOf))].sort();
  const perBucket = Math.max(1, Math.ceil(times.length / maxBuckets));
  const bucketOfTime = new Map<string, number>();
  const buckets: PartitionSummary['buckets'] = [];
  times.forEach((t, i) => {
    const b = Math.floor(i / perBucket);
    bucketOfTime.set(t, b);
    const bucket = buckets[b];
    if (bucket === undefined) buckets[b] = { from: t, to: t, periods: 1 };
    else {
      bucket.to = t;
      bucket.periods++;
    }
  });

  const frequency = new Map<string, number>();
  for (const n of nodes) {
    const v = valueOf(n);
    frequency.set(v, (frequency.get(v) ?? 0) + 1);
  }
  const ranked = [...frequency.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([v]) => v);
  const values = ranked.length > maxValues ? [...ranked.slice(0, maxValues - 1), OTHER_VALUES] : ranked;
  const valueIndex = new Map(values.map((v, i) => [v, i]));
  const otherIndex = values.length - 1;

  const cells = new Map<number, PartitionCell>();
  const counts = Object.fromEntries(PHASES.map((p) => [p, 0])) as Record<Phase, number>;
  for (const n of nodes) {
    counts[n.phase]++;
    const bucket = bucketOfTime.get(timeOf(n)) as number;
    const value = valueIndex.get(valueOf(n)) ?? otherIndex;
    const key = bucket * values.length + value;
    let cell = cells.get(key);
    if (cell === undefined) cells.set(key, (cell = { bucket, value, counts: {} }));
    cell.counts[n.phase] = (cell.counts[n.phase] ?? 0) + 1;
  }

  return {
    total: nodes.length,
    counts,
    timeKey,
    buckets,
    values,
    cells: [...cells.values()].sort((a, b) => a.bucket - b.bucket || a.value - b.value),
    failures: status.failures,
    failuresNotShown: status.failuresNotShown,
    waiting: status.waiting,
    waitingNotShown: status.waitingNotShown,
    leases: status.leases,
  };
}
