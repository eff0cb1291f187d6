import { describeParams, renderMap, sameParams, withRunParams } from '../api/template.js';
import { actionName } from './actionNames.js';
import { type Decision, decide, failedRetry, type InputsFacts, type NodeFacts, backoffMs } from './decide.js';
import { restoredSatisfied } from './lastVerdicts.js';
import { isCheckerFailure, type NodeRecord, OwnerModel } from './model.js';
import { CheckerTransitions } from './checkerTransitions.js';
import { RunBook } from './runBook.js';
import { SuccessBook } from './successBook.js';
import { dagNodeId, WHOLE_DAG } from './wiring.js';
import { TimerHeap } from './timerHeap.js';
import type {
  ActionCancel,
  ActionLaunch,
  CheckItem,
  CheckRequest,
  EngineEvent,
  EngineSnapshot,
  Lease,
  Observation,
  OwnerRef,
  Phase,
  Plan,
  RetryRecord,
  RunRecord,
  RunRequest,
  Verdict,
} from './types.js';
import type { PodPolicy } from '../api/podPolicy.js';
import { WorldCompiler, type ObjectProblem } from './worldCompiler.js';
import { ownerKeyOf, type World } from './compile.js';

export interface EngineOptions {
  /** Who holds the leases this engine grants (a controller identity). */
  holder: string;
  /** Bounded work: at most this many launches per plan; the rest wait for the next pass. Defaults to 500. */
  maxLaunchesPerPlan?: number;
  /** At most this many events per plan; more are summed up in one. Defaults to 200. */
  maxEventsPerPlan?: number;
  snapshot?: EngineSnapshot;
  /**
   * Task successes a Dag may hold before its oldest settled periods are folded into one record
   * (SuccessFloor), so the saved state stays bounded. Defaults to 200; a fold keeps half (a smaller status is a faster lease write).
   */
  maxSuccessesPerDag?: number;
  /**
   * A Dag that appears after the first world waits this long before its first task starts, so
   * the DagDependencies applied with it arrive first. Defaults to 0.
   */
  newDagGraceMs?: number;
  /**
   * The administrator's policy for the Pods of actions and checkers: objects that break it (or
   * live in a protected namespace) are invalid, so nothing is launched for them. Defaults to none.
   */
  podPolicy?: PodPolicy;
  /** Bounded work: nodes one object, and all together, may compile to (see nodeCount.ts for the defaults). */
  maxNodesPerObject?: number;
  maxNodesTotal?: number;
}

/**
 * The reconciliation engine: a deterministic state machine over the node graph. Events
 * (observations, finished actions, changed objects, time) mark the affected nodes; `plan(now)`
 * re-decides only those and returns what to do. No I/O, no clock: `now` is always given.
 */
export class Engine {
  private readonly holder: string;
  private readonly maxLaunches: number;
  private readonly maxEvents: number;
  private readonly leases = new Map<string, Lease>();
  private readonly retries = new Map<string, RetryRecord>();
  private readonly successes: SuccessBook;
  private readonly newDagGraceMs: number;
  /** Worlds given so far, and the time of the one being compiled (for onOwnerCreated). */
  private worlds = 0;
  private compiling = 0;
  private readonly runBook = new RunBook();
  private readonly compiler: WorldCompiler;
  private readonly queue: NodeRecord[] = [];
  private queueHead = 0;
  private readonly timers = new TimerHeap<NodeRecord>();
  private readonly pendingChecks = new Map<string, NodeRecord[]>();
  /** Records of the last verdicts per owner key, from the snapshot: applied once, when the owner is compiled. */
  private readonly lastVerdicts: Map<string, unknown>;
  private pass: PassOutput = newPass();

  constructor(options: EngineOptions) {
    this.holder = options.holder;
    this.maxLaunches = options.maxLaunchesPerPlan ?? 500;
    this.maxEvents = options.maxEventsPerPlan ?? 200;
    this.newDagGraceMs = options.newDagGraceMs ?? 0;
    this.successes = new SuccessBook(Math.max(2, options.maxSuccessesPerDag ?? 200));
    const snap = options.snapshot;
    const observations = new Map<string, Observation>(snap?.observations ?? []);
    this.lastVerdicts = new Map(snap?.lastVerdicts ?? []);
    if (snap !== undefined) {
      for (const lease of snap.leases) this.leases.set(lease.node, lease);
      for (const [k, v] of snap.retries) this.retries.set(k, v);
      this.successes.restore(snap.successes, snap.successFloors ?? []);
      this.runBook.restore(snap.runs, snap.runRequests, snap.runSeq);
    }
    this.compiler = new WorldCompiler({
      onCreated: (node) => {
        // Ids are computed on read: only when there is something saved to look up.
        const id = observations.size > 0 || this.leases.size > 0 ? node.id : undefined;
        const obs = id !== undefined ? observations.get(id) : undefined;
        if (obs !== undefined) node.observation = obs;
        // A saved observation may predate the attempts that failed since: check before the next one.
        if (obs !== undefined && this.retryOf(node) !== undefined) node.actedAt = obs.at + 1;
        if (obs !== undefined) observations.delete(id as string);
        if (id !== undefined && this.leases.has(id)) node.owner.activeLeases++;
        this.successes.adopt(node);
        if (node.policy.rule === 'all') {
          const run = this.runBook.openRun(node.owner.ref, node.period ?? '');
          if (run !== undefined) node.owner.openRuns.add(node.period ?? '');
        }
      },
      onRemoved: (node) => this.forget(node),
      onOwnerCreated: (owner) => {
        if (owner.ref.kind === 'Dag' && this.worlds > 0) owner.startsAfter = this.compiling + this.newDagGraceMs;
      },
      onOwnerRemoved: (owner) => {
        this.forgetUnplacedLeases(owner);
        if (owner.ref.kind !== 'Dag') return;
        this.pass.removedRuns.push(...this.runBook.forgetDag(owner.ref));
        this.successes.forgetOwner(owner);
      },
      onTouched: (node) => this.enqueue(node),
    }, {
      ...(options.maxNodesPerObject !== undefined ? { maxNodesPerObject: options.maxNodesPerObject } : {}),
      ...(options.maxNodesTotal !== undefined ? { maxNodesTotal: options.maxNodesTotal } : {}),
    }, options.podPolicy);
  }

