/**
 * Gives memory back to the system once a burst of work is over.
 *
 * A first pass over 10,000 Expectations grows V8's heap to about twice what it keeps
 * (--heap-growing-percent=100) and leaves pooled pages and freed network buffers resident. V8 hands
 * them back only when its memory reducer finds the process idle, and the reducer gives up when the
 * burst ends in a trickle of status writes: measured, the controller stayed at ~340 MB for minutes
 * after its first pass, and fell to ~200-220 MB after one memory-reducing collection. The process
 * knows better when a burst is over: its event loop is idle. So, sampled every half second: once the
 * event loop has been idle (utilization under 5 %) for 2 samples in a row and V8's heap has grown by 32 MB
 * or more over its lowest size since the last settle, one full collection that reduces the footprint
 * runs (`gc` with flavor 'last-resort': it compacts and releases pooled pages). Each costs ~0.15-0.25 s
 * of one core and needs 32 MB of new growth before the next, so a steady controller rarely pays it.
 *
 * `gc` exists only when Node runs with --expose-gc (the image's flags, hack/image/controller-node-flags);
 * without it the settler does nothing.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';

import type { Logger } from '../runtime/log.js';
import type { PlainCounter } from '../runtime/metrics.js';

export interface SettlePolicy {
  /** An interval counts as idle below this event-loop utilization (0-1). */
  idleUtilization: number;
  /** Idle intervals in a row before a settle. */
  idleIntervals: number;
  /** Growth of V8's heap (bytes) over its lowest since the last settle that makes one worth it. */
  growthBytes: number;
}

export const DEFAULT_SETTLE_POLICY: SettlePolicy = { idleUtilization: 0.05, idleIntervals: 2, growthBytes: 32 * 2 ** 20 };

/** One interval's sample: how busy the event loop was, and V8's heap size (committed bytes). */
export interface SettleSample {
  utilization: number;
  heapBytes: number;
}

/** When to settle, from the samples alone (no clock, no V8): the decision the timer acts on. */
export class SettleDecision {
  private idleFor = 0;
  private lowest: number;

  constructor(
    private readonly policy: SettlePolicy,
    heapBytes: number,
  ) {
    this.lowest = heapBytes;
  }

  /** Feeds one interval; true when a settling collection is due now. */
  sample(sample: SettleSample): boolean {
    // V8's own collections shrink the heap too: growth counts from the lowest point seen.
    this.lowest = Math.min(this.lowest, sample.heapBytes);
    this.idleFor = sample.utilization < this.policy.idleUtilization ? this.idleFor + 1 : 0;
    return this.idleFor >= this.policy.idleIntervals && sample.heapBytes - this.lowest >= this.policy.growthBytes;
  }

  /** After a settle: its heap is the new lowest point, and idleness counts again from zero. */
  settled(heapBytes: number): void {
    this.lowest = heapBytes;
    this.idleFor = 0;
  }
}

/** V8's collection as --expose-gc gives it (the options object: Node 20 and newer). */
type ExposedGc = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

export interface MemorySettlerOptions {
  log: Logger;
  /** homeostat_memory_settles_total. */
  settles?: PlainCounter;
  intervalMs?: number;
  policy?: SettlePolicy;
}

export interface MemorySettler {
  /** False when there is no `gc` (Node without --expose-gc): nothing is sampled. */
  readonly active: boolean;
  stop(): void;
}

export function startMemorySettler(options: MemorySettlerOptions): MemorySettler {
  const gc = (globalThis as { gc?: ExposedGc }).gc;
  if (typeof gc !== 'function') {
    options.log.debug('memory settling off: Node runs without --expose-gc');
    return { active: false, stop: () => undefined };
  }
  const heapBytes = () => getHeapStatistics().total_heap_size;
  const policy = options.policy ?? DEFAULT_SETTLE_POLICY;
  const decision = new SettleDecision(policy, heapBytes());
  const intervalMs = options.intervalMs ?? 500;
  // Said once at info: whoever reads the logs of a controller holding more memory than they expect
  // can tell whether it would have handed it back (off is only said at debug, above).
  options.log.info({ intervalMs, idleBelowPct: policy.idleUtilization * 100, idleIntervals: policy.idleIntervals, heapGrowthMB: policy.growthBytes / 2 ** 20 }, 'memory settler on: one full collection once idle after the heap grew');
  let previous: EventLoopUtilization = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const utilization = performance.eventLoopUtilization(now, previous).utilization;
    previous = now;
    if (!decision.sample({ utilization, heapBytes: heapBytes() })) return;
    const before = process.memoryUsage();
    const started = performance.now();
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    const after = process.memoryUsage();
    decision.settled(heapBytes());
    // The collection itself is busy time: the next interval's utilization must not count it.
    previous = performance.eventLoopUtilization();
    options.settles?.inc();
    const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
    options.log.info({ ms: Math.round(performance.now() - started), rssMB: [mb(before.rss), mb(after.rss)], heapTotalMB: [mb(before.heapTotal), mb(after.heapTotal)], heapUsedMB: [mb(before.heapUsed), mb(after.heapUsed)] }, 'idle after a burst of work: memory handed back (one full collection)');
  }, intervalMs);
  timer.unref();
  return { active: true, stop: () => clearInterval(timer) };
}
