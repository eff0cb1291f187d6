import { type PartitionSpace, rowKey, rowValue, rowValues } from './partitions.js';
import { ALIVE, type NodeStore, PHASE_CODES, phaseCode, QUEUED, REBUILDING, VERDICT_CODES, verdictCode, VERIFYING } from './nodeStore.js';
import type { ActionSpec, Observation, OwnerRef, Phase } from './types.js';
import { SmallSet } from './smallSet.js';

/**
 * How a node's state is known:
 * - check: a StateChecker observes it (an Expectation partition);
 * - make: it holds when its latest success started after its inputs' latest successes (a Dag task);
 * - all: it holds when all its inputs hold (a whole Dag for one period).
 */
export type NodeRule = 'check' | 'make' | 'all';

/** The rarer parts of a node, allocated on first use. */
interface NodeLinks {
  missing?: string | undefined;
  runTarget?: NodeRecord | undefined;
  rebuildInputs?: readonly NodeRecord[];
  /** A removed node's id, kept from when it was removed. */
  id?: string;
  /** A Dag node's template values. */
  values?: Record<string, string> | undefined;
}

/** Everything about how one group of nodes behaves; shared by the nodes of an owner (or of a task). */
export interface Policy {
  rule: NodeRule;
  checker?: { namespace: string; name: string; batchSize: number; timeoutMs: number; params: Record<string, string> };
  action?: ActionSpec;
  workingTimeoutMs: number;
  recheckMs: number;
  retryLimit: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  suspended: boolean;
  task?: string;
}

/** No inputs, no dependents: one shared, frozen array instead of an empty one per node. */
export const NO_NODES: readonly NodeRecord[] = Object.freeze([]) as readonly NodeRecord[];

/**
 * One node of the graph: a partition of an Expectation, a Dag task for a period, or a whole Dag
 * period. The record holds what points at other objects (owner, policy, inputs, words); its
 * timestamps and counters live in the owner's NodeStore (typed arrays, slot `slot`), read through
 * the accessors below, so a node costs no boxed numbers.
 */
export class NodeRecord {
  /** Inputs. Replaced whole when rewired, never pushed to (it may be NO_NODES). */
  deps: readonly NodeRecord[] = NO_NODES;
  /** The nodes this one is an input of: none, one (most nodes: no array), or several. */
  private outs: NodeRecord | NodeRecord[] | undefined = undefined;
  /** What few nodes have (see NodeLinks): one field, not three, on every node. */
  private links: NodeLinks | undefined = undefined;

  message = 'not checked yet';
  /** The node that makes this one wait or fail (itself when it failed), to name it downstream. */
  cause: NodeRecord | undefined = undefined;

  /** Where this node's numbers are in `store`; 0 once the node is removed (see NodeStore). */
  slot: number;

  constructor(
    public owner: OwnerModel,
    public policy: Policy,
    /** A Dag node's template values; undefined for an Expectation partition (read from its row). */
    ownValues: Record<string, string> | undefined,
  ) {
    this.slot = owner.store.alloc();
    if (ownValues !== undefined) this.ownValues = ownValues;
  }

  /** Where this node's numbers are: its owner's compiler's store (one field less per node). */
  private get store(): NodeStore {
    return this.owner.store;
  }

  /** A Dag node's template values; undefined for an Expectation partition (read from its row). */
  get ownValues(): Record<string, string> | undefined {
    return this.links?.values;
  }
  set ownValues(v: Record<string, string> | undefined) {
    if (v !== undefined || this.links !== undefined) (this.links ??= {}).values = v;
  }

  /**
   * The partition: an Expectation's row key (`date=2026-01-01/campaign=7`, the id after the
   * owner key), a Dag node's period. Computed on read: no second string per node.
   */
  /** Why an input does not exist (yet): the node waits, naming it. */
  get missing(): string | undefined {
    return this.links?.missing;
  }
  set missing(v: string | undefined) {
    if (v !== undefined || this.links !== undefined) (this.links ??= {}).missing = v;
  }
  /** For an Expectation whose action is a Dag run: the whole-Dag node of that period. */
  get runTarget(): NodeRecord | undefined {
    return this.links?.runTarget;
  }
  set runTarget(v: NodeRecord | undefined) {
    if (v !== undefined || this.links !== undefined) (this.links ??= {}).runTarget = v;
  }
  /** The inputs of `rebuild: OnInputChange` dependencies (a subset of deps): their remaking makes this node due. */
  get rebuildInputs(): readonly NodeRecord[] {
    return this.links?.rebuildInputs ?? NO_NODES;
  }
  set rebuildInputs(v: readonly NodeRecord[]) {
    if (v.length > 0 || this.links !== undefined) (this.links ??= {}).rebuildInputs = v;
  }

