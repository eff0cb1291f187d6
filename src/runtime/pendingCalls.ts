/**
 * Calls to the outside world that have not succeeded yet. The reconciler never blocks on a
 * failing port: it keeps what failed here and tries again on a later pass, with backoff.
 */

/**
 * Writes keyed by object: a newer write for the same key replaces an older one that has not gone
 * out (only the latest status matters), and a write is forgotten once it succeeded.
 */
export class PendingWrites<T> {
  private readonly items = new Map<string, T>();

  get size(): number {
    return this.items.size;
  }

  set(key: string, item: T): void {
    this.items.set(key, item);
  }

  values(): IterableIterator<T> {
    return this.items.values();
  }

  /** Sends every pending write at once; resolves to false when any failed (those stay pending). */
  async flush(send: (item: T) => Promise<void>, onError: (key: string, error: unknown) => void): Promise<boolean> {
    let ok = true;
    await Promise.all(
      [...this.items].map(([key, item]) =>
        send(item).then(
          () => void (this.items.get(key) === item && this.items.delete(key)),
          (error: unknown) => {
            ok = false;
            onError(key, error);
          },
        ),
      ),
    );
    return ok;
  }
}

/** Runs `call` on each item at once; resolves to the items whose call rejected, to retry. */
export async function retryEach<T>(items: readonly T[], call: (item: T) => Promise<void>, onError: (item: T, error: unknown) => void): Promise<T[]> {
  const results = await Promise.allSettled(items.map((item) => call(item)));
  return items.filter((item, i) => {
    const r = results[i] as PromiseSettledResult<void>;
    if (r.status === 'rejected') onError(item, r.reason);
    return r.status === 'rejected';
  });
}
