/**
 * The controller on Kubernetes: the runtime's Reconciler wired to the Kubernetes adapters, as
 * src/local/devLoop.ts wires it to the local ones.
 *
 *   informers (5 kinds, Homeostat's Jobs, their Pods) -> WorldCache -> Reconciler
 *   Reconciler -> JobActionRunner (actions), checks by mode (Job, Http, Push),
 *                 StatusStore (leases and status in the CRs), EventRecorder (Events)
 *
 * Start-up order matters (DESIGN rule 2): every cache syncs, then the saved leases are loaded
 * from the statuses and handed to the action runner to adopt, and only then does the first
 * World reach the engine, so nothing is launched for a lease that is already held.
 */
import { hostname } from 'node:os';
import type { KubernetesListObject, V1Job, V1Pod } from '@kubernetes/client-node';
import type { PodPolicy } from '../api/podPolicy.js';
import type { ObjectProblem } from '../engine/index.js';
import type { Logger } from '../runtime/log.js';
import { type ActionEnd, type ActionRunner, type CheckAnswer, type CheckRunner, type Clock, type ObjectRef, systemClock } from '../runtime/ports.js';
import { BoundedChecks, DEFAULT_MAX_CHECKS_IN_FLIGHT } from '../runtime/boundedChecks.js';
import { Reconciler } from '../runtime/reconciler.js';
import { validityStatus } from '../runtime/statusDocuments.js';
import type { Deliver, Metrics, Renew } from '../server/index.js';
import type { CheckRequest, OwnerRef, Verdict } from '../engine/index.js';
import type { KubeClients } from './client.js';
import { EventRecorder, kubeEventsApi } from './eventRecorder.js';
import { CheckerUrlPolicy } from './checkerUrlPolicy.js';
import { HttpCheckRunner } from './httpCheckRunner.js';
import { JobActionRunner } from './jobActionRunner.js';
import { JobCheckRunner } from './jobCheckRunner.js';
import { combinedFactory, kubeInformerFactory, type ListPage, ResilientInformer, type ResilientInformerOptions, watchedObjects, type WatchState } from './resilientInformer.js';
import type { KindInformers } from './kindInformers.js';
import { leanJob, leanPod } from './leanObjects.js';
import { startSourceLoader } from './sourceInformer.js';
import type { SourceLoader, SourceLoaderOptions } from './sourceLoader.js';
import { kubeStatusApi, StatusStore } from './statusStore.js';
import { type InvalidObject, MANAGED_BY_LABEL, MANAGER, WorldCache, type WorldState } from './worldCache.js';

