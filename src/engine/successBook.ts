import type { NodeRecord, OwnerModel } from './model.js';
import type { SuccessFloor, TaskSuccess } from './types.js';

/** Unsettled periods a fold may step over; more, and the fold stops before them. */
const MAX_FOLD_EXCEPTIONS = 64;

/**
 * The latest success of every Dag task and period: what Make's rule compares, and what the engine
 * must not lose (DESIGN rule 3). Bounded per Dag: past `max` records, the oldest settled periods
 * are folded into one SuccessFloor (see its comment for why folding never changes what runs).
 */
export class SuccessBook {
  private readonly records = new Map<string, TaskSuccess>();
  private readonly floors = new Map<string, SuccessFloor>();
  /** Dags past the bound: folded at the end of a plan that decided every queued node. */
  private readonly due = new Set<OwnerModel>();

  constructor(private readonly max: number) {}

  restore(records: readonly [string, TaskSuccess][], floors: readonly [string, SuccessFloor][]): void {
    for (const [k, v] of records) this.records.set(k, v);
    for (const [k, v] of floors) this.floors.set(k, v);
  }

  entries(): [string, TaskSuccess][] {
    return [...this.records.entries()];
  }

  floorEntries(): [string, SuccessFloor][] {
    return [...this.floors.entries()];
  }

  /** A node was (re)created: it counts the record it may have from a snapshot. */
  adopt(node: NodeRecord): void {
    if (this.records.size > 0 && this.records.has(node.id)) node.owner.successCount++;
  }

  /** The latest success of a task for its period: its own record, or its period's fold. */
  get(node: NodeRecord): TaskSuccess | undefined {
    return (this.records.size > 0 ? this.records.get(node.id) : undefined) ?? this.folded(node);
  }

  /** Whether any of a period's tasks ever succeeded. */
  any(owner: OwnerModel, period: string, tasks: readonly NodeRecord[]): boolean {
    const floor = this.floors.get(owner.key);
    if (floor !== undefined && period <= floor.through && floor.except?.includes(period) !== true) return true;
    return tasks.some((n) => this.records.has(n.id));
  }

  record(node: NodeRecord, success: TaskSuccess): void {
    if (!this.records.has(node.id)) node.owner.successCount++;
    this.records.set(node.id, success);
  }

  forget(node: NodeRecord): void {
    if (this.records.size > 0 && this.records.delete(node.id)) node.owner.successCount--;
  }

  forgetOwner(owner: OwnerModel): void {
    this.floors.delete(owner.key);
    this.due.delete(owner);
  }

  /** A run of the Dag succeeded: fold it at the end of the plan if it holds too many records. */
  runSucceeded(owner: OwnerModel): void {
    if (owner.successCount > this.max) this.due.add(owner);
  }

  /**
   * Folds the successes of each due Dag's oldest settled periods (every task holds, nothing
   * running) into its SuccessFloor, until half the allowed records are left. A period not settled
   * (failed, running, due again) is left out (`except`, at most MAX_FOLD_EXCEPTIONS): the fold's
   * later start time would hide what makes it due. Call only when every phase is current.
   */
  fold(now: number, hasLease: (nodeId: string) => boolean): boolean {
    let changed = false;
    for (const owner of this.due) {
      this.due.delete(owner);
      if (owner.successCount > this.max && this.foldOwner(owner, now, hasLease)) changed = true;
    }
    return changed;
  }

  private foldOwner(owner: OwnerModel, now: number, hasLease: (nodeId: string) => boolean): boolean {
    const periods = new Map<string, { settled: boolean; whole: boolean; records: number }>();
    for (const n of owner.nodes) {
      if (n.period === undefined) continue;
      let p = periods.get(n.period);
      if (p === undefined) periods.set(n.period, (p = { settled: true, whole: false, records: 0 }));
      if (n.policy.rule === 'all') {
        p.whole = true;
        p.settled &&= n.phase === 'Satisfied';
      } else if (this.records.has(n.id)) p.records++;
      if (hasLease(n.id)) p.settled = false;
    }
    const before = this.floors.get(owner.key);
    const keep = Math.floor(this.max / 2);
    let left = owner.successCount;
    let through: string | undefined;
    const skipped: string[] = [];
    for (const period of [...periods.keys()].sort()) {
      const p = periods.get(period) as { settled: boolean; whole: boolean; records: number };
      if (!p.whole) continue;
      if (left <= keep && (before === undefined || period > before.through)) break;
      if (!p.settled) {
        if (skipped.length >= MAX_FOLD_EXCEPTIONS) break;
        skipped.push(period);
        continue;
      }
      through = period;
      left -= p.records;
    }
    // A new fold covers the old one whole: it restarts the folded periods at `now`.
    if (through === undefined || (before !== undefined && through < before.through)) return false;
    const limit = through;
    const except = new Set(skipped.filter((period) => period < limit));
    for (const n of owner.nodes) {
      if (n.policy.rule !== 'make' || n.period === undefined || n.period > limit) continue;
      if (except.has(n.period)) {
        // Left out of this fold but covered by the old one: keep what the old one said of it.
        const old = this.folded(n);
        if (old !== undefined && !this.records.has(n.id)) this.record(n, old);
      } else this.forget(n);
    }
    this.floors.set(owner.key, { through: limit, at: now, ...(except.size > 0 ? { except: [...except] } : {}) });
    return true;
  }

  /** A task of a folded period: succeeded at the fold, finished at 0 (see SuccessFloor). */
  private folded(node: NodeRecord): TaskSuccess | undefined {
    const floor = this.floors.get(node.owner.key);
    if (floor === undefined || node.period === undefined || node.period > floor.through || floor.except?.includes(node.period) === true) return undefined;
    return { startedAt: floor.at, finishedAt: 0 };
  }
}
