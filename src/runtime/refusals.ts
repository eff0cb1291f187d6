/**
 * Calls the outside world refused for good: retrying in a second will not help (the
 * controller's RBAC lacks a verb, the namespace is gone, the object is invalid). Only a person
 * can fix them, so they are said where a person looks (a Degraded condition and an Event on the
 * owner), retried rarely (minutes, doubling), and logged once per backoff step, not per call.
 * Transient failures (5xx, 429, conflicts, timeouts) stay plain errors with the fast backoff.
 */
import { ownerKey as keyOf, type OwnerRef } from '../engine/index.js';

/**
 * Thrown by a port when the outside world refused a call for a reason retrying soon will not
 * fix. `reason` is a CamelCase condition reason (Forbidden, Unauthorized, NotFound, Invalid);
 * the message names the verb and the resource, e.g. "create jobs.batch in namespace X is
 * forbidden: ...".
 */
export class PermanentRefusal extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'PermanentRefusal';
  }
}

/** An owner's calls are refused: why, since when, and when the next call may go. */
export interface Refusal {
  reason: string;
  message: string;
  since: number;
  /** Backoff steps taken: 1 after the first refusal. */
  step: number;
  /** The owner's calls wait until then. */
  dueAt: number;
  /** Refusals not logged since the last line. */
  suppressed: number;
}

/** What a refusal calls for: `new` (the condition, an Event, a log line), `step` (a log line), `repeat` (nothing). */
export type RefusalNews = 'new' | 'step' | 'repeat';

export interface RefusalBookOptions {
  /** The first wait after a refusal. Defaults to 1 min. */
  initialMs?: number;
  /** The wait doubles per refused retry, up to this. Defaults to 10 min. */
  maxMs?: number;
}

/** Refusals per owner, with their backoff. */
export class RefusalBook {
  private readonly byOwner = new Map<string, Refusal>();

  constructor(private readonly options: RefusalBookOptions = {}) {}

  get(owner: OwnerRef): Refusal | undefined {
    return this.byOwner.get(keyOf(owner));
  }

  /** Whether the owner's calls wait for their backoff now. */
  waiting(owner: OwnerRef, now: number): boolean {
    const r = this.byOwner.get(keyOf(owner));
    return r !== undefined && now < r.dueAt;
  }

  /** Whether the owner has a refusal whose backoff has passed: one call probes for all. */
  due(owner: OwnerRef, now: number): boolean {
    const r = this.byOwner.get(keyOf(owner));
    return r !== undefined && now >= r.dueAt;
  }

  /** A call of the owner was refused for good. */
  refused(owner: OwnerRef, error: PermanentRefusal, now: number): { news: RefusalNews; refusal: Refusal } {
    const key = keyOf(owner);
    const known = this.byOwner.get(key);
    if (known === undefined || known.reason !== error.reason || known.message !== error.message) {
      const step = known?.step ?? 1;
      const refusal: Refusal = { reason: error.reason, message: error.message, since: now, step, dueAt: now + this.wait(step), suppressed: 0 };
      this.byOwner.set(key, refusal);
      return { news: 'new', refusal };
    }
    if (now < known.dueAt) {
      known.suppressed++;
      return { news: 'repeat', refusal: known };
    }
    known.step++;
    known.dueAt = now + this.wait(known.step);
    return { news: 'step', refusal: known };
  }

  /** A call of the owner went through, or the owner is gone: returns whether it was refused. */
  clear(owner: OwnerRef): boolean {
    return this.byOwner.delete(keyOf(owner));
  }

  /** When the next owner's backoff ends, if any is waiting. */
  nextDueAt(): number | undefined {
    let next: number | undefined;
    for (const r of this.byOwner.values()) next = Math.min(next ?? Infinity, r.dueAt);
    return next;
  }

  private wait(step: number): number {
    const initial = this.options.initialMs ?? 60_000;
    return Math.min(initial * 2 ** (step - 1), this.options.maxMs ?? 600_000);
  }
}

/** What `callEach` left: the calls to try again, and the owners whose refusal a success ended. */
export interface CallsLeft<T> {
  left: T[];
  cleared: OwnerRef[];
}

/**
 * Makes calls of many owners through the book: an owner whose backoff runs makes none; an
 * owner whose backoff has passed makes one (a probe for all of its calls); the others make all
 * of theirs at once. A refusal is recorded and handed to `onRefused`; any other failure to
 * `onFailed`. Resolves to the calls to try again (refused, failed, or not tried).
 */
export async function callEach<T extends { owner: OwnerRef }>(
  book: RefusalBook,
  items: readonly T[],
  now: number,
  call: (item: T) => Promise<void>,
  onFailed: (item: T, error: unknown) => void,
  onRefused: (item: T, news: RefusalNews, refusal: Refusal) => void,
): Promise<CallsLeft<T>> {
  const tried: T[] = [];
  const kept: T[] = [];
  const probing = new Set<string>();
  for (const item of items) {
    const key = keyOf(item.owner);
    if (book.waiting(item.owner, now) || (book.due(item.owner, now) && probing.has(key))) kept.push(item);
    else {
      if (book.due(item.owner, now)) probing.add(key);
      tried.push(item);
    }
  }
  const results = await Promise.allSettled(tried.map((item) => call(item)));
  const left: T[] = [];
  const cleared = new Map<string, OwnerRef>();
  tried.forEach((item, i) => {
    const r = results[i] as PromiseSettledResult<void>;
    if (r.status === 'fulfilled') {
      if (book.clear(item.owner)) cleared.set(keyOf(item.owner), item.owner);
      return;
    }
    left.push(item);
    if (r.reason instanceof PermanentRefusal) {
      const { news, refusal } = book.refused(item.owner, r.reason, now);
      onRefused(item, news, refusal);
    } else onFailed(item, r.reason);
  });
  return { left: [...kept, ...left], cleared: [...cleared.values()] };
}