/** Jobs and Pods Homeostat created: one informer each, shared by the runners. */
export const MANAGED_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGER}`;

export interface ControllerOptions {
  clients: KubeClients;
  log: Logger;
  /** Watch and act in these namespaces only. Defaults to every namespace. */
  namespaces?: readonly string[];
  /** Who holds the leases. Defaults to $POD_NAME, else the host name. */
  holder?: string;
  clock?: Clock;
  metrics?: Metrics;
  /** Informer timings (watchdog, resync, restart backoff). */
  informer?: Pick<ResilientInformerOptions<never>, 'watchdogMs' | 'resyncMs' | 'restartInitialMs' | 'restartMaxMs'>;
  /** Backoff of failing port calls in the reconciler. */
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** Backoff of an owner whose calls the API server refused for good (403, 401, 404, 422). Defaults to 1 min doubling to 10 min. */
  refusalInitialMs?: number;
  refusalMaxMs?: number;
  /** How long a Dag created while running waits for its DagDependencies (ReconcilerOptions). Defaults to 2 s. */
  newDagGraceMs?: number;
  /** Bounded work: nodes one object, and all objects together, may compile to (ReconcilerOptions). */
  maxNodesPerObject?: number;
  maxNodesTotal?: number;
  /** Wraps the action runner (tests inject failures here). */
  wrapActions?: (runner: ActionRunner) => ActionRunner;
  /** ConfigMaps of `valuesFrom` are read again this often. Defaults to 5 min. */
  configMapRefreshMs?: number;
  /** `valuesFrom` reads only ConfigMaps labelled homeostat.dev/values-source=true (WorldCacheOptions). Defaults to false. */
  requireValuesSourceLabel?: boolean;
  /** The observation endpoint's URL, sent to Http checkers as `replyTo`. */
  replyTo?: string;
  /** The lease renewal endpoint's URL as Jobs reach it, given to actions as HOMEOSTAT_LEASE_RENEW_URL. */
  leaseRenewUrl?: string;
  /** The PEM of the CA of the controller's certificate, given to actions with the URL (HOMEOSTAT_CA_CERT). */
  controllerCa?: string;
  /**
   * Which urls Http-mode checkers may be called at. Defaults to apiServerPolicy(clients): http(s)
   * only, loopback, link-local and this cluster's API server refused, nothing allowed.
   */
  checkerUrlPolicy?: CheckerUrlPolicy;
  /** The administrator's policy for the Pods of actions and checkers (api/podPolicy.ts). Defaults to none. */
  podPolicy?: PodPolicy;
  /**
   * Informers of Homeostat's kinds someone else owns and keeps running (the read API's ViewCache):
   * the controller watches those kinds through them instead of a second time.
   */
  sharedInformers?: Partial<KindInformers>;
  /**
   * Checks (checker Jobs, Http checker requests) in flight at once; more wait for a slot
   * (runtime/boundedChecks.ts). Defaults to 100.
   */
  maxChecksInFlight?: number;
  /** Load DefinitionSources (src/kube/sourceLoader.ts). Off by default. */
  sources?: Pick<SourceLoaderOptions, 'directoryRoots' | 'retryInitialMs'>;
}

/** The strict policy, refusing the API server as this controller reaches it (in-cluster and by its kubeconfig). */
export function apiServerPolicy(clients: KubeClients, allow: readonly string[] = []): ReturnType<typeof CheckerUrlPolicy.create> {
  return CheckerUrlPolicy.create({ allow, apiServerHosts: apiServerHosts(clients) });
}

function apiServerHosts(clients: KubeClients): (string | undefined)[] {
  const server = clients.config.getCurrentCluster()?.server;
  let host: string | undefined;
  try {
    host = server === undefined ? undefined : new URL(server).hostname;
  } catch {
    host = undefined;
  }
  return [process.env.KUBERNETES_SERVICE_HOST, host];
}

/** The controller, running. */
export interface Controller {
  readonly reconciler: Reconciler;
  /** Checks in flight and waiting for a slot. */
  readonly checks: BoundedChecks;
  readonly world: WorldCache;
  readonly store: StatusStore;
  readonly events: EventRecorder;
  readonly informers: WatchState[];
  /** The DefinitionSource loader, when `sources` was given. */
  readonly sources: SourceLoader | undefined;
  /** Every cache has synced once. */
  synced(): boolean;
  /** Whether every watch heard from the server within `withinMs`; `stale` names the others. */
  watchesFresh(withinMs: number): { ok: boolean; stale: string[] };
  /** Hands pushed (or late Http) verdicts to the reconciler: the observation endpoint's `deliver`. */
  deliver: Deliver;
  /**
   * Renews the lease of a running action (a heartbeat) for another workingTimeout from now, and
   * extends its Job's deadline to match: the lease endpoint's `renew`.
   */
  renew: Renew;
  /**
   * Stops taking work (watches, checks), lets the reconcile pass in flight finish its port calls
   * for up to `graceMs` (default 30 s), saves once more. Running Jobs are left alone: the next
   * controller adopts them.
   */
  stop(graceMs?: number): Promise<void>;
}

export async function startController(options: ControllerOptions): Promise<Controller> {
  const { clients, log, namespaces, metrics } = options;
  const clock = options.clock ?? systemClock;
  const holder = options.holder ?? process.env.POD_NAME ?? hostname();
  // The World may change before the reconciler exists: the latest is kept and handed over then.
  const started: { reconciler?: Reconciler; latest?: WorldState; leasesCountedAt: number } = { leasesCountedAt: 0 };

  const informerOptions = { log, clock, ...options.informer };
  const world = new WorldCache({
    clients,
    log: log.child({ component: 'world' }),
    clock,
    onChange: (state) => {
      started.latest = state;
      if (started.reconciler !== undefined) declare(started.reconciler, state);
    },
    ...(namespaces !== undefined ? { namespaces } : {}),
    ...(options.informer !== undefined ? { informer: options.informer } : {}),
    ...(options.sharedInformers !== undefined ? { shared: options.sharedInformers } : {}),
    ...(options.configMapRefreshMs !== undefined ? { configMapRefreshMs: options.configMapRefreshMs } : {}),
    ...(options.requireValuesSourceLabel !== undefined ? { requireValuesSourceLabel: options.requireValuesSourceLabel } : {}),
    onRestart: (resource) => metrics?.watchRestarts.inc({ resource }),
  });
  const jobs = managedInformer<V1Job>('jobs', clients, namespaces, informerOptions, metrics);
  const pods = managedInformer<V1Pod>('pods', clients, namespaces, informerOptions, metrics);

  const uidOf = (ref: OwnerRef | ObjectRef) => world.uidOf(ref);
  const checkerOf = (ref: { namespace: string; name: string }) => world.checker(ref);
  const events = new EventRecorder({ api: kubeEventsApi(clients), log, instance: holder, uidOf, clock });
  const store = new StatusStore({
    // The saved leases are read from the informers, synced before the load: a second list of
    // every object (whole, managedFields and all) is what made the start-up's peak memory.
    api: { ...kubeStatusApi(clients), list: async (kind, namespace) => world.informers[kind].list(namespace) },
    log: log.child({ component: 'status' }),
    recordEvent: (e) => events.recordEvent(e),
    current: (ref) => world.object(ref),
    ...(namespaces !== undefined ? { namespaces } : {}),
    onWrite: (kind) => metrics?.statusWrites.inc({ kind }),
    onConflict: (kind) => metrics?.statusConflicts.inc({ kind }),
  });
  for (const informer of Object.values(world.informers)) {
    informer.on('delete', (o) => store.forget({ kind: o.kind as ObjectRef['kind'], namespace: o.metadata?.namespace ?? 'default', name: o.metadata?.name ?? '' }));
    informer.on('update', (o) => void store.observe(o));
  }
  const jobActions = new JobActionRunner({
    batch: clients.batch,
    jobs: watchedObjects(jobs),
    uidOf,
    log: log.child({ component: 'actions' }),
    ...(options.leaseRenewUrl !== undefined ? { leaseRenewUrl: options.leaseRenewUrl } : {}),
    ...(options.controllerCa !== undefined ? { controllerCa: options.controllerCa } : {}),
  });
  const actions = counted(options.wrapActions?.(jobActions) ?? jobActions, metrics);
  const jobChecks = new JobCheckRunner({ batch: clients.batch, core: clients.core, jobs: watchedObjects(jobs), pods: watchedObjects(pods), checkerOf, uidOf, clock, log: log.child({ component: 'checks' }) });
  const urlPolicy = options.checkerUrlPolicy ?? CheckerUrlPolicy.strict(apiServerHosts(clients));
  const httpChecks = new HttpCheckRunner({ checkerOf, clock, urlPolicy, log: log.child({ component: 'checks' }), ...(options.replyTo !== undefined ? { replyTo: options.replyTo } : {}) });
  const router = new CheckRouter(jobChecks, httpChecks, checkerOf, metrics);
  const checks = new BoundedChecks(router, clock, options.maxChecksInFlight ?? DEFAULT_MAX_CHECKS_IN_FLIGHT, { inFlight: metrics?.checksInFlight, waiting: metrics?.checksWaiting });

  const informers: WatchState[] = [...Object.values(world.informers), jobs, pods];
  world.start();
  jobs.start();
  pods.start();
  await Promise.all([world.whenSynced(), jobs.whenSynced(), pods.whenSynced()]);
  log.info({ namespaces: namespaces ?? '(all)', holder }, 'caches synced; loading the saved leases');

  const invalid = new InvalidReporter(store, events, clock, log);
  const reconciler = await Reconciler.start(
    { actions, checks, state: store, status: store, clock },
    {
      holder,
      log,
      ...(options.retryInitialMs !== undefined ? { retryInitialMs: options.retryInitialMs } : {}),
      ...(options.retryMaxMs !== undefined ? { retryMaxMs: options.retryMaxMs } : {}),
      ...(options.refusalInitialMs !== undefined ? { refusalInitialMs: options.refusalInitialMs } : {}),
      ...(options.refusalMaxMs !== undefined ? { refusalMaxMs: options.refusalMaxMs } : {}),
      ...(options.newDagGraceMs !== undefined ? { newDagGraceMs: options.newDagGraceMs } : {}),
      ...(options.podPolicy !== undefined ? { podPolicy: options.podPolicy } : {}),
      ...(options.maxNodesPerObject !== undefined ? { maxNodesPerObject: options.maxNodesPerObject } : {}),
      ...(options.maxNodesTotal !== undefined ? { maxNodesTotal: options.maxNodesTotal } : {}),
      ...(metrics !== undefined ? { metrics } : {}),
      onPass: () => {
        if (started.reconciler !== undefined) invalid.graphProblems(started.reconciler.engine.problems());
        // A snapshot copies every lease and retry record: at most once a second.
        if (metrics === undefined || clock.now() - started.leasesCountedAt < 1_000) return;
        started.leasesCountedAt = clock.now();
        metrics.liveLeases.set(liveLeases(started.reconciler));
      },
    },
  );
  const declare = (r: Reconciler, state: WorldState) => {
    r.setDeclared(state);
    invalid.report(state.invalid);
  };
  started.reconciler = reconciler;
  const latest = started.latest;
  if (latest !== undefined) declare(reconciler, latest);
  log.info({ objects: latest === undefined ? 0 : latest.world.expectations.length + latest.world.dags.length }, 'controller started');

  // After the caches synced: a source's first scan compares with every object already there.
  const sources = options.sources === undefined ? undefined : startSourceLoader({ clients, log: log.child({ component: 'sources' }), clock, holder, world, namespaces, informerOptions, endpointPolicy: urlPolicy, ...options.sources });
  if (sources !== undefined) informers.push(sources.informer);

  const running = reconciler;
  let stopping: Promise<void> | undefined;
  return {
    reconciler: running,
    checks,
    world,
    store,
    events,
    informers,
    sources: sources?.loader,
    synced: () => informers.every((i) => i.synced),
    watchesFresh(withinMs) {
      const now = clock.now();
      const stale = informers.filter((i) => i.lastEventAt === undefined || now - i.lastEventAt > withinMs).map((i) => i.resource);
      return { ok: stale.length === 0, stale };
    },
    deliver: (target, results) => {
      if (stopping !== undefined) return { status: 'unavailable', message: 'the controller is shutting down' };
      const owner: OwnerRef = { kind: 'Expectation', namespace: target.namespace, name: target.expectation };
      if (running.engine.owner(owner) === undefined) return { status: 'notFound', message: `Expectation ${target.namespace}/${target.expectation} is not known to the controller` };
      const verdicts: { node: string; verdict: Verdict; message?: string }[] = [];
      const ignored: string[] = [];
      for (const r of results) {
        const node = `Expectation/${target.namespace}/${target.expectation}|${r.key}`;
        if (running.engine.node(node) === undefined) ignored.push(r.key);
        else verdicts.push({ node, verdict: r.state, ...(r.message !== undefined ? { message: r.message } : {}) });
      }
      if (verdicts.length > 0) router.push({ request: pushRequest(owner), verdicts, unanswered: [] });
      return { status: 'accepted', accepted: verdicts.length, ignored };
    },
    renew: async (target, key, attempt) => {
      if (stopping !== undefined) return { status: 'unavailable', message: 'the controller is shutting down' };
      const node = `Expectation/${target.namespace}/${target.expectation}|${key}`;
      const record = running.engine.node(node);
      if (record === undefined) return { status: 'notFound', message: `Expectation ${target.namespace}/${target.expectation} has no partition ${JSON.stringify(key)} known to the controller` };
      const renewed = await running.renewLease(node, attempt, clock.now() + record.policy.workingTimeoutMs);
      if (renewed.status === 'stopped') return { status: 'unavailable', message: 'the controller is shutting down' };
      if (renewed.status === 'notFound') return { status: 'notFound', message: `partition ${JSON.stringify(key)} of Expectation ${target.namespace}/${target.expectation} has no live lease of attempt ${attempt}` };
      const lease = running.engine.lease(node);
      try {
        if (lease !== undefined) await jobActions.extend(lease, target.namespace);
      } catch (error) {
        // The lease is renewed; the action retries, and extending again is harmless.
        log.warn({ err: error, node }, 'a lease was renewed but its Job deadline could not be extended');
        return { status: 'unavailable', message: 'the lease was renewed, but its Job deadline could not be extended; retry' };
      }
      return { status: 'renewed', expiresAt: renewed.expiresAt };
    },
    stop: (graceMs = 30_000) =>
      (stopping ??= (async () => {
        log.info({ graceMs }, 'stopping: no new work; waiting for the calls in flight');
        invalid.stop();
        await sources?.stop();
        await world.stop();
        const stopped = running.stop().then(() => store.settled());
        const timedOut = await Promise.race([stopped.then(() => false), new Promise<boolean>((resolve) => setTimeout(() => resolve(true), graceMs).unref())]);
        if (timedOut) log.warn({ graceMs }, 'calls still in flight after the grace period; leaving them');
        jobChecks.stop();
        httpChecks.stop();
        await Promise.all([jobs.stop(), pods.stop()]);
        await Promise.race([events.flush(), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
        log.info('stopped');
      })()),
  };
}

/** An informer of the Jobs or Pods Homeostat created. */
function managedInformer<T extends V1Job | V1Pod>(resource: 'jobs' | 'pods', clients: KubeClients, namespaces: readonly string[] | undefined, options: Omit<ResilientInformerOptions<T>, 'resource' | 'factory'>, metrics: Metrics | undefined): ResilientInformer<T> {
  const labelSelector = MANAGED_SELECTOR;
  const group = resource === 'jobs' ? '/apis/batch/v1' : '/api/v1';
  const inNamespace = (namespace: string | undefined) => {
    const path = namespace !== undefined ? `${group}/namespaces/${namespace}/${resource}` : `${group}/${resource}`;
    const list = (page: ListPage): Promise<KubernetesListObject<T>> => {
      if (resource === 'jobs') return (namespace !== undefined ? clients.batch.listNamespacedJob({ namespace, labelSelector, ...page }) : clients.batch.listJobForAllNamespaces({ labelSelector, ...page })) as Promise<KubernetesListObject<T>>;
      return (namespace !== undefined ? clients.core.listNamespacedPod({ namespace, labelSelector, ...page }) : clients.core.listPodForAllNamespaces({ labelSelector, ...page })) as Promise<KubernetesListObject<T>>;
    };
    // Kept: how each ended (status), not the Pod template or spec (leanObjects.ts).
    const transform = (resource === 'jobs' ? leanJob : leanPod) as unknown as (object: T) => T;
    return kubeInformerFactory<T>({ config: clients.config, path, list, labelSelector, transform });
  };
  const factory = namespaces === undefined ? inNamespace(undefined) : combinedFactory(namespaces.map(inNamespace));
  return new ResilientInformer<T>({ ...options, resource, factory, onRestart: () => metrics?.watchRestarts.inc({ resource }) });
}

const liveLeases = (reconciler: Reconciler | undefined): number => reconciler?.engine.snapshot().leases.filter((l) => l.outcome === undefined).length ?? 0;

/** The request a pushed observation answers: none (the engine takes verdicts whenever they come). */
const pushRequest = (owner: OwnerRef): CheckRequest => ({ checker: { namespace: owner.namespace, name: '' }, owner, params: {}, items: [], timeoutMs: 0 });

/**
 * Sends each check to the runner of its checker's mode. A Push checker is never called: its
 * request is acknowledged at once with no verdict, and the nodes wait (until the checker's
 * timeout) for observations pushed to the observation endpoint.
 */
export class CheckRouter implements CheckRunner {
  private listener: (answer: CheckAnswer) => void = () => undefined;

  constructor(
    private readonly job: CheckRunner,
    private readonly http: CheckRunner,
    private readonly checkerOf: (ref: { namespace: string; name: string }) => { spec: { mode?: string } } | undefined,
    private readonly metrics?: Pick<Metrics, 'checkerCalls' | 'checkerErrors'>,
  ) {
    const forward = (answer: CheckAnswer) => {
      if ('failure' in answer) this.metrics?.checkerErrors.inc({ reason: answer.failure.reason as 'CheckerFailed' });
      this.listener(answer);
    };
    job.onAnswer(forward);
    http.onAnswer(forward);
  }

  onAnswer(listener: (answer: CheckAnswer) => void): void {
    this.listener = listener;
  }

  async request(request: CheckRequest): Promise<void> {
    const mode = this.checkerOf(request.checker)?.spec.mode ?? 'Job';
    if (mode === 'Push') return queueMicrotask(() => this.listener({ request, verdicts: [], unanswered: [] }));
    this.metrics?.checkerCalls.inc({ mode: mode === 'Http' ? 'Http' : 'Job' });
    return (mode === 'Http' ? this.http : this.job).request(request);
  }

  /** Verdicts that answer no request (pushed observations). */
  push(answer: CheckAnswer): void {
    this.listener(answer);
  }
}

/** Counts launches, cancels and ends (metrics); otherwise the runner itself. */
function counted(runner: ActionRunner, metrics: Metrics | undefined): ActionRunner {
  if (metrics === undefined) return runner;
  return {
    onEnded: (listener) =>
      runner.onEnded((end: ActionEnd) => {
        metrics.actionsEnded.inc({ outcome: end.outcome });
        listener(end);
      }),
    launch: async (launch) => {
      await runner.launch(launch);
      metrics.actionsLaunched.inc();
    },
    cancel: async (cancel) => {
      await runner.cancel(cancel);
      metrics.actionsCancelled.inc();
    },
    adopt: (leases) => runner.adopt(leases),
  };
}

/**
 * Objects the validator rejected never reach the engine, so the controller says why itself:
 * Valid=False with the field errors (once per generation and message), and a Warning Event.
 * A write that fails is tried again a few seconds later. Objects the engine finds invalid in the
 * whole graph get their Event here too when the engine does not give them one (DagDependencies).
 */
export class InvalidReporter {
  private readonly reported = new Map<string, string>();
  /** Graph problems said, by object: `reason: message`. */
  private readonly graphSaid = new Map<string, string>();
  private retry: (() => void) | undefined;
  private latest: InvalidObject[] = [];
  private stopped = false;

  constructor(private readonly store: StatusStore, private readonly events: EventRecorder, private readonly clock: Clock, private readonly log: Logger) {}

  report(invalid: InvalidObject[]): void {
    this.latest = invalid;
    const now = this.clock.now();
    const current = new Set<string>();
    for (const o of invalid) {
      const key = `${o.ref.kind}/${o.ref.namespace}/${o.ref.name}`;
      const stamp = `${o.generation}\n${o.message}`;
      current.add(key);
      if (this.reported.get(key) === stamp) continue;
      this.reported.set(key, stamp);
      const problem: ObjectProblem = { ...o.ref, reason: 'InvalidSpec', message: o.message };
      const status = { ...(o.ref.kind === 'Expectation' || o.ref.kind === 'Dag' ? { phase: 'Unknown' } : {}), ...validityStatus(problem, o.generation, undefined, now) };
      this.events.record(o.ref, 'Warning', 'InvalidSpec', o.message);
      this.log.warn({ namespace: o.ref.namespace, name: o.ref.name, kind: o.ref.kind, reason: 'InvalidSpec' }, o.message);
      this.store.writeStatus(o.ref, status).catch((error: unknown) => {
        this.log.error({ err: error, object: key }, 'writing Valid=False failed; retrying');
        this.reported.delete(key);
        this.retry ??= this.clock.setTimer(this.clock.now() + 5_000, () => {
          this.retry = undefined;
          if (!this.stopped) this.report(this.latest);
        });
      });
    }
    for (const key of [...this.reported.keys()]) if (!current.has(key)) this.reported.delete(key);
  }

  /**
   * The graph problems after a pass (a DagDependency naming an unknown Dag, or closing a cycle):
   * each gets a Warning Event on the object itself, with the reason and message of its Valid=False
   * condition, once per change of either; a problem that goes away and comes back is said again.
   * Expectations and Dags are left out: the reconciler gives them theirs.
   */
  graphProblems(problems: readonly ObjectProblem[]): void {
    if (this.stopped) return;
    const current = new Set<string>();
    for (const p of problems) {
      if (p.kind === 'Expectation' || p.kind === 'Dag' || !isObjectKind(p.kind)) continue;
      const key = `${p.kind}/${p.namespace}/${p.name}`;
      const said = `${p.reason}: ${p.message}`;
      current.add(key);
      if (this.graphSaid.get(key) === said) continue;
      this.graphSaid.set(key, said);
      this.events.record({ kind: p.kind, namespace: p.namespace, name: p.name }, 'Warning', p.reason, p.message);
    }
    for (const key of [...this.graphSaid.keys()]) if (!current.has(key)) this.graphSaid.delete(key);
  }

  stop(): void {
    this.stopped = true;
    this.retry?.();
  }
}

const OBJECT_KINDS: readonly string[] = ['StateChecker', 'Expectation', 'Dag', 'DagRun', 'DagDependency'] satisfies ObjectRef['kind'][];
const isObjectKind = (kind: string): kind is ObjectRef['kind'] => OBJECT_KINDS.includes(kind);
