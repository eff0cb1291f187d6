/**
 * A Set allocated on its first element. Most owners never hold a failing node, a node waiting for
 * a slot or an open run: an empty `new Set()` costs its hash table (some 80 bytes) each, four per
 * owner, which adds up over 11,000 small owners. This costs one field until it is used.
 */
export class SmallSet<T> implements Iterable<T> {
  private set: Set<T> | undefined = undefined;

  get size(): number {
    return this.set?.size ?? 0;
  }

  has(value: T): boolean {
    return this.set !== undefined && this.set.has(value);
  }

  add(value: T): this {
    (this.set ??= new Set()).add(value);
    return this;
  }

  /** Deletes `value`. The table stays once made: an iteration under way goes on seeing later additions, as with a Set. */
  delete(value: T): boolean {
    return this.set !== undefined && this.set.delete(value);
  }

  /** Iterates in insertion order, like a Set; deleting the current value while iterating is safe. */
  [Symbol.iterator](): Iterator<T> {
    return (this.set ?? EMPTY)[Symbol.iterator]() as Iterator<T>;
  }
}

const EMPTY: ReadonlySet<never> = new Set<never>();
