import { GraphReason } from '../api/graphChecks.js';
import type { Condition, DagDependency, DagRun, StateChecker } from '../api/types.js';
import { type Engine, ownerConditions, ownerStatus, type OwnerRef, type Plan, type RunRecord, transitionTime, type World } from '../engine/index.js';
import type { ObjectRef } from './ports.js';
import { type Suspension, suspensionOf, withSuspended } from './suspension.js';
import { type ConditionTrace, dagRunStatus, dagStatus, expectationStatus, type RunTask, tracesIn, tracesOf, validityStatus } from './statusDocuments.js';
import { keptOnce } from '../api/boundedTable.js';

/** The declared objects the engine does not plan for, but whose status the controller writes. */
export interface SideObjects {
  checkers: StateChecker[];
  dagDependencies: DagDependency[];
  dagRuns: DagRun[];
}

export interface StatusWrite {
  object: ObjectRef;
  status: Record<string, unknown>;
}

// The engine's ownerKey, by join: a template gives a rope, and these keys are kept (one per declared object).
const refKey = (o: ObjectRef): string => [o.kind, o.namespace, o.name].join('/');
const nsOf = (o: { metadata: { namespace?: string } }): string => o.metadata.namespace ?? 'default';

/**
 * Turns what a plan changed into status documents. Remembers the conditions it wrote last, so
 * a condition keeps its lastTransitionTime while its status holds.
 */
export class StatusComposer {
  /**
   * The conditions written last (their traces: type, status, since when; see tracesOf), by owner key
   * (Expectations, Dags) and by object (the side objects'). Objects no longer declared are
   * forgotten: with churn they would otherwise pile up, and one created again under the same name
   * would inherit the deleted one's conditions.
   */
  private readonly ownerConditions = new Map<string, string>();
  private readonly sideConditions = new Map<string, string>();
  /**
   * Owner key -> the generation of the declared object, as last handed to the engine, when the
   * engine's model holds another one (it rejected the object): for the rest, the model's is it.
   */
  private readonly generations = new Map<string, number>();
  /**
   * Each trace kept once: owners composed in the same pass mostly hold the same conditions since
   * the same time (10,000 at a first pass, a handful of distinct traces). Cleared when full.
   */
  private readonly traces = new Map<string, string>();
  /** Owner key -> why the declared object is suspended (its Suspended condition), when it is. */
  private readonly suspensions = new Map<string, Suspension>();

  /**
   * `refusalOf`: why the owner's calls are refused for good, if they are (the Degraded condition
   * says so). `stored`: the conditions an object's status holds already (the cluster's, for a
   * controller that starts again): before this composer wrote one, a condition whose status
   * holds keeps their lastTransitionTime, and the status comes out as it is stored.
   */
  constructor(
    private readonly engine: Engine,
    private readonly refusalOf: (owner: OwnerRef) => { reason: string; message: string } | undefined = () => undefined,
    private readonly stored: (object: ObjectRef) => Condition[] | undefined = () => undefined,
  ) {}

  /**
   * The declared objects the engine was just given. Their generations are what a status says it
   * judged: the engine records an owner's generation only when it compiles, not when it rejects
   * one (an unknown reference), and an observedGeneration behind the object's reads as "not
   * reconciled yet" to kstatus, Argo CD and Flux. Whether each is suspended, and why (the
   * loader's annotation when its file is gone), is its Suspended condition.
   */
  declare(world: Pick<World, 'expectations' | 'dags'>): void {
    this.generations.clear();
    this.suspensions.clear();
    const declared = new Set<string>();
    for (const o of [...world.expectations, ...world.dags]) {
      const ref: OwnerRef = { kind: o.kind, namespace: o.metadata.namespace ?? 'default', name: o.metadata.name };
      const key = refKey(ref);
      declared.add(key);
      const generation = o.metadata.generation ?? 0;
      if (this.engine.owner(ref)?.generation !== generation) this.generations.set(key, generation);
      const suspension = suspensionOf(o);
      if (suspension !== undefined) this.suspensions.set(key, suspension);
    }
    for (const key of this.ownerConditions.keys()) if (!declared.has(key)) this.ownerConditions.delete(key);
  }

  /** Statuses of the owners the plan changed (removed owners are skipped: nothing to write to). */
  owners(changed: readonly OwnerRef[], now: number): StatusWrite[] {
    const out: StatusWrite[] = [];
    for (const ref of changed) {
      const model = this.engine.owner(ref);
      if (model === undefined) continue;
      const key = refKey(ref);
      const summary = ownerStatus(model, (id) => this.engine.lease(id), (id) => this.engine.retry(id));
      const generation = this.generations.get(key) ?? model.generation;
      const previous = this.previous(this.ownerConditions.get(key), { kind: ref.kind, namespace: ref.namespace, name: ref.name });
      const conditions = withSuspended(refused(ownerConditions(summary, previous, generation, now), this.refusalOf(ref), previous, generation, now), this.suspensions.get(key), previous, generation, now);
      this.ownerConditions.set(key, this.kept(tracesOf(conditions)));
      const status = ref.kind === 'Expectation' ? expectationStatus(summary, conditions, generation) : dagStatus(summary, conditions, generation);
      out.push({ object: { kind: ref.kind, namespace: ref.namespace, name: ref.name }, status: status as Record<string, unknown> });
    }
    return out;
  }