  // ---- events -------------------------------------------------------------------------------

  /** The declared objects changed (or were first given). Only the affected owners are compiled. */
  setWorld(world: World, now: number): void {
    for (const _ of this.setWorldSteps(world, now));
  }

  /**
   * setWorld in slices: yields the nodes compiled after each owner, so the runtime can let the
   * event loop run between them (leader election renews its Lease on time). No other call may
   * reach the engine until the steps are done.
   */
  *setWorldSteps(world: World, now: number): Generator<number> {
    this.compiling = now;
    yield* this.compiler.setWorldSteps(world, now);
    this.worlds++;
    if (this.lastVerdicts.size > 0) this.restoreVerdicts();
  }

  /** A checker's verdict for one node. Returns false for a node that no longer exists. */
  observe(nodeId: string, verdict: Verdict, now: number, message?: string): boolean {
    const node = this.compiler.node(nodeId);
    if (node === undefined) return false;
    // No verdict is a check that failed for this node: asked again after a backoff, not at once.
    if (verdict === 'unknown') {
      this.failCheck(node, 'NoVerdict', message ?? 'the checker gave no verdict for this partition', now);
      return true;
    }
    const at = node.checkDeadline > 0 ? node.checkRequestedAt : now;
    const before = node.observation?.verdict;
    node.observation = { verdict, at, ...(message !== undefined ? { message } : {}) };
    const lease = this.leases.get(nodeId);
    if (verdict === 'satisfied') this.sawSatisfied(node, before, lease !== undefined, now);
    if (node.verifying && lease?.outcome === 'succeeded' && lease.verified === undefined) lease.verified = verdict;
    node.verifying = false;
    node.checkDeadline = 0;
    node.checkFailures = 0;
    node.nextCheckAt = 0;
    this.enqueue(node);
    return true;
  }

  /** A check could not give a verdict (crash, timeout, bad output): the nodes become Unknown. */
  checkFailed(nodeIds: string[], reason: string, message: string, now: number): void {
    for (const id of nodeIds) {
      const node = this.compiler.node(id);
      if (node !== undefined) this.failCheck(node, reason, message, now);
    }
  }

  /** An action ended. Stale reports (another attempt, no lease) are ignored. */
  actionFinished(nodeId: string, attempt: number, succeeded: boolean, now: number, message?: string): boolean {
    const lease = this.leases.get(nodeId);
    const node = this.compiler.node(nodeId);
    if (lease === undefined || lease.attempt !== attempt || lease.outcome !== undefined) return false;
    lease.outcome = succeeded ? 'succeeded' : 'failed';
    lease.finishedAt = now;
    if (message !== undefined) lease.message = message;
    if (succeeded && node?.policy.rule === 'make') this.successes.record(node, { startedAt: lease.acquiredAt, finishedAt: now });
    if (node !== undefined) this.enqueue(node);
    return true;
  }

  /**
   * The action of a lease never started (the controller stopped between saving the lease and
   * creating its Job): the lease ends, no attempt is counted, and the node is checked afresh
   * before the action is launched again. Stale reports (another attempt, no lease) are ignored.
   */
  actionNotStarted(nodeId: string, attempt: number, now: number, message?: string): boolean {
    const lease = this.leases.get(nodeId);
    const node = this.compiler.node(nodeId);
    if (lease === undefined || lease.attempt !== attempt || lease.outcome !== undefined) return false;
    this.leases.delete(nodeId);
    if (node === undefined) return true;
    node.rebuilding = false;
    this.releaseSlot(node.owner);
    // The attempt number was not spent: the next launch uses it again (under a new name, its start time).
    const retry = this.retries.get(nodeId);
    if (retry !== undefined && retry.attempts >= attempt) retry.attempts = attempt - 1;
    node.actedAt = now;
    this.event(node, 'Normal', 'ActionNotStarted', `action ${lease.action} (attempt ${attempt}) never started${message !== undefined ? `: ${message}` : ''}; it is not counted as an attempt`);
    this.enqueue(node);
    return true;
  }

  /** A running action asks for more time (heartbeat). */
  renewLease(nodeId: string, attempt: number, until: number): boolean {
    const lease = this.leases.get(nodeId);
    const node = this.compiler.node(nodeId);
    if (lease === undefined || lease.attempt !== attempt || lease.outcome !== undefined) return false;
    lease.expiresAt = Math.max(lease.expiresAt, until);
    if (node !== undefined) this.enqueue(node);
    return true;
  }

