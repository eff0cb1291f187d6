import type { Parsed } from '../api/duration.js';
import { tooMany } from './calendar.js';
import { countPartitions, type KeySpec } from './partitions.js';
import type { PeriodCount } from './periodCount.js';

/**
 * The default caps: one object, and every object together. A node costs about 1.2 KB of heap
 * (bench/compileCap.ts): 600,000 fit the chart's 1 GiB memory limit with room for the caches.
 */
export const DEFAULT_MAX_NODES_PER_OBJECT = 400_000;
export const DEFAULT_MAX_NODES_TOTAL = 600_000;

/** How many nodes an owner compiles to, counted before any is built, and how that reads. */
export interface NodeCount {
  /** Exact, or a lower bound for a cron calendar. */
  nodes: PeriodCount;
  /** The product in words: `200 tasks and the Dag's own node x 8,016 periods`. */
  product: string;
}

const n = (value: number): string => value.toLocaleString('en-US');

/** An Expectation: one node per partition. `keys` has valuesFrom resolved. */
export function countExpectationNodes(keys: Record<string, KeySpec>, now: number): Parsed<NodeCount> {
  const counted = countPartitions(keys, now, 'today');
  if (!counted.ok) return counted;
  const { rows, periods, combinations } = counted.value;
  const product = periods === undefined ? `${n(combinations)} partition values` : combinations === 1 ? `${tooMany(periods)} periods` : `${n(combinations)} partition values x ${tooMany(periods)} periods`;
  return { ok: true, value: { nodes: rows, product } };
}

/** A Dag: per period, one node per task and one for the whole Dag. `periods` is its own or the inherited count. */
export function countDagNodes(tasks: number, periods: PeriodCount): NodeCount {
  return { nodes: { atLeast: (tasks + 1) * periods.atLeast, exact: periods.exact }, product: `${n(tasks)} task${tasks === 1 ? '' : 's'} and the Dag's own node x ${tooMany(periods)} periods` };
}

/** The per-object cap's message, or undefined within the cap. */
export function overObjectCap(count: NodeCount, cap: number): string | undefined {
  if (count.nodes.atLeast <= cap) return undefined;
  return `${tooMany(count.nodes)} nodes (${count.product}) is more than the cap of ${n(cap)} per object; narrow the range, lengthen the step or raise --max-nodes-per-object`;
}

export const TOO_MANY_NODES = 'TooManyNodes';
export const TOTAL_NODE_CAP = 'TotalNodeCapReached';
