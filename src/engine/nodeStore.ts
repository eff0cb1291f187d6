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
    return slot;
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
  }

  private grow(atLeast: number): void {
    let n = this.capacity;
    while (n < atLeast) n *= 2;
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
    this.capacity = n;
  }
}