  /** Asks for a Dag period to run again (a DagRun, or an Expectation's action); resets its retries. */
  requestRun(dag: { namespace: string; name: string }, period: string, request: RunRequest): boolean {
    const ref: OwnerRef = { kind: 'Dag', namespace: dag.namespace, name: dag.name };
    if (!this.runBook.request(ref, period, request)) return false;
    // A re-run asked while the period runs: its remaining tasks take the new params.
    const open = this.runBook.openRun(ref, period);
    if (open !== undefined && !sameParams(open.params, request.params)) {
      if (request.params !== undefined && Object.keys(request.params).length > 0) open.params = request.params;
      else delete open.params;
      this.pass.changedRuns.push(open);
    }
    if (request.rerunOf !== undefined) {
      const asked = this.runBook.named(dag.namespace, request.rerunOf.run);
      if (asked !== undefined) {
        asked.rerunToken = request.rerunOf.token;
        this.pass.changedRuns.push(asked);
      }
    }
    const owner = this.compiler.owner(ref);
    for (const node of owner?.nodes ?? []) {
      if (node.period !== period) continue;
      this.dropRetry(node);
      this.enqueue(node);
    }
    return true;
  }

  // ---- planning -----------------------------------------------------------------------------

  /** Re-decides every affected node and returns what to do; call again at `nextWakeAt`. */
  plan(now: number): Plan {
    this.compiler.advance(now);
    for (const { at, item } of this.timers.popDue(now)) {
      if (!item.alive || item.wakeAt < at) continue;
      // Armed later since this timer was set (see arm): it moves on to that time.
      if (item.wakeAt > at && item.wakeAt > now) {
        if (item.wakeAt !== Infinity) this.timers.push(item.wakeAt, item);
        continue;
      }
      item.wakeAt = Infinity; // consumed: the next decision arms a timer again, even for the same time
      this.enqueue(item);
    }
    let launchesLeft = this.maxLaunches;
    while (this.queueHead < this.queue.length) {
      if (launchesLeft <= 0) break;
      const node = this.queue[this.queueHead++] as NodeRecord;
      node.queued = false;
      // An invalid owner's nodes are held (WorldCompiler.holdOwner): decided again once it is valid.
      if (!node.alive || node.owner.invalid !== undefined) continue;
      // Inputs first: a node whose input is still to be re-decided in this pass goes behind it, so it
      // never acts on an input's stale phase (an unsatisfied verdict or a timed-out check not yet applied).
      if (hasQueuedInput(node)) {
        this.enqueue(node);
        continue;
      }
      if (this.evaluate(node, now)) launchesLeft--;
    }
    if (this.queueHead >= this.queue.length) {
      this.queue.length = 0;
      this.queueHead = 0;
    }
    this.flushChecks();
    this.pass.events.push(...this.pass.checker.events());
    // Folding needs every phase to be current: only after a plan that decided every queued node.
    if (this.queueHead >= this.queue.length) this.successes.fold(now, (id) => this.leases.has(id));
    const out = this.pass;
    this.pass = newPass();
    const pending = this.queue.length - this.queueHead > 0;
    const changedOwners = this.compiler.takeChangedOwners();
    const wakes = [this.timers.peek(), this.compiler.nextChangeAt(), pending ? now : undefined].filter((t): t is number => t !== undefined);
    return {
      launches: out.launches,
      cancels: out.cancels,
      checks: out.checks,
      events: capEvents(out.events, this.maxEvents),
      changedOwners,
      changedRuns: out.changedRuns,
      removedRuns: out.removedRuns,
      nextWakeAt: wakes.length > 0 ? Math.min(...wakes) : undefined,
    };
  }

  // ---- reading ------------------------------------------------------------------------------

  snapshot(withObservations = false): EngineSnapshot {
    const snap: EngineSnapshot = {
      leases: [...this.leases.values()],
      retries: [...this.retries.entries()],
      successes: this.successes.entries(),
      successFloors: this.successes.floorEntries(),
      runRequests: this.runRequests(),
      runs: this.runBook.all(),
      runSeq: this.runBook.seqEntries(),
    };
    if (withObservations) snap.observations = this.compiler.nodes().flatMap((n) => (n.observation !== undefined ? [[n.id, n.observation] as [string, Observation]] : []));
    return snap;
  }

  /** Nodes marked for re-deciding and not planned yet (left over when a plan hit its launch cap). */
  pendingCount(): number {
    return this.queue.length - this.queueHead;
  }

  owners(): OwnerModel[] {
    return this.compiler.owners();
  }

  owner(ref: OwnerRef): OwnerModel | undefined {
    return this.compiler.owner(ref);
  }

  node(id: string): NodeRecord | undefined {
    return this.compiler.node(id);
  }

  lease(nodeId: string): Lease | undefined {
    return this.leases.get(nodeId);
  }

  retry(nodeId: string): RetryRecord | undefined {
    return this.retries.get(nodeId);
  }

  leasesOf(owner: OwnerModel): Lease[] {
    return this.leases.size === 0 ? [] : owner.nodes.flatMap((n) => this.leases.get(n.id) ?? []);
  }

  runs(): RunRecord[] {
    return this.runBook.all();
  }

  /** The task nodes of one period of a Dag (the inputs of its whole-Dag node), without a scan. */
  tasksOfPeriod(dag: { namespace: string; name: string }, period: string): readonly NodeRecord[] {
    return this.compiler.node(dagNodeId(ownerKeyOf('Dag', dag.namespace, dag.name), WHOLE_DAG, period))?.deps ?? [];
  }

