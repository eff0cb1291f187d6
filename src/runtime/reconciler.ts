import type { PodPolicy } from '../api/podPolicy.js';
import { type ActionCancel, type ActionLaunch, Engine, type EngineEvent, type Plan, type RunRecord, type World } from '../engine/index.js';
import { sameDagRun } from '../engine/runBook.js';
import { newDagRunRequests } from './dagRunRequests.js';
import type { Logger } from './log.js';
import type { ControllerMetrics, ReconcileResult } from './metrics.js';
import { describeError } from './errorText.js';
import { PendingWrites } from './pendingCalls.js';
import type { ActionEnd, CheckAnswer, OwnerRef, Ports } from './ports.js';
import { callEach, type Refusal, RefusalBook, type RefusalNews } from './refusals.js';
import { type SideObjects, StatusComposer, type StatusWrite } from './statusComposer.js';

export interface ReconcilerOptions {
  /** Who holds the leases this controller grants. */
  holder: string;
  log: Logger;
  /**
   * Keep observations in saved snapshots, so a restart can show what was last seen (embedded mode).
   * The next process checks everything again before acting or calling it converged
   * (local/stateFile.ts fromEarlierProcess). Defaults to false.
   */
  persistObservations?: boolean;
  /** Backoff of failing port calls: the first wait, doubled per failure up to the max. Defaults to 500 ms and 30 s. */
  retryInitialMs?: number;
  retryMaxMs?: number;
  /**
   * Backoff of an owner whose calls were refused for good (a PermanentRefusal: RBAC, a namespace
   * gone, an invalid object): the first wait, doubled per refused retry up to the max. Defaults
   * to 1 min and 10 min.
   */
  refusalInitialMs?: number;
  refusalMaxMs?: number;
  /**
   * A Dag that appears while running waits this long before its first task starts, so the
   * DagDependencies applied with it (`kubectl apply -f dir/` sends one object at a time) arrive
   * first. Defaults to 2 s.
   */
  newDagGraceMs?: number;
  /** The administrator's policy for the Pods of actions and checkers (EngineOptions.podPolicy). Defaults to none. */
  podPolicy?: PodPolicy;
  /** Bounded work: the most nodes one object, and all objects together, may compile to (above: Valid=False). */
  maxNodesPerObject?: number;
  maxNodesTotal?: number;
  /** A world is compiled in slices: the event loop runs again after about this long. Defaults to 50 ms. */
  compileSliceMs?: number;
  /** Called after every pass (the dev loop checks convergence here). */
  onPass?: () => void;
  /** Counted per pass: passes and their duration by result, and the nodes left pending. */
  metrics?: Pick<ControllerMetrics, 'reconcilePasses' | 'reconcileDuration' | 'queueDepth'>;
}

/** What became of a lease renewal (a heartbeat). */
export type RenewResult =
  /** The lease now ends at `expiresAt` (epoch milliseconds). */
  | { status: 'renewed'; expiresAt: number }
  /** No live lease of that attempt: it ended, expired, was superseded, or never was. */
  | { status: 'notFound' }
  /** The reconciler has stopped. */
  | { status: 'stopped' };

/** What the declared objects are now: the engine's world, plus the objects it does not plan for. */
export interface DeclaredState {
  world: World;
  side: SideObjects;
}

type Inbound =
  | { kind: 'ended'; end: ActionEnd }
  | { kind: 'answer'; answer: CheckAnswer }
  | { kind: 'renew'; node: string; attempt: number; until: number; done: (result: RenewResult) => void };

/**
 * The loop. Handlers only enqueue; one pass at a time drains the inbox into the engine, plans,
 * saves the snapshot, and only then launches, cancels, requests checks and writes statuses.
 * Bursts coalesce into one pending pass (like a deduplicating queue). A failing port call is
 * logged and retried with backoff; the loop itself never throws.
 */
export class Reconciler {
  readonly engine: Engine;
  private readonly composer: StatusComposer;
  private readonly refusals: RefusalBook;
  private readonly inbox: Inbound[] = [];
  private declared: DeclaredState | undefined;
  private worldChanged = false;
  private readonly requestedRuns = new Set<string>();
  // Work the outside world has not accepted yet: retried on the next pass.
  private launches: ActionLaunch[] = [];
  private cancels: ActionCancel[] = [];
  private readonly statuses = new PendingWrites<StatusWrite>();
  private readonly runWrites = new PendingWrites<{ run: RunRecord; status: Record<string, unknown> } | { run: RunRecord; removed: true }>();
  private unsaved = false;
  private failures = 0;
  private running = false;
  private scheduled = false;
  private again = false;
  private stopped = false;
  private passes = 0;
  private checksInFlight = 0;
  private resynced = false;
  private reported = new Set<string>();
  private cancelWake: (() => void) | undefined;
  private cancelRetry: (() => void) | undefined;
  private current: Promise<void> = Promise.resolve();

