import type { Phase } from '../api/types.js';

export type { Phase };

/** What a checker said of one partition. `unknown` is also what a failed or late check leaves. */
export type Verdict = 'satisfied' | 'unsatisfied' | 'unrecoverable' | 'unknown';

export interface Observation {
  verdict: Verdict;
  /** When the state was observed: the time the check was requested, or a push arrived. */
  at: number;
  message?: string;
  /** For unknown: CheckerFailed, CheckerTimeout. */
  reason?: string;
}

/**
 * "Working on it": one action attempt owns the node until it ends or `expiresAt` passes.
 * Persisted before the action is launched, so a restart adopts it instead of launching again.
 */
export interface Lease {
  node: string;
  attempt: number;
  holder: string;
  /** The deterministic name of the Job (or process) for this (node, attempt). */
  action: string;
  acquiredAt: number;
  expiresAt: number;
  finishedAt?: number;
  outcome?: 'succeeded' | 'failed';
  message?: string;
  /** The first verdict of a check requested after the action succeeded: the checker is the truth. */
  verified?: Verdict;
}

/** Failed attempts of one node since it was last satisfied (or its owner's spec changed). */
export interface RetryRecord {
  failures: number;
  /** Attempts started so far; the next attempt number is attempts + 1. */
  attempts: number;
  reason: string;
  message: string;
  nextAttemptAt: number;
  generation: number;
}

/** The latest success of a Dag task for a period: what Make's rule compares. */
export interface TaskSuccess {
  startedAt: number;
  finishedAt: number;
}

/**
 * The successes of a Dag's old, settled periods folded into one record, to keep the saved state
 * bounded: every task of every period up to `through` counts as succeeded, started at `at` (when
 * the fold happened) and finished at 0. Started at `at`: a later upstream success or re-run
 * request still makes the period due; finished at 0: a fold is not news to anything downstream.
 */
export interface SuccessFloor {
  /** The latest period folded (periods of one Dag sort as text). */
  through: string;
  at: number;
  /** Periods up to `through` left out of the fold (not settled then): they keep their own records. */
  except?: string[];
}

export type RunReason = 'Schedule' | 'Dependency' | 'Expectation' | 'Manual';

/** A request to run a Dag period again (a DagRun a user created, or an Expectation's action). */
export interface RunRequest {
  at: number;
  reason: RunReason;
  name?: string;
  /** The uid of that DagRun: another object created later under the same name is another request. */
  uid?: string;
  /** A re-run asked on an existing run (its `homeostat.dev/rerun` annotation): that run, and the annotation's value. */
  rerunOf?: { run: string; token: string };
  /**
   * Template values for the tasks of this run (a DagRun's `spec.params`, an Expectation's rendered
   * `action.dagRun.params`). They override the Dag's `spec.params`; the period's own values
   * (`period`, `periodStart`, `periodEnd`, `dag`, `task`) override them.
   */
  params?: Record<string, string>;
}

export type RunPhase = 'Running' | 'Succeeded' | 'Failed';

/** What a run did with one task: its latest attempt, and how the task stood when the run ended. */
export interface RunTaskRecord {
  attempts: number;
  action?: string;
  phase?: Phase;
  message?: string;
}

/** One run of a Dag for one period: opened when its first task starts, closed when all succeed or one fails. */
export interface RunRecord {
  name: string;
  namespace: string;
  /**
   * The uid of the DagRun the run is recorded on, when known: a DagRun deleted and created again
   * under the same name is another object, not this run. Absent on runs recorded before uids were
   * kept, and on the controller's own runs until their DagRun is read back (they match by name).
   */
  uid?: string;
  dag: string;
  period: string;
  reason: RunReason;
  phase: RunPhase;
  startedAt: number;
  finishedAt?: number;
  message?: string;
  /** The latest `homeostat.dev/rerun` annotation value of this run that was turned into a request. */
  rerunToken?: string;
  /** A user's DagRun: kept until the user deletes it, outside the history limit. */
  byUser?: boolean;
  /** Per task name. */
  tasks?: Record<string, RunTaskRecord>;
  /** The params of the request that opened the run, if it had any. */
  params?: Record<string, string>;
}

/** Everything the engine must not lose across restarts (DESIGN rule 3: only what the world cannot tell). */
export interface EngineSnapshot {
  leases: Lease[];
  retries: [string, RetryRecord][];
  successes: [string, TaskSuccess][];
  /** Per Dag (owner key `Dag/ns/name`): its folded successes. Absent in snapshots from before folding. */
  successFloors?: [string, SuccessFloor][];
  runRequests: [string, RunRequest][];
  runs: RunRecord[];
  runSeq: [string, number][];
  /** Optional: embedded mode keeps observations so a restart does not re-check everything at once. */
  observations?: [string, Observation][];
  /**
   * Optional: per Expectation (owner key), what its status said the last checks found
   * (`status.lastVerdicts`, lastVerdicts.ts). Its satisfied partitions show as satisfied, dated 0,
   * until checked again, like `observations` from an earlier process.
   */
  lastVerdicts?: [string, unknown][];
}

export interface OwnerRef {
  kind: 'Expectation' | 'Dag';
  namespace: string;
  name: string;
}

/** What an action does, as declared; the adapter renders the template with `values`. */
export type ActionSpec = { kind: 'job'; template: Record<string, unknown> } | { kind: 'dagRun'; dag: string; params: Record<string, string> };

/** A lease just granted: persist it, then launch the action (in that order). */
export interface ActionLaunch {
  node: string;
  owner: OwnerRef;
  partition: string;
  task?: string;
  lease: Lease;
  action: ActionSpec;
  /** Template values: partition values, params, period bounds. */
  values: Record<string, string>;
  /** Job activeDeadlineSeconds: the lease length. */
  deadlineSeconds: number;
}

export interface ActionCancel {
  node: string;
  owner: OwnerRef;
  action: string;
  reason: string;
}

export interface CheckItem {
  node: string;
  partition: string;
  values: Record<string, string>;
}

/** One batched check request for one checker and one Expectation. */
export interface CheckRequest {
  checker: { namespace: string; name: string };
  owner: OwnerRef;
  params: Record<string, string>;
  items: CheckItem[];
  timeoutMs: number;
}

/** Something a person may want to hear about: becomes a log line, and in a cluster an Event. */
export interface EngineEvent {
  owner: OwnerRef;
  node?: string;
  partition?: string;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface Plan {
  launches: ActionLaunch[];
  cancels: ActionCancel[];
  checks: CheckRequest[];
  events: EngineEvent[];
  /** Owners whose status summary changed. */
  changedOwners: OwnerRef[];
  /** Runs opened or closed in this pass. */
  changedRuns: RunRecord[];
  /** Runs forgotten (history limit) in this pass. */
  removedRuns: RunRecord[];
  /** When the engine wants `plan` called again even if nothing happens; undefined: only on events. */
  nextWakeAt: number | undefined;
}

export const ownerKey = (o: OwnerRef): string => `${o.kind}/${o.namespace}/${o.name}`;