  /** Re-runs asked for and not done yet, by `namespace/dag|period`. */
  runRequests(): [string, RunRequest][] {
    return [...this.runBook.requests.entries()];
  }

  /** Forgets the finished runs of users' DagRuns that were deleted. */
  forgetDeletedRuns(exists: (run: RunRecord) => boolean): void {
    this.runBook.forgetDeleted(exists);
  }

  /** Objects that are not valid (a cycle, an unknown reference, a bad calendar), and why. */
  problems(): ObjectProblem[] {
    return this.compiler.problems();
  }

  // ---- internals ----------------------------------------------------------------------------

  /**
   * The satisfied partitions of an earlier process's record show as satisfied, dated 0 (as
   * local/stateFile.ts fromEarlierProcess): due for a check at once, and nothing acts on them —
   * a fresh unsatisfied verdict replaces them and the action starts as usual.
   */
  private restoreVerdicts(): void {
    for (const [key, record] of this.lastVerdicts) {
      const [kind, namespace = '', name = ''] = key.split('/');
      if (kind !== 'Expectation') continue;
      const owner = this.compiler.owner({ kind, namespace, name });
      if (owner === undefined) continue;
      this.lastVerdicts.delete(key);
      const from = owner.key.length + 1;
      const byKey = new Map(owner.nodes.map((n) => [n.id.slice(from), n]));
      for (const k of restoredSatisfied(record, [...byKey.keys()])) {
        const node = byKey.get(k) as NodeRecord;
        if (node.observation !== undefined || this.leaseOf(node) !== undefined) continue;
        node.observation = { verdict: 'satisfied', at: 0 };
        this.enqueue(node);
      }
    }
  }

  /**
   * A fresh verdict says the state holds. Without a lease, a state that did not hold was made by
   * hand (a lease's end says when its action made it, see applyLease); a first sight is learning.
   */
  private sawSatisfied(node: NodeRecord, before: Verdict | undefined, leased: boolean, now: number): void {
    if (node.seenSatisfiedAt === 0) node.seenSatisfiedAt = now;
    if (!leased && (before === 'unsatisfied' || before === 'unrecoverable')) node.madeAt = node.builtAt = now;
  }

  /**
   * The input of a `rebuild: OnInputChange` dependency made after this satisfied node was built
   * (or, never built by this engine, first seen satisfied), once every input holds; or undefined.
   * Make's rule for Expectations: after a restart both times start at 0, so nothing is news yet.
   */
  private changedInput(node: NodeRecord): NodeRecord | undefined {
    const since = Math.max(node.builtAt, node.seenSatisfiedAt);
    if (since === 0 || node.missing !== undefined || node.policy.action === undefined || node.policy.suspended) return undefined;
    let changed: NodeRecord | undefined;
    for (const dep of node.rebuildInputs) if (dep.madeAt > since && (changed === undefined || dep.madeAt > changed.madeAt)) changed = dep;
    if (changed === undefined) return undefined;
    for (const dep of node.deps) if (dep.phase !== 'Satisfied') return undefined;
    return changed;
  }

  /** The node's lease; its id (computed on read) is only written when some lease exists. */
  private leaseOf(node: NodeRecord): Lease | undefined {
    return this.leases.size === 0 ? undefined : this.leases.get(node.id);
  }

  private retryOf(node: NodeRecord): RetryRecord | undefined {
    return this.retries.size === 0 ? undefined : this.retries.get(node.id);
  }

  private dropRetry(node: NodeRecord): void {
    if (this.retries.size > 0) this.retries.delete(node.id);
  }

  /** enqueue, bound once: passed per node of a plan without a closure each time. */
  private readonly enqueueNode = (node: NodeRecord): void => this.enqueue(node);

  private enqueue(node: NodeRecord): void {
    if (node.queued || !node.alive) return;
    node.queued = true;
    this.queue.push(node);
  }

  /** Re-decides one node; returns true when it launched an action. */
  private evaluate(node: NodeRecord, now: number): boolean {
    const phaseBefore = node.phase;
    const reasonBefore = node.reason;
    const messageBefore = node.message;
    const doneBefore = node.doneAt;
    const madeBefore = node.madeAt;
    let launched = false;
    if (node.checkDeadline > 0 && now >= node.checkDeadline) this.failCheck(node, 'CheckerTimeout', 'the checker did not answer in time', now);

    if (node.policy.rule === 'all') {
      this.decideWholeDag(node, now);
    } else {
      const d = decide(this.facts(node, now));
      this.applyLease(node, d, now);
      // Failed attempts count since the node was last satisfied: a state fixed by hand clears them.
      if (d.phase === 'Satisfied' && node.policy.rule === 'check') this.dropRetry(node);
      if (d.check) this.requestCheck(node, now);
      let { phase, reason, message } = d;
      if (d.start && node.owner.startsAfter > now) {
        ({ phase, reason, message } = { phase: 'Pending', reason: 'NewDag', message: 'a new Dag waits a moment for the DagDependencies applied with it' });
        d.wakeAt = Math.min(d.wakeAt, node.owner.startsAfter);
      } else if (d.start) {
        const started = this.tryStart(node, now);
        if ('action' in started) {
          launched = true;
          node.rebuilding = d.reason === 'InputChanged';
          ({ phase, reason, message } = { phase: 'WorkingOnIt', reason: 'ActionStarted', message: `action ${started.action} (attempt ${started.attempt}) is running` });
        } else if (d.reason === 'InputChanged') {
          // A rebuild held back (concurrency limit) still says which input made it due.
          ({ phase, reason, message } = { phase: 'Pending', reason: d.reason, message: `${d.message}; ${started.message}` });
        } else {
          ({ phase, reason, message } = { phase: 'Pending', ...started });
        }
      }
      this.setPhase(node, phase, reason, message, d.cause === 'self' ? node : d.cause);
      const lease = this.leaseOf(node);
      const expiry = lease !== undefined && lease.expiresAt > now ? lease.expiresAt : Infinity;
      this.arm(node, Math.min(d.wakeAt, expiry, node.checkDeadline > 0 ? node.checkDeadline : Infinity));
    }

    // A new message matters downstream too: a whole-Dag period repeats its task's (which input it waits for).
    if (node.phase !== phaseBefore || node.reason !== reasonBefore || node.message !== messageBefore || node.doneAt !== doneBefore || node.madeAt !== madeBefore) {
      node.forEachDependent(this.enqueueNode);
    }
    return launched;
  }

