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
  const timeKey = owner.ref.kind === 'Dag' ? 'period' : owner.space?.timeKey;
  const otherKeys = owner.ref.kind === 'Dag' ? [] : (owner.space?.keys ?? []).filter((k) => k !== timeKey);
  const timeOf = (n: NodeRecord): string => (owner.ref.kind === 'Dag' ? (n.period ?? n.partition) : timeKey !== undefined ? (n.values[timeKey] ?? '') : '');
  const valueOf = (n: NodeRecord): string => (otherKeys.length === 1 ? `${otherKeys[0] as string}=${n.values[otherKeys[0] as string] ?? ''}` : otherKeys.map((k) => `${k}=${n.values[k] ?? ''}`).join('/'));

  // One pass over the nodes (365k and more): each node's time and value as small integers, so the
  // grid below never builds a string or a map key per node twice.
  const timeIndex = new Map<string, number>();
  const valueIndexOf = new Map<string, number>();
  const valueNames: string[] = [];
  const frequency: number[] = [];
  const picked: NodeRecord[] = [];
  const nodeTime: number[] = [];
  const nodeValue: number[] = [];
  for (const n of owner.nodes) {
    // A Dag's own nodes are its whole periods; its task nodes are summed up in the status already.
    if (!n.alive || (owner.ref.kind === 'Dag' && n.policy.task !== undefined)) continue;
    const t = timeOf(n);
    let ti = timeIndex.get(t);
    if (ti === undefined) timeIndex.set(t, (ti = timeIndex.size));
    const v = valueOf(n);
    let vi = valueIndexOf.get(v);
    if (vi === undefined) {
      valueIndexOf.set(v, (vi = valueNames.length));
      valueNames.push(v);
      frequency.push(0);
    }
    frequency[vi] = (frequency[vi] as number) + 1;
    picked.push(n);
    nodeTime.push(ti);
    nodeValue.push(vi);
  }

  const times = [...timeIndex.keys()].sort();
  const perBucket = Math.max(1, Math.ceil(times.length / maxBuckets));
  const bucketOfTime: number[] = new Array<number>(times.length);
  const buckets: PartitionSummary['buckets'] = [];
  times.forEach((t, i) => {
    const b = Math.floor(i / perBucket);
    bucketOfTime[timeIndex.get(t) as number] = b;
    const bucket = buckets[b];
    if (bucket === undefined) buckets[b] = { from: t, to: t, periods: 1 };
    else {
      bucket.to = t;
      bucket.periods++;
    }
  });

  const ranked = valueNames.map((_, i) => i).sort((a, b) => (frequency[b] as number) - (frequency[a] as number) || ((valueNames[a] as string) < (valueNames[b] as string) ? -1 : 1));
  const values = ranked.length > maxValues ? [...ranked.slice(0, maxValues - 1).map((i) => valueNames[i] as string), OTHER_VALUES] : ranked.map((i) => valueNames[i] as string);
  const otherIndex = values.length - 1;
  // Each distinct value's row: its rank when shown, else the `(other)` row.
  const rowOfValue: number[] = new Array<number>(valueNames.length).fill(otherIndex);
  ranked.slice(0, ranked.length > maxValues ? maxValues - 1 : ranked.length).forEach((vi, row) => (rowOfValue[vi] = row));

  const cells = new Map<number, PartitionCell>();
  const counts = Object.fromEntries(PHASES.map((p) => [p, 0])) as Record<Phase, number>;
  for (let i = 0; i < picked.length; i++) {
    const n = picked[i] as NodeRecord;
    counts[n.phase]++;
    const bucket = bucketOfTime[nodeTime[i] as number] as number;
    const value = rowOfValue[nodeValue[i] as number] as number;
    const key = bucket * values.length + value;
    let cell = cells.get(key);
    if (cell === undefined) cells.set(key, (cell = { bucket, value, counts: {} }));
    cell.counts[n.phase] = (cell.counts[n.phase] ?? 0) + 1;
  }
  const nodes = picked;

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
