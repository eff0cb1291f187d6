/**
 * A min-heap of (time, item) pairs. Entries are never removed early: a caller that reschedules
 * pushes again and ignores stale entries when they pop (lazy deletion keeps every push O(log n)).
 * Items due at the same time pop in the order they were pushed, so a backfill whose periods all
 * wake at once starts them oldest first, as they were decided.
 */
export class TimerHeap<T> {
  private times: number[] = [];
  private seqs: number[] = [];
  private items: T[] = [];
  private nextSeq = 0;

  get size(): number {
    return this.times.length;
  }

  push(at: number, item: T): void {
    if (!Number.isFinite(at)) return;
    this.times.push(at);
    this.seqs.push(this.nextSeq++);
    this.items.push(item);
    let i = this.times.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /** The earliest time, or undefined when empty. */
  peek(): number | undefined {
    return this.times[0];
  }

  /** Removes and returns every item due at or before `now`, earliest (then first pushed) first. */
  popDue(now: number): { at: number; item: T }[] {
    const due: { at: number; item: T }[] = [];
    while (this.times.length > 0 && (this.times[0] as number) <= now) {
      due.push({ at: this.times[0] as number, item: this.items[0] as T });
      const lastTime = this.times.pop() as number;
      const lastSeq = this.seqs.pop() as number;
      const lastItem = this.items.pop() as T;
      if (this.times.length === 0) break;
      this.times[0] = lastTime;
      this.seqs[0] = lastSeq;
      this.items[0] = lastItem;
      this.siftDown(0);
    }
    return due;
  }

  private less(a: number, b: number): boolean {
    const ta = this.times[a] as number;
    const tb = this.times[b] as number;
    return ta < tb || (ta === tb && (this.seqs[a] as number) < (this.seqs[b] as number));
  }

  private siftDown(i: number): void {
    const n = this.times.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = i;
      if (l < n && this.less(l, smallest)) smallest = l;
      if (r < n && this.less(r, smallest)) smallest = r;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }

  private swap(a: number, b: number): void {
    [this.times[a], this.times[b]] = [this.times[b] as number, this.times[a] as number];
    [this.seqs[a], this.seqs[b]] = [this.seqs[b] as number, this.seqs[a] as number];
    [this.items[a], this.items[b]] = [this.items[b] as T, this.items[a] as T];
  }
}
