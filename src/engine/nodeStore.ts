import type { Phase, Verdict } from './types.js';

/**
 * The numeric state of every node, in typed arrays indexed by a slot number (struct of arrays).
 *
 * Why: a node's timestamps kept as object fields cost a boxed number each (V8 with pointer
 * compression boxes every double field), and 365,000 nodes made the garbage collector the biggest
 * cost of a full plan. Here a timestamp is 8 bytes in a Float64Array, nothing for the GC to trace.
 *
 * Slot 0 is never given to a live node: a removed node's record is pointed at it, so a stale
 * reference (a timer or a queue entry still holding it) can read and write without touching the
 * node that took its slot over.
 */
export const ALIVE = 1;
export const QUEUED = 2;
export const VERIFYING = 4;
export const REBUILDING = 8;

/** Phase codes: 0 is Unknown, what a new node (and slot 0) says. */
export const PHASE_CODES: readonly Phase[] = ['Unknown', 'Satisfied', 'WorkingOnIt', 'Pending', 'Waiting', 'Failed'];
export const VERDICT_CODES: readonly (Verdict | undefined)[] = [undefined, 'satisfied', 'unsatisfied', 'unrecoverable', 'unknown'];
export const phaseCode = (phase: Phase): number => PHASE_CODES.indexOf(phase);
export const verdictCode = (verdict: Verdict): number => VERDICT_CODES.indexOf(verdict);

export class NodeStore {
  checkRequestedAt: Float64Array;
  checkDeadline: Float64Array;
  nextCheckAt: Float64Array;
  actedAt: Float64Array;
  doneAt: Float64Array;
  madeAt: Float64Array;
  builtAt: Float64Array;
  seenSatisfiedAt: Float64Array;
  wakeAt: Float64Array;
  checkFailures: Uint32Array;
  stamp: Uint32Array;
  /** The node's row in its owner's partition space. */
  row: Uint32Array;
  /** Bits: ALIVE, QUEUED, VERIFYING, REBUILDING. */
  flags: Uint8Array;
  /** PHASE_CODES index. */
  phase: Uint8Array;
  /** Index into `words`: reasons are a small set of CamelCase words shared by many nodes. */
  reason: Uint16Array;
  /** The latest observation: VERDICT_CODES index (0: none) and when it was taken. */
  verdict: Uint8Array;
  observedAt: Float64Array;
  /** The few observations that carry words (a checker's message, a failed check's reason), by slot. */
  readonly observationWords = new Map<number, { reason?: string; message?: string }>();
  private readonly words: string[] = ['NeverChecked'];
  private readonly wordIndex = new Map<string, number>([['NeverChecked', 0]]);

  private capacity: number;
  /** The next slot never used; slots below it are live or on the free list. */
  private top = 1;
  private free: number[] = [];

  constructor(capacity = 1024) {
    this.capacity = Math.max(2, capacity);
    const n = this.capacity;
    this.checkRequestedAt = new Float64Array(n);
    this.checkDeadline = new Float64Array(n);
    this.nextCheckAt = new Float64Array(n);
    this.actedAt = new Float64Array(n);
    this.doneAt = new Float64Array(n);
    this.madeAt = new Float64Array(n);
    this.builtAt = new Float64Array(n);
    this.seenSatisfiedAt = new Float64Array(n);
    this.wakeAt = new Float64Array(n);
    this.checkFailures = new Uint32Array(n);
    this.stamp = new Uint32Array(n);
    this.row = new Uint32Array(n);
    this.flags = new Uint8Array(n);
    this.phase = new Uint8Array(n);
    this.reason = new Uint16Array(n);
    this.verdict = new Uint8Array(n);
    this.observedAt = new Float64Array(n);
    this.reset(0);
  }

  /** Live slots (for tests and figures). */
  get size(): number {
    return this.top - 1 - this.free.length;
  }

  /** A slot for a new node, its state as a node never checked has it. */
  alloc(): number {
    const slot = this.free.pop() ?? this.top++;
    if (slot >= this.capacity) this.grow(slot + 1);
    this.reset(slot);
    this.flags[slot] = ALIVE;
    return slot;
  }

  /**
   * Room for `count` more nodes, allocated once (a compile knows how many it makes), with a
   * little more for the smaller owners compiled after it: growing copies every column, and for a
   * moment holds both copies.
   */
  reserve(count: number): void {
    const need = this.top + Math.max(0, count - this.free.length);
    if (need > this.capacity) this.grow(need + Math.max(4096, Math.ceil(need / 32)), true);
  }

  word(index: number): string {
    return this.words[index] as string;
  }

  /** The index of a reason word, added on first sight. */
  wordOf(text: string): number {
    let index = this.wordIndex.get(text);
    if (index === undefined) {
      index = this.words.length;
      if (index > 0xffff) throw new Error(`NodeStore: more than 65,536 distinct node reasons (at ${JSON.stringify(text)}); reasons are meant to be CamelCase words`);
      this.words.push(text);
      this.wordIndex.set(text, index);
    }
    return index;
  }

  /** The slot of a removed node goes back to the pool; callers point the record at slot 0 first. */
  release(slot: number): void {
    if (slot <= 0) return;
    this.reset(slot);
    this.free.push(slot);
  }

  private reset(slot: number): void {
    this.checkRequestedAt[slot] = 0;
    this.checkDeadline[slot] = 0;
    this.nextCheckAt[slot] = 0;
    this.actedAt[slot] = 0;
    this.doneAt[slot] = 0;
    this.madeAt[slot] = 0;
    this.builtAt[slot] = 0;
    this.seenSatisfiedAt[slot] = 0;
    this.wakeAt[slot] = Infinity;
    this.checkFailures[slot] = 0;
    this.stamp[slot] = 0;
    this.row[slot] = 0;
    this.flags[slot] = 0;
    this.phase[slot] = 0;
    this.reason[slot] = 0;
    this.verdict[slot] = 0;
    this.observedAt[slot] = 0;
    this.observationWords.delete(slot);
  }

  private grow(atLeast: number, exact = false): void {
    let n = this.capacity;
    if (exact) n = atLeast;
    else while (n < atLeast) n *= 2;
    const f = (a: Float64Array): Float64Array => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    const u = (a: Uint32Array): Uint32Array => {
      const b = new Uint32Array(n);
      b.set(a);
      return b;
    };
    const u16 = (a: Uint16Array): Uint16Array => {
      const b = new Uint16Array(n);
      b.set(a);
      return b;
    };
    const u8 = (a: Uint8Array): Uint8Array => {
      const b = new Uint8Array(n);
      b.set(a);
      return b;
    };
    this.checkRequestedAt = f(this.checkRequestedAt);
    this.checkDeadline = f(this.checkDeadline);
    this.nextCheckAt = f(this.nextCheckAt);
    this.actedAt = f(this.actedAt);
    this.doneAt = f(this.doneAt);
    this.madeAt = f(this.madeAt);
    this.builtAt = f(this.builtAt);
    this.seenSatisfiedAt = f(this.seenSatisfiedAt);
    this.wakeAt = f(this.wakeAt);
    this.checkFailures = u(this.checkFailures);
    this.stamp = u(this.stamp);
    this.row = u(this.row);
    this.flags = u8(this.flags);
    this.phase = u8(this.phase);
    this.reason = u16(this.reason);
    this.verdict = u8(this.verdict);
    this.observedAt = f(this.observedAt);
    this.capacity = n;
  }
}