  /**
   * The facts of the node being decided, refilled for each node: decide keeps nothing of them, and
   * a full plan decides every node (a few objects and boxed numbers each, for the collector).
   */
  private readonly scratch = {
    inputs: { missing: undefined, failed: undefined, working: undefined, unsatisfied: undefined } as InputsFacts,
    observation: { verdict: 'unknown', at: 0 } as Observation,
    facts: undefined as NodeFacts | undefined,
  };

  private facts(node: NodeRecord, now: number): NodeFacts {
    const lease = this.leaseOf(node);
    let retry = this.retryOf(node);
    if (retry !== undefined && retry.generation !== node.owner.generation) retry = undefined;
    let observation = node.readObservation(this.scratch.observation);
    if (node.policy.rule === 'make') {
      const success = this.successes.get(node);
      let threshold = this.runBook.requestedAt(node.owner.ref, node.period ?? '');
      for (const dep of node.deps) threshold = Math.max(threshold, dep.doneAt);
      const holds = success !== undefined && success.startedAt >= threshold;
      node.doneAt = holds ? success.finishedAt : 0;
      observation = { verdict: holds ? 'satisfied' : 'unsatisfied', at: now };
    }
    if (lease !== undefined && lease.outcome === undefined && node.runTarget !== undefined) this.followRun(node, lease);
    const fresh = observation?.verdict === 'satisfied' && observation.at > 0;
    const changedInput = node.rebuildInputs.length > 0 && fresh ? this.changedInput(node) : undefined;
    const inputs = inputsOf(node, this.scratch.inputs);
    const facts = (this.scratch.facts ??= { now, policy: node.policy, observation, lease, retry, inputs, checkInFlight: false, nextCheckAt: 0, actedAt: 0 });
    facts.now = now;
    facts.policy = node.policy;
    facts.observation = observation;
    facts.lease = lease;
    facts.retry = retry;
    facts.checkInFlight = node.checkDeadline > 0;
    facts.nextCheckAt = node.nextCheckAt;
    facts.actedAt = node.actedAt;
    facts.rebuilding = node.rebuilding;
    facts.changedInput = changedInput;
    return facts;
  }

  /** An Expectation whose action is a Dag run: the run's end is the action's end. */
  private followRun(node: NodeRecord, lease: Lease): void {
    const target = node.runTarget as NodeRecord;
    if (target.phase === 'Satisfied' && target.doneAt >= lease.acquiredAt) {
      lease.outcome = 'succeeded';
      lease.finishedAt = target.doneAt;
    } else if (target.phase === 'Failed') {
      lease.outcome = 'failed';
      lease.finishedAt = target.doneAt;
      lease.message = `${target.describe()} failed: ${target.message}`;
    }
  }

  private applyLease(node: NodeRecord, d: Decision, now: number): void {
    const lease = this.leaseOf(node);
    if (lease === undefined || d.lease.kind === 'keep') return;
    node.rebuilding = false;
    this.leases.delete(node.id);
    this.releaseSlot(node.owner);
    const cancelReason = d.lease.kind === 'fail' ? d.lease.reason : d.lease.outcome === 'unrecoverable' ? 'Unrecoverable' : 'StateSatisfied';
    if (d.lease.cancel) this.pass.cancels.push({ node: node.id, owner: node.owner.ref, action: lease.action, reason: cancelReason });
    if (d.lease.kind === 'release') {
      // Unrecoverable: the Failed phase says so (one Warning); the action did not make the state hold.
      if (d.lease.outcome === 'unrecoverable') return;
      this.dropRetry(node);
      const manual = d.lease.cancel;
      // Made: by its action, which saw the inputs as they were when it started; or by hand, now.
      node.madeAt = now;
      node.builtAt = manual ? now : lease.acquiredAt;
      // An input made while the action ran is news to it: decided again now that it is built.
      if (node.rebuildInputs.length > 0) this.enqueue(node);
      this.event(node, 'Normal', manual ? 'StateSatisfied' : 'ActionSucceeded', manual ? `the state holds without action ${lease.action}; lease released` : `action ${lease.action} made the state hold`);
      return;
    }
    node.actedAt = now;
    const previous = this.retryOf(node);
    const retry = failedRetry({ now, policy: node.policy, retry: previous?.generation === node.owner.generation ? previous : undefined }, d.lease, node.owner.generation);
    retry.attempts = Math.max(retry.attempts, lease.attempt);
    this.retries.set(node.id, retry);
    this.event(node, 'Warning', d.lease.reason, `${d.lease.message}; ${retry.failures > node.policy.retryLimit ? 'no retries left' : `retry in ${Math.round(backoffMs(node.policy, retry.failures) / 1000)}s`}`);
  }