  private constructor(private readonly ports: Ports, private readonly options: ReconcilerOptions, engine: Engine) {
    this.engine = engine;
    this.refusals = new RefusalBook({ ...(options.refusalInitialMs !== undefined ? { initialMs: options.refusalInitialMs } : {}), ...(options.refusalMaxMs !== undefined ? { maxMs: options.refusalMaxMs } : {}) });
    this.composer = new StatusComposer(engine, (owner) => this.refusals.get(owner), (object) => ports.status.storedConditions?.(object));
    ports.actions.onEnded((end) => this.enqueue({ kind: 'ended', end }));
    ports.checks.onAnswer((answer) => {
      this.checksInFlight = Math.max(0, this.checksInFlight - 1);
      this.enqueue({ kind: 'answer', answer });
    });
  }

  /**
   * Loads the saved snapshot, builds the engine from it, and hands the leases held before a
   * restart to the action runner to adopt (never to launch again). Rejects when the state
   * cannot be read: starting without it could launch a second action for a held lease.
   */
  static async start(ports: Ports, options: ReconcilerOptions): Promise<Reconciler> {
    const snapshot = await ports.state.load();
    const engine = new Engine({
      holder: options.holder,
      newDagGraceMs: options.newDagGraceMs ?? 2_000,
      ...(options.maxNodesPerObject !== undefined ? { maxNodesPerObject: options.maxNodesPerObject } : {}),
      ...(options.maxNodesTotal !== undefined ? { maxNodesTotal: options.maxNodesTotal } : {}),
      ...(options.podPolicy !== undefined ? { podPolicy: options.podPolicy } : {}),
      ...(snapshot !== undefined ? { snapshot } : {}),
    });
    const reconciler = new Reconciler(ports, options, engine);
    const held = (snapshot?.leases ?? []).filter((l) => l.outcome === undefined && !l.action.startsWith('run:'));
    if (held.length > 0) {
      options.log.info({ leases: held.length }, 'adopting the actions of leases held before the restart');
      await ports.actions.adopt(held).catch((error: unknown) => options.log.error({ err: error }, 'adopting held leases failed; they will expire'));
    }
    return reconciler;
  }

  /** The declared objects changed (or were first read). Only the latest state is kept. */
  setDeclared(declared: DeclaredState): void {
    this.declared = declared;
    this.worldChanged = true;
    this.kick();
  }

  /**
   * A running action asks for more time (a heartbeat): its lease is renewed in the next pass,
   * which saves it (the status store writes the new expiresAt). Resolves once the engine decided.
   */
  renewLease(node: string, attempt: number, until: number): Promise<RenewResult> {
    if (this.stopped) return Promise.resolve({ status: 'stopped' });
    return new Promise((done) => this.enqueue({ kind: 'renew', node, attempt, until, done }));
  }

  /** Passes run so far. */
  get passCount(): number {
    return this.passes;
  }

  /** Nothing pending: no pass running or due, no check unanswered, no event unread, no call waiting to be retried. */
  idle(): boolean {
    return this.checksInFlight === 0 && !this.running && !this.scheduled && !this.again && !this.worldChanged && this.inbox.length === 0 && this.launches.length === 0 && this.cancels.length === 0 && this.statuses.size === 0 && this.runWrites.size === 0 && !this.unsaved;
  }