  /** The period: a Dag node's, or the value of an Expectation's time key in its row (undefined without one). */
  get period(): string | undefined {
    if (this.ownValues !== undefined) return this.ownValues['period'];
    const space = this.owner.space;
    return space?.timeKey !== undefined ? rowValue(space, this.row, space.timeKey) : undefined;
  }

  get partition(): string {
    if (this.ownValues !== undefined) return this.period ?? '';
    const space = this.owner.space;
    return space !== undefined ? rowKey(space, this.row) : '';
  }

  /**
   * Stable across compiles, so state (leases, retries, successes) follows the node:
   * `Expectation/ns/name|date=2026-01-01/campaign=7`, `Dag/ns/name|task|2026-01-05` (task '' for
   * the whole Dag). Computed on read from the owner, the row and the task: no string kept per node.
   */
  get id(): string {
    if (this.slot === 0 && this.links?.id !== undefined) return this.links.id;
    const owner = this.owner;
    if (this.ownValues !== undefined) return [owner.key, this.policy.task ?? '', this.period ?? ''].join('|');
    const space = owner.space;
    return [owner.key, space !== undefined ? rowKey(space, this.row) : ''].join('|');
  }

  /** Template values: a Dag node's own, or an Expectation partition's row values (a new object per read). */
  get values(): Record<string, string> {
    if (this.ownValues !== undefined) return this.ownValues;
    const space = this.owner.space;
    return space !== undefined ? rowValues(space, this.row) : {};
  }

  /** The node's row in its owner's space (and index). */
  get row(): number {
    return this.store.row[this.slot] as number;
  }
  set row(v: number) {
    this.store.row[this.slot] = v;
  }

  /** The node is gone: its slot is given back, and later writes through a stale reference land in slot 0. */
  release(): void {
    // Its row and space go away: a stale reference still reads the id it had.
    (this.links ??= {}).id = this.id;
    const slot = this.slot;
    this.slot = 0;
    this.store.release(slot);
  }