  /**
   * Grants a lease and emits the launch, if the owner's concurrency limit allows; otherwise says
   * why the node waits.
   */
  private tryStart(node: NodeRecord, now: number): Lease | Held {
    const owner = node.owner;
    const isTask = node.policy.rule === 'make';
    const period = node.period ?? '';
    if (isTask) {
      if (!owner.openRuns.has(period) && owner.openRuns.size >= owner.maxConcurrent) return this.waitForSlot(node);
    } else if (owner.activeLeases >= owner.maxConcurrent) {
      return this.waitForSlot(node);
    }
    const action = node.policy.action;
    if (action === undefined) return { reason: 'NoAction', message: 'no action to start' };
    let runParams: Record<string, string> | undefined;
    if (action.kind === 'dagRun') {
      const rendered = renderMap(action.params, node.values, 'action.dagRun.params');
      if (!rendered.ok) return { reason: 'InvalidTemplate', message: rendered.error };
      runParams = rendered.value;
      const busy = node.runTarget !== undefined ? this.runInUse(node.runTarget, runParams) : undefined;
      if (busy !== undefined) return busy;
    }
    owner.waitingForSlot.delete(node);
    if (isTask && !owner.openRuns.has(period)) this.openRun(node, now);

    const retry = this.retryOf(node);
    const attempt = (retry?.generation === owner.generation ? retry.attempts : 0) + 1;
    const name = action.kind === 'dagRun' ? `run:${action.dag}` : actionName(owner.ref.name, node.policy.task, node.id, attempt, now);
    const lease: Lease = { node: node.id, attempt, holder: this.holder, action: name, acquiredAt: now, expiresAt: now + node.policy.workingTimeoutMs };
    this.leases.set(node.id, lease);
    if (retry !== undefined && retry.generation === owner.generation) retry.attempts = attempt;
    owner.activeLeases++;
    if (action.kind === 'dagRun') {
      const target = node.runTarget;
      const params = runParams !== undefined && Object.keys(runParams).length > 0 ? { params: runParams } : {};
      if (target?.period !== undefined) this.requestRun(target.owner.ref, target.period, { at: now, reason: 'Expectation', ...params });
    } else {
      const launch: ActionLaunch = {
        node: node.id,
        owner: owner.ref,
        partition: node.partition,
        lease,
        action,
        values: isTask ? withRunParams(node.values, this.runBook.paramsOf(owner.ref, period)) : node.values,
        deadlineSeconds: Math.ceil(node.policy.workingTimeoutMs / 1000),
      };
      if (node.policy.task !== undefined) {
        launch.task = node.policy.task;
        const run = this.runBook.openRun(owner.ref, period);
        if (run !== undefined) (run.tasks ??= {})[node.policy.task] = { attempts: attempt, action: name };
      }
      this.pass.launches.push(launch);
    }
    this.event(node, 'Normal', 'ActionStarted', `started ${name} (attempt ${attempt})`);
    return lease;
  }

  /**
   * A Dag period asked to run with other params and not served yet: a second request would
   * replace the first, and one of the two askers would get a run that is not theirs. The later
   * asker waits; the run's end wakes it (it is one of the run target's dependents).
   */
  private runInUse(target: NodeRecord, params: Record<string, string>): Held | undefined {
    const asked = this.runBook.pending(target.owner.ref, target.period ?? '');
    if (asked === undefined || sameParams(asked.params, params)) return undefined;
    return { reason: 'RunInUse', message: `${target.describe()} is asked to run with ${describeParams(asked.params)}; a run with ${describeParams(params)} follows it` };
  }

  private waitForSlot(node: NodeRecord): Held {
    node.owner.waitingForSlot.add(node);
    return { reason: 'ConcurrencyLimit', message: 'waiting for a free slot (concurrency limit)' };
  }

  private releaseSlot(owner: OwnerModel): void {
    owner.activeLeases = Math.max(0, owner.activeLeases - 1);
    this.wakeWaiting(owner, 1);
  }

  private wakeWaiting(owner: OwnerModel, count: number): void {
    for (const waiting of owner.waitingForSlot) {
      if (count-- <= 0) break;
      owner.waitingForSlot.delete(waiting);
      this.enqueue(waiting);
    }
  }

  private openRun(node: NodeRecord, now: number): void {
    const owner = node.owner;
    const period = node.period ?? '';
    const everSucceeded = this.successes.any(owner, period, this.tasksOfPeriod(owner.ref, period));
    const { run, forgotten } = this.runBook.start(owner.ref, period, everSucceeded ? 'Dependency' : 'Schedule', now, owner.historyLimit);
    owner.openRuns.add(period);
    this.pass.changedRuns.push(run);
    this.pass.removedRuns.push(...forgotten);
    this.event(node, 'Normal', 'RunStarted', `run ${run.name} of period ${period} started (${run.reason})`);
  }

