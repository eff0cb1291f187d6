import type { PartitionSpace } from './partitions.js';
import type { ActionSpec, Observation, OwnerRef, Phase } from './types.js';

/**
 * How a node's state is known:
 * - check: a StateChecker observes it (an Expectation partition);
 * - make: it holds when its latest success started after its inputs' latest successes (a Dag task);
 * - all: it holds when all its inputs hold (a whole Dag for one period).
 */
export type NodeRule = 'check' | 'make' | 'all';

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

/** One node of the graph: a partition of an Expectation, a Dag task for a period, or a whole Dag period. */
export class NodeRecord {
  deps: NodeRecord[] = [];
  dependents: NodeRecord[] = [];
  /** Why an input does not exist (yet): the node waits, naming it. */
  missing: string | undefined;
  /** For an Expectation whose action is a Dag run: the whole-Dag node of that period. */
  runTarget: NodeRecord | undefined;
  /** The inputs of `rebuild: OnInputChange` dependencies (a subset of deps): their remaking makes this node due. */
  rebuildInputs: NodeRecord[] = [];

  phase: Phase = 'Unknown';
  reason = 'NeverChecked';
  message = 'not checked yet';
  /** The node that makes this one wait or fail (itself when it failed), to name it downstream. */
  cause: NodeRecord | undefined;

  observation: Observation | undefined;
  checkRequestedAt = 0;
  checkDeadline = 0;
  checkFailures = 0;
  /** The check in flight was asked after the action succeeded: its verdict judges the action. */
  verifying = false;
  nextCheckAt = 0;
  /**
   * When an attempt on this node last ended without making the state hold (0: none this engine
   * knows of). An observation older than that cannot start an action: the node is checked first.
   */
  actedAt = 0;
  /** For make and all nodes: when their latest success finished (0: never). */
  doneAt = 0;
  /**
   * For check nodes, in memory only (0: unknown): when this engine saw the state made — a fresh
   * verdict said it holds right after its own action succeeded, or after it did not hold (a manual
   * fix). Learning that it holds (the first check, a restart) is not making it.
   */
  madeAt = 0;
  /** When the action that last made this node started (or when it was made by hand): inputs made later are news to it. */
  builtAt = 0;
  /** When a fresh verdict first said the state holds (0: not yet): inputs made before are not news to it. */
  seenSatisfiedAt = 0;
  /** The lease held is a rebuild (rebuild: OnInputChange): only a verdict taken after the action ended can end it. */
  rebuilding = false;

  wakeAt = Infinity;
  queued = false;
  alive = true;
  /** The compile that last kept this node (see materialize). */
  stamp = 0;

  constructor(
    readonly id: string,
    public owner: OwnerModel,
    public policy: Policy,
    readonly partition: string,
    public values: Record<string, string>,
    readonly period: string | undefined,
  ) {}

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

/** An Expectation or a Dag as the engine holds it. */
export class OwnerModel {
  nodes: NodeRecord[] = [];
  /** The space other owners map their partitions onto (Dags: one time key, `period`). */
  space: PartitionSpace | undefined;
  counts = new Map<Phase, number>(PHASES.map((p) => [p, 0]));
  failing = new Set<NodeRecord>();
  /** Nodes Unknown because their check failed (CheckerFailed, CheckerTimeout, NoVerdict), not never checked. */
  checkerFailing = new Set<NodeRecord>();
  /** Nodes whose action is due but the concurrency limit is reached, oldest first. */
  waitingForSlot = new Set<NodeRecord>();
  activeLeases = 0;
  maxConcurrent = 10;
  /** Dags: periods with an open run. */
  openRuns = new Set<string>();
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
  /** Dag: the owners it depends on through DagDependencies (for edges and inherited periods). */
  upstreamKeys: string[] = [];

  constructor(readonly key: string, readonly ref: OwnerRef) {}
}

/** Unknown for a reason other than "never checked": the checker crashed, timed out or gave no verdict. */
export const isCheckerFailure = (phase: Phase, reason: string): boolean => phase === 'Unknown' && reason !== 'NeverChecked';