  get phase(): Phase {
    return PHASE_CODES[this.store.phase[this.slot] as number] as Phase;
  }
  set phase(v: Phase) {
    this.store.phase[this.slot] = phaseCode(v);
  }
  get reason(): string {
    return this.store.word(this.store.reason[this.slot] as number);
  }
  set reason(v: string) {
    this.store.reason[this.slot] = this.store.wordOf(v);
  }
  /** The latest verdict on this node (check nodes), rebuilt from the store on each read. */
  get observation(): Observation | undefined {
    const store = this.store;
    const verdict = VERDICT_CODES[store.verdict[this.slot] as number];
    if (verdict === undefined) return undefined;
    const observation: Observation = { verdict, at: store.observedAt[this.slot] as number };
    const words = store.observationWords.get(this.slot);
    if (words?.reason !== undefined) observation.reason = words.reason;
    if (words?.message !== undefined) observation.message = words.message;
    return observation;
  }
  /**
   * The latest verdict written into `into` (its words undefined when there are none), or
   * undefined: for a reader that keeps nothing of it, as a plan deciding every node.
   */
  readObservation(into: Observation): Observation | undefined {
    const store = this.store;
    const verdict = VERDICT_CODES[store.verdict[this.slot] as number];
    if (verdict === undefined) return undefined;
    const words = store.observationWords.size > 0 ? store.observationWords.get(this.slot) : undefined;
    into.verdict = verdict;
    into.at = store.observedAt[this.slot] as number;
    into.reason = words?.reason;
    into.message = words?.message;
    return into;
  }
  set observation(v: Observation | undefined) {
    const store = this.store;
    store.verdict[this.slot] = v === undefined ? 0 : verdictCode(v.verdict);
    store.observedAt[this.slot] = v?.at ?? 0;
    if (v?.reason !== undefined || v?.message !== undefined) store.observationWords.set(this.slot, { ...(v.reason !== undefined ? { reason: v.reason } : {}), ...(v.message !== undefined ? { message: v.message } : {}) });
    else store.observationWords.delete(this.slot);
  }
  /** The check in flight was asked after the action succeeded: its verdict judges the action. */
  get verifying(): boolean {
    return this.flag(VERIFYING);
  }
  set verifying(v: boolean) {
    this.setFlag(VERIFYING, v);
  }
  /** The lease held is a rebuild (rebuild: OnInputChange): only a verdict taken after the action ended can end it. */
  get rebuilding(): boolean {
    return this.flag(REBUILDING);
  }
  set rebuilding(v: boolean) {
    this.setFlag(REBUILDING, v);
  }
  get queued(): boolean {
    return this.flag(QUEUED);
  }
  set queued(v: boolean) {
    this.setFlag(QUEUED, v);
  }
  /** False once the node is removed (slot 0 is never alive). */
  get alive(): boolean {
    return this.flag(ALIVE);
  }
  set alive(v: boolean) {
    if (this.slot !== 0) this.setFlag(ALIVE, v);
  }
  private flag(bit: number): boolean {
    return ((this.store.flags[this.slot] as number) & bit) !== 0;
  }
  private setFlag(bit: number, on: boolean): void {
    const flags = this.store.flags[this.slot] as number;
    this.store.flags[this.slot] = on ? flags | bit : flags & ~bit;
  }
  get checkRequestedAt(): number {
    return this.store.checkRequestedAt[this.slot] as number;
  }
  set checkRequestedAt(v: number) {
    this.store.checkRequestedAt[this.slot] = v;
  }
  get checkDeadline(): number {
    return this.store.checkDeadline[this.slot] as number;
  }
  set checkDeadline(v: number) {
    this.store.checkDeadline[this.slot] = v;
  }
  get checkFailures(): number {
    return this.store.checkFailures[this.slot] as number;
  }
  set checkFailures(v: number) {
    this.store.checkFailures[this.slot] = v;
  }
  get nextCheckAt(): number {
    return this.store.nextCheckAt[this.slot] as number;
  }
  set nextCheckAt(v: number) {
    this.store.nextCheckAt[this.slot] = v;
  }
  /**
   * When an attempt on this node last ended without making the state hold (0: none this engine
   * knows of). An observation older than that cannot start an action: the node is checked first.
   */
  get actedAt(): number {
    return this.store.actedAt[this.slot] as number;
  }
  set actedAt(v: number) {
    this.store.actedAt[this.slot] = v;
  }
  /** For make and all nodes: when their latest success finished (0: never). */
  get doneAt(): number {
    return this.store.doneAt[this.slot] as number;
  }
  set doneAt(v: number) {
    this.store.doneAt[this.slot] = v;
  }
  /**
   * For check nodes, in memory only (0: unknown): when this engine saw the state made — a fresh
   * verdict said it holds right after its own action succeeded, or after it did not hold (a manual
   * fix). Learning that it holds (the first check, a restart) is not making it.
   */
  get madeAt(): number {
    return this.store.madeAt[this.slot] as number;
  }
  set madeAt(v: number) {
    this.store.madeAt[this.slot] = v;
  }
  /** When the action that last made this node started (or when it was made by hand): inputs made later are news to it. */
  get builtAt(): number {
    return this.store.builtAt[this.slot] as number;
  }
  set builtAt(v: number) {
    this.store.builtAt[this.slot] = v;
  }
  /** When a fresh verdict first said the state holds (0: not yet): inputs made before are not news to it. */
  get seenSatisfiedAt(): number {
    return this.store.seenSatisfiedAt[this.slot] as number;
  }
  set seenSatisfiedAt(v: number) {
    this.store.seenSatisfiedAt[this.slot] = v;
  }
  get wakeAt(): number {
    return this.store.wakeAt[this.slot] as number;
  }
  set wakeAt(v: number) {
    this.store.wakeAt[this.slot] = v;
  }
  /** The compile that last kept this node (see materialize). */
  get stamp(): number {
    return this.store.stamp[this.slot] as number;
  }
  set stamp(v: number) {
    this.store.stamp[this.slot] = v;
  }

  /** The nodes this one is an input of. */
  get dependents(): readonly NodeRecord[] {
    const outs = this.outs;
    return outs === undefined ? NO_NODES : outs instanceof NodeRecord ? [outs] : outs;
  }