  /** A whole Dag for one period: it holds when every task does; otherwise it is as its most active task. */
  private decideWholeDag(node: NodeRecord, now: number): void {
    let failed: NodeRecord | undefined;
    let working: NodeRecord | undefined;
    let pending: NodeRecord | undefined;
    let waiting: NodeRecord | undefined;
    let doneAt = 0;
    for (const dep of node.deps) {
      if (dep.phase === 'Failed' || (dep.phase === 'Waiting' && dep.reason === 'UpstreamFailed' && dep.cause?.owner === node.owner)) failed ??= dep;
      else if (dep.phase === 'WorkingOnIt' && dep.reason !== 'UpstreamWorking') working ??= dep;
      else if (dep.phase === 'Pending') pending ??= dep;
      else if (dep.phase !== 'Satisfied') waiting ??= dep;
      doneAt = Math.max(doneAt, dep.doneAt);
    }
    const period = node.period ?? '';
    if (failed !== undefined) {
      const root = failed.cause ?? failed;
      this.setPhase(node, 'Failed', 'TaskFailed', `task ${root.policy.task ?? '?'} failed: ${root.message}`, root);
      this.closeRun(node, 'Failed', now, node.message);
    } else if (working !== undefined) {
      this.setPhase(node, 'WorkingOnIt', 'Running', `task ${working.policy.task ?? '?'} is running`, working);
    } else if (pending !== undefined) {
      this.setPhase(node, 'Pending', pending.reason, `task ${pending.policy.task ?? '?'}: ${pending.message}`, pending);
    } else if (waiting !== undefined) {
      const why = waiting.cause ?? waiting;
      this.setPhase(node, waiting.phase, waiting.reason, waiting.message, why);
    } else {
      node.doneAt = doneAt;
      this.setPhase(node, 'Satisfied', 'Succeeded', `every task succeeded for ${period}`, undefined);
      this.closeRun(node, 'Succeeded', now, 'every task succeeded');
    }
  }

  private closeRun(node: NodeRecord, phase: 'Succeeded' | 'Failed', now: number, message: string): void {
    const period = node.period ?? '';
    const run = this.runBook.finish(node.owner.ref, period, phase, now, message);
    if (run === undefined) return;
    // How each task stood when the run ended: later runs of the period change the live nodes.
    for (const task of node.deps) {
      if (task.owner !== node.owner || task.policy.task === undefined) continue;
      const record = (run.tasks ??= {})[task.policy.task];
      run.tasks[task.policy.task] = { attempts: record?.attempts ?? 0, ...(record?.action !== undefined ? { action: record.action } : {}), phase: task.phase, message: task.message };
    }
    node.owner.openRuns.delete(period);
    if (phase === 'Succeeded') this.successes.runSucceeded(node.owner);
    this.pass.changedRuns.push(run);
    this.event(node, phase === 'Succeeded' ? 'Normal' : 'Warning', phase === 'Succeeded' ? 'RunSucceeded' : 'RunFailed', `run ${run.name}: ${message}`);
    this.wakeWaiting(node.owner, node.owner.nodes.length);
  }

  private requestCheck(node: NodeRecord, now: number): void {
    if (node.checkDeadline > 0 || node.policy.checker === undefined) return;
    node.checkRequestedAt = now;
    node.checkDeadline = now + node.policy.checker.timeoutMs;
    node.verifying = this.leaseOf(node)?.outcome === 'succeeded';
    let batch = this.pendingChecks.get(node.owner.key);
    if (batch === undefined) this.pendingChecks.set(node.owner.key, (batch = []));
    batch.push(node);
  }

  private failCheck(node: NodeRecord, reason: string, message: string, now: number): void {
    node.checkDeadline = 0;
    node.verifying = false;
    node.checkFailures++;
    node.nextCheckAt = now + backoffMs(node.policy, node.checkFailures);
    node.observation = { verdict: 'unknown', at: now, reason, message };
    this.enqueue(node);
  }

  private flushChecks(): void {
    for (const nodes of this.pendingChecks.values()) {
      const checker = nodes[0]?.policy.checker;
      if (checker === undefined) continue;
      const owner = (nodes[0] as NodeRecord).owner;
      for (let i = 0; i < nodes.length; i += checker.batchSize) {
        const request: CheckRequest = {
          checker: { namespace: checker.namespace, name: checker.name },
          owner: owner.ref,
          params: checker.params,
          items: nodes.slice(i, i + checker.batchSize).map(checkItem),
          timeoutMs: checker.timeoutMs,
        };
        this.pass.checks.push(request);
      }
    }
    this.pendingChecks.clear();
  }

  private setPhase(node: NodeRecord, phase: Phase, reason: string, message: string, cause: NodeRecord | undefined): void {
    const owner = node.owner;
    const from = node.phase;
    const fromReason = node.reason;
    const fromMessage = node.message;
    node.reason = reason;
    node.message = message;
    node.cause = cause;
    if (phase === 'Failed' || (this.retryOf(node) !== undefined)) owner.failing.add(node);
    else owner.failing.delete(node);
    const checkerWas = owner.checkerFailing.has(node);
    if (isCheckerFailure(phase, reason)) {
      owner.checkerFailing.add(node);
      if (!checkerWas) this.pass.checker.failed(node, reason, message);
    } else if (checkerWas) {
      owner.checkerFailing.delete(node);
      this.pass.checker.recovered(node, phase);
    }
    if (from === phase && fromReason === reason) {
      // Same phase, new words (now waiting for another input): the status says so.
      if (fromMessage !== message) this.compiler.markChanged(owner);
      return;
    }
    node.phase = phase;
    if (node.policy.rule !== 'make') {
      owner.counts.set(from, (owner.counts.get(from) ?? 0) - 1);
      owner.counts.set(phase, (owner.counts.get(phase) ?? 0) + 1);
    }
    this.compiler.markChanged(owner);
    if (phase === 'Failed' && from !== 'Failed') this.event(node, 'Warning', reason, message);
    if (phase === 'Satisfied' && from === 'Waiting' && node.observation !== undefined) this.event(node, 'Normal', 'StateSatisfied', 'the state holds');
  }

