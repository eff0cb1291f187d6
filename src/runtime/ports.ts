/**
 * The ports the runtime drives: the outside world behind small interfaces. The embedded adapter
 * (src/local) and the Kubernetes adapter (src/kube) implement the same ports; the reconciler
 * never knows which one it talks to.
 *
 * Every call is non-blocking: it returns once the work is handed over (a process spawned, a Job
 * created), never when the work is done. Results come back later through the listener the
 * reconciler registers. Every call is idempotent: the reconciler retries a failed call with
 * backoff, and may repeat a call after a restart, so doing it twice must be harmless.
 */
import type { Condition } from '../api/types.js';
import type { ActionCancel, ActionLaunch, CheckRequest, EngineEvent, EngineSnapshot, Lease, OwnerRef, RunRecord, Verdict } from '../engine/index.js';

// ---- actions --------------------------------------------------------------------------------

/**
 * How an action ended. `lost`: the runner cannot tell (the process ended while nobody watched,
 * or vanished); the reconciler lets the checker judge it where there is one. `notStarted`: an
 * adopted lease has no action at all (the controller stopped between saving the lease and
 * creating it); it is not an attempt, and the engine launches it again after a fresh check.
 */
export type ActionOutcome = 'succeeded' | 'failed' | 'lost' | 'notStarted';

export interface ActionEnd {
  node: string;
  attempt: number;
  /** The lease's action name: the Job or process name. */
  action: string;
  outcome: ActionOutcome;
  message?: string;
}

/** Runs actions (Jobs, local processes): one per lease, named by `lease.action`. */
export interface ActionRunner {
  /** Where action ends are reported; set once, before the first launch or adoption. */
  onEnded(listener: (end: ActionEnd) => void): void;
  /**
   * Starts the action of a lease the reconciler has already saved (DESIGN rule 2). Idempotent by
   * `launch.lease.action`: a second launch of a running or finished action does nothing.
   * Rejects only when the launch could not be handed over and may be retried; an action that
   * cannot start for a reason retrying will not fix (a bad template) is reported as `failed`.
   */
  launch(launch: ActionLaunch): Promise<void>;
  /** Stops an action. Idempotent; cancelling an action that is not running does nothing. */
  cancel(cancel: ActionCancel): Promise<void>;
  /**
   * Leases held before a restart, still running as far as the saved state knows. The runner
   * follows the ones whose action still runs and reports the others (`lost` when it cannot tell
   * how they ended). It never starts anything.
   */
  adopt(leases: readonly Lease[]): Promise<void>;
}

// ---- checks ---------------------------------------------------------------------------------

/** What a check said: one verdict per node it could answer, or why the whole batch failed. */
export type CheckAnswer =
  | { request: CheckRequest; verdicts: { node: string; verdict: Verdict; message?: string }[]; unanswered: string[] }
  | { request: CheckRequest; failure: { reason: string; message: string } };

/** Asks checkers (Job-mode Jobs, HTTP services, local commands) about batches of partitions. */
export interface CheckRunner {
  /** Where answers are reported; set once, before the first request. */
  onAnswer(listener: (answer: CheckAnswer) => void): void;
  /**
   * Starts one batched check. The answer comes later through the listener, exactly once per
   * request (a timeout is an answer: CheckerTimeout). Rejects only when the request could not be
   * handed over; the reconciler then marks the batch Unknown (CheckerFailed).
   */
  request(request: CheckRequest): Promise<void>;
}

// ---- state ----------------------------------------------------------------------------------

/** Keeps what the engine must not lose across restarts (DESIGN rule 3). */
export interface StateStore {
  /** The snapshot saved last, or undefined when there is none yet. Rejects when it is unreadable. */
  load(): Promise<EngineSnapshot | undefined>;
  /**
   * Saves a snapshot; resolves once it is durable. The reconciler awaits it before launching any
   * action whose lease it contains (DESIGN rule 2). Idempotent: saving the same snapshot twice
   * is harmless.
   */
  save(snapshot: EngineSnapshot): Promise<void>;
}

// ---- status ---------------------------------------------------------------------------------

/** Which object, as Kubernetes names it. */
export interface ObjectRef {
  kind: 'StateChecker' | 'Expectation' | 'Dag' | 'DagRun' | 'DagDependency';
  namespace: string;
  name: string;
}

/** Writes what the controller observes where users read it (status subresources, Events). */
export interface StatusWriter {
  /**
   * Replaces the status of one declared object (the status subresource), conditions included.
   * Idempotent; a write for an object that no longer exists does nothing.
   */
  writeStatus(object: ObjectRef, status: Record<string, unknown>): Promise<void>;
  /**
   * Optional: the status about to be written, handed over before `StateStore.save`, so a store
   * that keeps its state in the same object writes both at once (one request instead of two).
   * `writeStatus` follows anyway; a store that wrote it already skips it.
   */
  prepareStatus?(object: ObjectRef, status: Record<string, unknown>): void;
  /**
   * Optional: the conditions the object's status holds now (as the store last saw it). A
   * controller that starts again composes from them, so each condition keeps its
   * lastTransitionTime and an unchanged status is not written again.
   */
  storedConditions?(object: ObjectRef): Condition[] | undefined;
  /**
   * Creates or updates the DagRun of a run record (the controller creates DagRuns for the runs it
   * opens; a user's DagRun keeps its name). Idempotent by `run.name`.
   */
  writeRun(run: RunRecord, status: Record<string, unknown>): Promise<void>;
  /** Forgets a run that fell out of the history limit. Idempotent. */
  removeRun(run: RunRecord): Promise<void>;
  /** Records something a person may want to hear about (an Event). Never throws; best effort. */
  recordEvent(event: EngineEvent): void;
}

// ---- time -----------------------------------------------------------------------------------

/** The clock, injected so tests can drive time. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Calls `fire` once at (or soon after) `at`; returns a function that cancels the timer. */
  setTimer(at: number, fire: () => void): () => void;
}

/** The real clock. Timers further than ~24 days away are re-armed, as setTimeout cannot wait longer. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(at, fire) {
    const MAX = 2 ** 31 - 1;
    let handle: NodeJS.Timeout;
    const arm = () => {
      const delay = Math.max(0, at - Date.now());
      handle = setTimeout(delay > MAX ? arm : fire, Math.min(delay, MAX));
    };
    arm();
    return () => clearTimeout(handle);
  },
};

/** Everything the reconciler drives, in one value. */
export interface Ports {
  actions: ActionRunner;
  checks: CheckRunner;
  state: StateStore;
  status: StatusWriter;
  clock: Clock;
}

export type { OwnerRef };