  /** Calls `visit` for each node this one is an input of; no array is made for a single one (a plan visits every node). */
  forEachDependent(visit: (node: NodeRecord) => void): void {
    const outs = this.outs;
    if (outs === undefined) return;
    if (outs instanceof NodeRecord) visit(outs);
    else for (const node of outs) visit(node);
  }

  /** Registers `node` as depending on this one. */
  addDependent(node: NodeRecord): void {
    const outs = this.outs;
    if (outs === undefined) this.outs = node;
    else if (outs instanceof NodeRecord) this.outs = [outs, node];
    else outs.push(node);
  }

  /** Forgets the dependents of one owner (it is being rewired). */
  dropDependentsOf(owner: OwnerModel): void {
    const kept = this.dependents.filter((d) => d.owner !== owner);
    this.outs = kept.length === 0 ? undefined : kept.length === 1 ? kept[0] : kept;
  }

  /**
   * Human words for this node, used in messages of the nodes it blocks: a Dag node by its period
   * (`Dag ads task load 2026-03-09`), an Expectation partition by its whole key, every key=value
   * (`Expectation raw date=2026-03-09/campaign=7`), never by its time key alone.
   */
  describe(): string {
    const what = this.policy.task !== undefined ? `${this.owner.ref.kind} ${this.owner.ref.name} task ${this.policy.task}` : `${this.owner.ref.kind} ${this.owner.ref.name}`;
    const where = this.owner.ref.kind === 'Dag' ? (this.period ?? this.partition) : this.partition;
    return where === '' ? what : `${what} ${where}`;
  }
}

export const PHASES: readonly Phase[] = ['Satisfied', 'WorkingOnIt', 'Pending', 'Waiting', 'Failed', 'Unknown'];

/**
 * How many of an owner's nodes are in each phase: six small-integer fields, where a Map of six
 * entries costs its hash table (some 150 bytes per owner). Read and written like that Map.
 */
export class PhaseCounts {
  private Satisfied = 0;
  private WorkingOnIt = 0;
  private Pending = 0;
  private Waiting = 0;
  private Failed = 0;
  private Unknown = 0;

  get(phase: Phase): number {
    return this[phase];
  }

  set(phase: Phase, count: number): this {
    this[phase] = count;
    return this;
  }
}

/** An Expectation or a Dag as the engine holds it. */
export class OwnerModel {
  nodes: NodeRecord[] = [];
  /** The space other owners map their partitions onto (Dags: one time key, `period`). */
  space: PartitionSpace | undefined;
  counts = new PhaseCounts();
  // SmallSets: most owners never fill these, and an empty Set costs its table (see smallSet.ts).
  failing = new SmallSet<NodeRecord>();
  /** Nodes Unknown because their check failed (CheckerFailed, CheckerTimeout, NoVerdict), not never checked. */
  checkerFailing = new SmallSet<NodeRecord>();
  /** Nodes whose action is due but the concurrency limit is reached, oldest first. */
  waitingForSlot = new SmallSet<NodeRecord>();
  activeLeases = 0;
  maxConcurrent = 10;
  /** Dags: periods with an open run. */
  openRuns = new SmallSet<string>();
  historyLimit = 3;
  /**
   * Dags added after the first world start nothing before this time: objects applied together
   * arrive one by one, and a DagDependency seen after its Dag must still hold it back.
   */
  startsAfter = 0;
  /** Dags: task successes held per period (folded into a SuccessFloor when there are too many). */
  successCount = 0;
  generation = 0;
  /** When time passing adds partitions or periods: the owner is compiled again then. */
  nextChangeAt: number | undefined;
  /**
   * Why the owner cannot be compiled (Valid=False). While it is set its nodes are held: kept with
   * their leases, not wired and not decided (nothing launched or checked) until it is valid again.
   */
  invalid: string | undefined;
  invalidReason: string | undefined;
  statusChanged = true;

  /** `store`: where its nodes keep their numbers (the compiler's, shared by every owner). */
  constructor(
    readonly key: string,
    readonly ref: OwnerRef,
    readonly store: NodeStore,
  ) {}
}

/** Unknown for a reason other than "never checked": the checker crashed, timed out or gave no verdict. */
export const isCheckerFailure = (phase: Phase, reason: string): boolean => phase === 'Unknown' && reason !== 'NeverChecked';