  /**
   * The runs to write after a plan: those it opened or closed, and the open runs of every Dag it
   * changed (their tasks moved on).
   */
  runs(plan: Pick<Plan, 'changedRuns' | 'changedOwners'>): { run: RunRecord; status: Record<string, unknown> }[] {
    const runs = new Map<string, RunRecord>(plan.changedRuns.map((r) => [r.name, r]));
    const dags = new Set(plan.changedOwners.filter((o) => o.kind === 'Dag').map((o) => `${o.namespace}/${o.name}`));
    if (dags.size > 0) for (const run of this.engine.runs()) if (run.phase === 'Running' && dags.has(`${run.namespace}/${run.dag}`)) runs.set(run.name, run);
    return [...runs.values()].map((run) => ({ run, status: dagRunStatus(run, this.tasksOf(run)) as Record<string, unknown> }));
  }

  /** Valid conditions of checkers, DagDependencies, and users' DagRuns not started yet. */
  sideObjects(objects: SideObjects, now: number): StatusWrite[] {
    const problems = new Map(this.engine.problems().map((p) => [`${p.kind}/${p.namespace}/${p.name}`, p]));
    const started = new Set(this.engine.runs().map((r) => `${r.namespace}/${r.name}`));
    const out: StatusWrite[] = [];
    const declared = new Set<string>();
    const add = (object: ObjectRef, generation: number, extra: Record<string, unknown> = {}) => {
      const key = refKey(object);
      declared.add(key);
      const status = validityStatus(problems.get(key), generation, this.previous(this.sideConditions.get(key), object), now);
      this.sideConditions.set(key, this.kept(tracesOf(status.conditions)));
      out.push({ object, status: { ...extra, ...status } });
    };
    for (const c of objects.checkers) add({ kind: 'StateChecker', namespace: nsOf(c), name: c.metadata.name }, c.metadata.generation ?? 0);
    for (const d of objects.dagDependencies) add({ kind: 'DagDependency', namespace: nsOf(d), name: d.metadata.name }, d.metadata.generation ?? 0);
    for (const r of objects.dagRuns) {
      const ref: ObjectRef = { kind: 'DagRun', namespace: nsOf(r), name: r.metadata.name };
      if (started.has(`${ref.namespace}/${ref.name}`)) continue;
      // The engine plans for Dags, not DagRuns: one naming a Dag it does not know says so here,
      // instead of staying Pending in silence (embedded mode checks the same in devLoop).
      if (this.engine.owner({ kind: 'Dag', namespace: ref.namespace, name: r.spec.dag }) === undefined && !problems.has(refKey(ref))) {
        problems.set(refKey(ref), { ...ref, reason: GraphReason.UnknownReference, message: `spec.dag: Dag ${r.spec.dag} not found in namespace ${ref.namespace}, or not valid` });
      }
      add(ref, r.metadata.generation ?? 0, { phase: 'Pending' });
    }
    for (const key of this.sideConditions.keys()) if (!declared.has(key)) this.sideConditions.delete(key);
    return out;
  }

  private kept(trace: string): string {
    return keptOnce(this.traces, 1_000, trace, trace);
  }

  /** The conditions last written, as this composer kept them, else as the object's status holds them. */
  private previous(kept: string | undefined, object: ObjectRef): readonly ConditionTrace[] | undefined {
    return kept !== undefined ? tracesIn(kept) : this.stored(object);
  }

  private tasksOf(run: RunRecord): RunTask[] {
    return this.engine
      .tasksOfPeriod({ namespace: run.namespace, name: run.dag }, run.period)
      .map((n) => {
        const name = n.policy.task as string;
        const recorded = run.tasks?.[name];
        // A finished run shows its tasks as they stood when it ended, not as a later run left them.
        if (run.phase !== 'Running' && recorded?.phase !== undefined) return { name, phase: recorded.phase, message: recorded.message ?? '', lease: undefined, retry: undefined, recorded };
        return { name, phase: n.phase, message: n.message, lease: this.engine.lease(n.id), retry: this.engine.retry(n.id), ...(recorded !== undefined ? { recorded } : {}) };
      });
  }
}

/**
 * The conditions with Degraded=True saying why the owner's calls are refused for good (the
 * engine's own Degraded comes back once a call succeeds).
 */
function refused(conditions: Condition[], refusal: { reason: string; message: string } | undefined, previous: readonly ConditionTrace[] | undefined, generation: number, now: number): Condition[] {
  if (refusal === undefined) return conditions;
  const degraded: Condition = { type: 'Degraded', status: 'True', reason: refusal.reason, message: refusal.message.slice(0, 1024), observedGeneration: generation, lastTransitionTime: transitionTime(previous, 'Degraded', 'True', now) };
  return conditions.map((c) => (c.type === 'Degraded' ? degraded : c));
}