  /** Stops the loop after the pass in flight, and saves once more. Running actions are left alone. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelWake?.();
    this.cancelRetry?.();
    await this.current;
    for (const item of this.inbox) if (item.kind === 'renew') item.done({ status: 'stopped' });
    await this.ports.state.save(this.engine.snapshot(this.options.persistObservations ?? false)).catch((error: unknown) => this.options.log.error({ err: error }, 'saving the state on stop failed'));
  }

  private enqueue(item: Inbound): void {
    this.inbox.push(item);
    this.kick();
  }

  /** Asks for a pass; many asks before it starts make one pass. */
  private kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.stopped) return;
      this.running = true;
      const started = performance.now();
      this.current = this.pass()
        .catch((error: unknown): ReconcileResult => {
          this.options.log.error({ err: error }, 'a reconcile pass failed; retrying');
          this.failed();
          return 'error';
        })
        .then((result) => this.count(result, (performance.now() - started) / 1000))
        .finally(() => {
          this.running = false;
          this.passes++;
          this.options.onPass?.();
          if (this.again) {
            this.again = false;
            this.kick();
          }
        });
    });
  }

  private count(result: ReconcileResult, seconds: number): void {
    const metrics = this.options.metrics;
    if (metrics === undefined) return;
    try {
      metrics.reconcilePasses.inc({ result });
      metrics.reconcileDuration.observe({ result }, seconds);
      metrics.queueDepth.set(this.engine.pendingCount());
    } catch (error) {
      this.options.log.error({ err: error }, 'counting a reconcile pass failed');
    }
  }

  /** One pass; 'retry' when some port call failed and waits for the next one. */
  private async pass(): Promise<ReconcileResult> {
    const { clock, state, actions, checks, status } = this.ports;
    const log = this.options.log;
    const now = clock.now();
    const hadInput = await this.drain(now);
    const plan = this.engine.plan(now);
    // The engine has granted these leases: keep them before anything else can throw.
    this.launches.push(...plan.launches);
    this.cancels.push(...plan.cancels);
    let ok = true;

    for (const w of this.composer.owners(plan.changedOwners, now)) this.statuses.set(keyOf(w), w);
    if (hadInput.world && this.declared !== undefined) for (const w of this.composer.sideObjects(this.declared.side, now)) this.statuses.set(keyOf(w), w);
    // After the first world, every run restored from the snapshot is written once (a resync).
    const runs = hadInput.world && !this.resynced ? { changedRuns: this.engine.runs(), changedOwners: plan.changedOwners } : plan;
    if (hadInput.world) this.resynced = true;
    for (const r of this.composer.runs(runs)) this.runWrites.set(r.run.name, r);
    for (const run of plan.removedRuns) this.runWrites.set(run.name, { run, removed: true });

    // DESIGN rule 2: the leases are durable before any of their actions starts.
    if (hadInput.any || busy(plan) || this.unsaved) {
      for (const w of this.statuses.values()) status.prepareStatus?.(w.object, w.status);
      try {
        await state.save(this.engine.snapshot(this.options.persistObservations ?? false));
        this.unsaved = false;
      } catch (error) {
        log.error({ err: error }, 'saving the state failed; launches wait until it succeeds');
        this.unsaved = true;
        ok = false;
      }
    }
    // Owners whose refusal began, changed or ended: their Degraded condition is written again.
    const refusedNow = new Map<string, OwnerRef>();
    if (!this.unsaved) {
      // A launch left over from a failed pass is dropped once its lease has ended.
      const current = this.launches.filter((l) => {
        const lease = this.engine.lease(l.node);
        return lease?.action === l.lease.action && lease.outcome === undefined;
      });
      const launched = await callEach(this.refusals, current, now, (l) => actions.launch(l), (l, e) => log.error({ err: e, action: l.lease.action }, 'launching an action failed; retrying'), (l, news, r) => this.refused(l.owner, news, r, refusedNow));
      this.launches = launched.left;
      for (const owner of launched.cleared) this.accepted(owner, refusedNow);
    }
    // Events are best effort: after the launches, so they never delay one.
    for (const event of plan.events) this.report(event);
    const cancelled = await callEach(this.refusals, this.cancels, now, (c) => actions.cancel(c), (c, e) => log.error({ err: e, action: c.action }, 'cancelling an action failed; retrying'), (c, news, r) => this.refused(c.owner, news, r, refusedNow));
    this.cancels = cancelled.left;
    for (const owner of cancelled.cleared) this.accepted(owner, refusedNow);
    for (const w of this.composer.owners([...refusedNow.values()], now)) this.statuses.set(keyOf(w), w);
    for (const request of plan.checks) {
      this.checksInFlight++;
      checks.request(request).catch((error: unknown) => {
        this.checksInFlight--;
        this.enqueue({ kind: 'answer', answer: { request, failure: { reason: 'CheckerFailed', message: `the check could not be started: ${describeError(error)}` } } });
      });
    }
    const statusesOk = await this.statuses.flush((w) => status.writeStatus(w.object, w.status), (key, e) => log.error({ err: e, object: key }, 'writing a status failed; retrying'));
    const runsOk = await this.runWrites.flush((w) => ('removed' in w ? status.removeRun(w.run) : status.writeRun(w.run, w.status)), (name, e) => log.error({ err: e, run: name }, 'writing a DagRun failed; retrying'));
    ok &&= statusesOk && runsOk;
    // Calls an owner's refusal holds back wait for its backoff, not the fast retry.
    if ([...this.launches, ...this.cancels].some((c) => !this.refusals.waiting(c.owner, now))) ok = false;
    if (ok) this.failures = 0;
    else this.failed();
    this.wakeAt(earliest(plan.nextWakeAt, this.refusedRetryAt(now)), now);
    return ok ? 'ok' : 'retry';
  }

  /** Feeds everything that arrived since the last pass to the engine. */
  private async drain(now: number): Promise<{ any: boolean; world: boolean }> {
    const world = this.worldChanged;
    // Kept: a newer declared state may arrive while the world compiles; it makes the next pass.
    const declared = this.declared;
    if (world && declared !== undefined) {
      this.worldChanged = false;
      try {
        await this.compile(declared.world, now);
        this.composer.declare(declared.world);
        // By name and uid: a DagRun deleted and created again since the last pass is another object.
        const dagRuns = new Map(declared.side.dagRuns.map((r) => [`${r.metadata.namespace ?? 'default'}/${r.metadata.name}`, r.metadata.uid]));
        this.engine.forgetDeletedRuns((run) => dagRuns.has(`${run.namespace}/${run.name}`) && sameDagRun(run.uid, dagRuns.get(`${run.namespace}/${run.name}`)));
        for (const r of newDagRunRequests(declared.side.dagRuns, { runs: this.engine.runs(), runRequests: this.engine.runRequests() }, this.requestedRuns, now)) {
          this.requestedRuns.add(r.askedKey);
          this.engine.requestRun(r.dag, r.period, r.request);
        }
        this.reportProblems();
      } catch (error) {
        // A bug, not bad input: the engine turns an object it cannot compile into Valid=False
        // (CompileError) alone, so this is a last resort; the old world is kept.
        this.options.log.error({ err: error }, 'the declared objects could not be compiled; keeping the previous ones');
      }
    }
    const items = this.inbox.splice(0);
    for (const item of items) {
      try {
        if (item.kind === 'ended') this.ended(item.end, now);
        else if (item.kind === 'answer') this.answered(item.answer, now);
        else item.done(this.renewed(item.node, item.attempt, item.until, now));
      } catch (error) {
        this.options.log.error({ err: error, item }, 'an event could not be applied; skipped');
        if (item.kind === 'renew') item.done({ status: 'notFound' });
      }
    }
    return { any: world || items.length > 0, world };
  }

  /**
   * Compiles a world in slices, between owners, giving the event loop back every
   * `compileSliceMs`: leader election renews its Lease, the server answers. The pass is running,
   * so nothing else reaches the engine meanwhile (events wait in the inbox).
   */
  private async compile(world: World, now: number): Promise<void> {
    const sliceMs = this.options.compileSliceMs ?? 50;
    let sliceStart = performance.now();
    for (const _ of this.engine.setWorldSteps(world, now)) {
      if (performance.now() - sliceStart < sliceMs) continue;
      await new Promise<void>((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }

  private ended(end: ActionEnd, now: number): void {
    if (end.outcome === 'notStarted') {
      this.engine.actionNotStarted(end.node, end.attempt, now, end.message);
      return;
    }
    // An end nobody saw (a restart): where a checker judges the node, let it; a Dag task runs again.
    const rule = this.engine.node(end.node)?.policy.rule ?? (end.node.startsWith('Dag/') ? 'make' : 'check');
    const succeeded = end.outcome === 'succeeded' || (end.outcome === 'lost' && rule === 'check');
    this.engine.actionFinished(end.node, end.attempt, succeeded, now, end.message);
  }

  private renewed(node: string, attempt: number, until: number, now: number): RenewResult {
    // An expired lease is not revived: the engine cancels its action in this very pass.
    const lease = this.engine.lease(node);
    if (lease === undefined || lease.expiresAt <= now || !this.engine.renewLease(node, attempt, until)) return { status: 'notFound' };
    return { status: 'renewed', expiresAt: lease.expiresAt };
  }

  private answered(answer: CheckAnswer, now: number): void {
    if ('failure' in answer) {
      this.engine.checkFailed(answer.request.items.map((i) => i.node), answer.failure.reason, answer.failure.message, now);
      return;
    }
    for (const v of answer.verdicts) this.engine.observe(v.node, v.verdict, now, v.message);
    for (const node of answer.unanswered) this.engine.observe(node, 'unknown', now, 'the checker gave no verdict for this partition');
  }

  /** Each new reason an object is invalid is said once: a warning, and an Event where the API allows. */
  private reportProblems(): void {
    const now = new Map(this.engine.problems().map((p) => [`${p.kind}/${p.namespace}/${p.name}: ${p.reason}: ${p.message}`, p]));
    for (const [key, p] of now) {
      if (this.reported.has(key)) continue;
      if (p.kind === 'Expectation' || p.kind === 'Dag') this.report({ owner: { kind: p.kind, namespace: p.namespace, name: p.name }, type: 'Warning', reason: p.reason, message: p.message });
      else this.options.log.warn({ owner: `${p.kind}/${p.name}`, reason: p.reason }, p.message);
    }
    this.reported = new Set(now.keys());
  }

  private report(event: EngineEvent): void {
    const fields = { owner: `${event.owner.kind}/${event.owner.name}`, ...(event.partition !== undefined ? { partition: event.partition } : {}), reason: event.reason };
    if (event.type === 'Warning') this.options.log.warn(fields, event.message);
    else this.options.log.info(fields, event.message);
    try {
      this.ports.status.recordEvent(event);
    } catch (error) {
      this.options.log.error({ err: error }, 'recording an event failed');
    }
  }

  /**
   * A call refused for good: said once where users look (the owner's Degraded condition and an
   * Event, with the same words), then one log line per backoff step, never one per call.
   */
  private refused(owner: OwnerRef, news: RefusalNews, refusal: Refusal, changed: Map<string, OwnerRef>): void {
    if (news === 'new') {
      changed.set(ownerKey(owner), owner);
      this.report({ owner, type: 'Warning', reason: refusal.reason, message: refusal.message });
    } else if (news === 'step') {
      this.options.log.warn({ owner: `${owner.kind}/${owner.name}`, namespace: owner.namespace, reason: refusal.reason, step: refusal.step, retryInMs: refusal.dueAt - this.ports.clock.now(), suppressed: refusal.suppressed }, `still refused: ${refusal.message}`);
      refusal.suppressed = 0;
    }
  }

  /** A call of an owner that was refused went through: Degraded is the engine's again. */
  private accepted(owner: OwnerRef, changed: Map<string, OwnerRef>): void {
    changed.set(ownerKey(owner), owner);
    this.options.log.info({ owner: `${owner.kind}/${owner.name}`, namespace: owner.namespace }, 'calls refused before go through again');
  }

  /** When the first call held back by a refusal may go again. */
  private refusedRetryAt(now: number): number | undefined {
    let at: number | undefined;
    for (const c of [...this.launches, ...this.cancels]) {
      const due = this.refusals.get(c.owner)?.dueAt;
      if (due !== undefined && due > now) at = Math.min(at ?? Infinity, due);
    }
    return at;
  }

  private wakeAt(at: number | undefined, now: number): void {
    this.cancelWake?.();
    this.cancelWake = undefined;
    if (at === undefined || this.stopped) return;
    if (at <= now) this.again = true;
    else this.cancelWake = this.ports.clock.setTimer(at, () => this.kick());
  }

  private failed(): void {
    if (this.stopped) return;
    this.failures++;
    const initial = this.options.retryInitialMs ?? 500;
    const delay = Math.min(initial * 2 ** (this.failures - 1), this.options.retryMaxMs ?? 30_000);
    this.cancelRetry?.();
    this.cancelRetry = this.ports.clock.setTimer(this.ports.clock.now() + delay, () => this.kick());
  }
}

const ownerKey = (o: OwnerRef): string => `${o.kind}/${o.namespace}/${o.name}`;
const earliest = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined ? b : b === undefined ? a : Math.min(a, b));

const keyOf = (w: StatusWrite): string => `${w.object.kind}/${w.object.namespace}/${w.object.name}`;

const busy = (plan: Plan): boolean => plan.launches.length + plan.cancels.length + plan.changedOwners.length + plan.changedRuns.length + plan.removedRuns.length + plan.checks.length > 0;