  /**
   * Wakes the node at `at`. A node whose timer is set for an earlier time keeps that one timer,
   * which moves on to `at` when it fires (plan): a check's deadline, then a recheck hours later,
   * is one entry per node in the heap, not one per decision (a full plan re-arms every node).
   */
  private arm(node: NodeRecord, at: number): void {
    const armed = node.wakeAt;
    if (at === armed) return;
    node.wakeAt = at;
    if (at > armed) return;
    this.timers.push(at, node);
  }

  /**
   * Leases of a deleted owner whose nodes were never created in this process (restored from the
   * snapshot while the owner was invalid, so held with no nodes): cancelled like those of its nodes.
   */
  private forgetUnplacedLeases(owner: OwnerModel): void {
    const prefix = `${owner.key}|`;
    for (const [id, lease] of this.leases) {
      if (!id.startsWith(prefix) || this.compiler.node(id) !== undefined) continue;
      this.leases.delete(id);
      this.retries.delete(id);
      if (lease.outcome === undefined && !lease.action.startsWith('run:')) this.pass.cancels.push({ node: id, owner: owner.ref, action: lease.action, reason: 'NodeRemoved' });
    }
  }

  /** A node that no longer exists: its lease is cancelled and its records dropped. */
  private forget(node: NodeRecord): void {
    node.alive = false;
    const lease = this.leaseOf(node);
    if (lease !== undefined) {
      this.leases.delete(node.id);
      this.releaseSlot(node.owner);
      if (lease.outcome === undefined && !lease.action.startsWith('run:')) this.pass.cancels.push({ node: node.id, owner: node.owner.ref, action: lease.action, reason: 'NodeRemoved' });
    }
    this.dropRetry(node);
    this.successes.forget(node);
    node.owner.waitingForSlot.delete(node);
    node.owner.failing.delete(node);
    node.owner.checkerFailing.delete(node);
  }

  private event(node: NodeRecord, type: EngineEvent['type'], reason: string, message: string): void {
    const e: EngineEvent = { owner: node.owner.ref, node: node.id, type, reason, message };
    if (node.partition !== '') e.partition = node.partition;
    this.pass.events.push(e);
  }
}

/** Why a due action did not start: the node stays Pending with this reason. */
interface Held {
  reason: string;
  message: string;
}

interface PassOutput {
  launches: ActionLaunch[];
  cancels: ActionCancel[];
  checks: CheckRequest[];
  events: EngineEvent[];
  changedRuns: RunRecord[];
  removedRuns: RunRecord[];
  /** Nodes that went into or came out of a checker failure in this pass: one Event per owner and reason. */
  checker: CheckerTransitions;
}

const newPass = (): PassOutput => ({ launches: [], cancels: [], checks: [], events: [], changedRuns: [], removedRuns: [], checker: new CheckerTransitions() });

function hasQueuedInput(node: NodeRecord): boolean {
  for (const dep of node.deps) if (dep.queued && dep.alive) return true;
  return false;
}

/** What the inputs of a node say, first problem first: missing, failed, working, not satisfied; written into `facts`. */
function inputsOf(node: NodeRecord, facts: InputsFacts): InputsFacts {
  facts.missing = node.missing;
  facts.failed = undefined;
  facts.working = undefined;
  facts.unsatisfied = undefined;
  for (const dep of node.deps) {
    if (dep.phase === 'Satisfied') continue;
    if (dep.phase === 'Failed' || dep.reason === 'UpstreamFailed') {
      facts.failed = dep;
      break;
    }
    if (dep.phase === 'WorkingOnIt') facts.working ??= dep;
    else facts.unsatisfied ??= dep;
  }
  return facts;
}

/** One partition of a check request; its partition key shares the characters of its id (both computed on read). */
function checkItem(node: NodeRecord): CheckItem {
  const id = node.id;
  return { node: id, partition: id.slice(node.owner.key.length + 1), values: node.values };
}

/** Bounded events: Warnings (what a person must act on) are kept first, Normal ones fill the rest. */
function capEvents(events: EngineEvent[], max: number): EngineEvent[] {
  if (events.length <= max) return events;
  let warningsLeft = Math.min(max, events.filter((e) => e.type === 'Warning').length);
  let normalLeft = max - warningsLeft;
  const dropped: EngineEvent[] = [];
  const kept = events.filter((e) => {
    const keep = e.type === 'Warning' ? warningsLeft-- > 0 : normalLeft-- > 0;
    if (!keep) dropped.push(e);
    return keep;
  });
  const first = dropped[0] as EngineEvent;
  kept.push({ owner: first.owner, type: 'Normal', reason: 'EventsSummarized', message: `and ${dropped.length} more events in this pass` });
  return kept;
}
