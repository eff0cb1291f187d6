import { parseDuration } from '../api/duration.js';
import { placeholders } from '../api/template.js';
import type { Dag, DagDependency, Expectation, StateChecker } from '../api/types.js';
import type { Policy } from './model.js';
import type { MappingOptions } from './partitionMapping.js';
import { type KeySpec, partitionSpace, type PartitionSpace } from './partitions.js';
import type { ActionSpec, OwnerRef } from './types.js';

/** The declared objects the engine plans from. ConfigMaps feed `valuesFrom`. */
export interface World {
  checkers: StateChecker[];
  expectations: Expectation[];
  dags: Dag[];
  dagDependencies: DagDependency[];
  /** `namespace/name` -> ConfigMap data. */
  configMaps: Map<string, Record<string, string>>;
}

export const emptyWorld = (): World => ({ checkers: [], expectations: [], dags: [], dagDependencies: [], configMaps: new Map() });

/** An input of every node of a draft (or of one task's nodes), mapped partition by partition. */
export interface EdgeSpec {
  /** The upstream owner key. */
  target: string;
  /** A Dag task, or undefined for a whole Dag (or an Expectation). */
  task?: string;
  mapping: MappingOptions;
  /** `rebuild: OnInputChange`: a remade input makes the dependent partition due again. */
  onInputChange?: boolean;
}

export interface TaskDraft {
  name: string;
  policy: Policy;
  /** Tasks of the same Dag it depends on. */
  after: string[];
}

/** One owner compiled: its partitions (or periods), policies and inputs. Pure data. */
export interface OwnerDraft {
  key: string;
  ref: OwnerRef;
  generation: number;
  space: PartitionSpace;
  policy: Policy;
  tasks: TaskDraft[];
  edges: EdgeSpec[];
  /** Expectation whose action runs a Dag: that Dag's owner key and how partitions map to periods. */
  runTarget?: EdgeSpec;
  maxConcurrent: number;
  historyLimit: number;
  nextChangeAt: number | undefined;
  /** Dag params and the like, merged into every node's template values. */
  params: Record<string, string>;
  /** A Dag with no periods of its own takes those of this upstream Dag. */
  inheritsPeriodsFrom?: string;
}

export type Drafted = { ok: true; draft: OwnerDraft } | { ok: false; reason: string; message: string };

const MS = (text: string | undefined, fallback: number): number => {
  if (text === undefined) return fallback;
  const parsed = parseDuration(text);
  return parsed.ok ? parsed.value : fallback;
};

export const ownerKeyOf = (kind: OwnerRef['kind'], namespace: string, name: string): string => `${kind}/${namespace}/${name}`;
const nsOf = (o: { metadata: { namespace?: string } }): string => o.metadata.namespace ?? 'default';

function retryPolicy(retry: { limit?: number; backoff?: { initial?: string; max?: string } } | undefined, defaultLimit: number) {
  return {
    retryLimit: retry?.limit ?? defaultLimit,
    backoffInitialMs: MS(retry?.backoff?.initial, 60_000),
    backoffMaxMs: MS(retry?.backoff?.max, 3_600_000),
  };
}

function actionOf(spec: Expectation['spec']['action']): ActionSpec | undefined {
  if (spec?.job !== undefined) return { kind: 'job', template: spec.job.template as Record<string, unknown> };
  if (spec?.dagRun !== undefined) return { kind: 'dagRun', dag: spec.dagRun.dag, params: spec.dagRun.params ?? {} };
  return undefined;
}

/**
 * The first param whose value names a placeholder that is not one of `known` (an Expectation's
 * partition keys: the only values its dagRun params are rendered with), in words; or undefined.
 */
function unknownPlaceholders(params: Record<string, string>, known: string[]): string | undefined {
  for (const [key, value] of Object.entries(params)) {
    const unknown = placeholders(value).filter((p) => !known.includes(p));
    if (unknown.length > 0) return `${key}: ${unknown.map((p) => `{{${p}}}`).join(', ')} ${unknown.length > 1 ? 'name no partition keys' : 'names no partition key'} (keys: ${known.join(', ') || 'none'})`;
  }
  return undefined;
}

/** Compiles one Expectation. `checkers` by key `namespace/name`. */
export function draftExpectation(exp: Expectation, checkers: Map<string, StateChecker>, configMaps: World['configMaps'], now: number): Drafted {
  const namespace = nsOf(exp);
  const spec = exp.spec;
  const checker = checkers.get(`${namespace}/${spec.checker.ref}`);
  if (checker === undefined) return { ok: false, reason: 'UnknownReference', message: `StateChecker ${spec.checker.ref} does not exist` };

  const keys: Record<string, KeySpec> = {};
  for (const [key, p] of Object.entries(spec.partitions ?? {})) {
    if (p.valuesFrom !== undefined) {
      const data = configMaps.get(`${namespace}/${p.valuesFrom.configMap}`);
      const text = data?.[p.valuesFrom.key];
      if (text === undefined) return { ok: false, reason: 'UnknownReference', message: `partitions.${key}.valuesFrom: ConfigMap ${p.valuesFrom.configMap} has no key ${p.valuesFrom.key}` };
      keys[key] = { values: text.split('\n').map((v) => v.trim()).filter((v) => v !== '') };
    } else {
      keys[key] = p as KeySpec;
    }
  }
  const space = partitionSpace(keys, now, 'today');
  if (!space.ok) return { ok: false, reason: 'InvalidPartitions', message: space.error };

  const ref: OwnerRef = { kind: 'Expectation', namespace, name: exp.metadata.name };
  const action = actionOf(spec.action);
  if (action?.kind === 'dagRun') {
    const unknown = unknownPlaceholders(action.params, Object.keys(keys));
    if (unknown !== undefined) return { ok: false, reason: 'InvalidTemplate', message: `action.dagRun.params.${unknown}` };
  }
  const policy: Policy = {
    rule: 'check',
    checker: {
      namespace,
      name: checker.metadata.name,
      batchSize: checker.spec.batchSize ?? 100,
      timeoutMs: MS(checker.spec.timeout, 600_000),
      params: { ...(checker.spec.params ?? {}), ...(spec.checker.params ?? {}) },
    },
    ...(action !== undefined ? { action } : {}),
    workingTimeoutMs: MS(spec.workingTimeout, 3_600_000),
    recheckMs: MS(spec.recheckEvery, 6 * 3_600_000),
    ...retryPolicy(spec.retry, 3),
    suspended: spec.suspend ?? false,
  };
  const edges: EdgeSpec[] = (spec.dependsOn ?? []).map((d) => ({
    target: d.expectation !== undefined ? ownerKeyOf('Expectation', namespace, d.expectation) : ownerKeyOf('Dag', namespace, d.dag ?? ''),
    ...(d.task !== undefined ? { task: d.task } : {}),
    mapping: { ...(d.keys !== undefined ? { keys: d.keys } : {}), periods: d.periods ?? 'Auto' },
    ...(d.rebuild === 'OnInputChange' && d.expectation !== undefined ? { onInputChange: true } : {}),
  }));
  const draft: OwnerDraft = {
    key: ownerKeyOf('Expectation', namespace, ref.name),
    ref,
    generation: exp.metadata.generation ?? 0,
    space: space.value,
    policy,
    tasks: [],
    edges,
    maxConcurrent: spec.maxConcurrentActions ?? 10,
    historyLimit: 0,
    nextChangeAt: space.value.nextChangeAt,
    params: {},
  };
  if (action?.kind === 'dagRun') draft.runTarget = { target: ownerKeyOf('Dag', namespace, action.dag), mapping: { periods: 'Auto' } };
  return { ok: true, draft };
}

/**
 * Compiles one Dag. `inherited` is the period space of the upstream it takes periods from, when
 * it declares none (its first DagDependency upstream).
 */
export function draftDag(dag: Dag, dependencies: DagDependency[], now: number, inherited: PartitionSpace | undefined): Drafted {
  const namespace = nsOf(dag);
  const ref: OwnerRef = { kind: 'Dag', namespace, name: dag.metadata.name };
  const mine = dependencies.filter((d) => nsOf(d) === namespace && d.spec.dag === dag.metadata.name);
  let space: PartitionSpace;
  let inheritsPeriodsFrom: string | undefined;
  if (dag.spec.periods !== undefined) {
    const parsed = partitionSpace({ period: dag.spec.periods as KeySpec }, now, 'now', true);
    if (!parsed.ok) return { ok: false, reason: 'InvalidPeriods', message: parsed.error.replace('partitions.period.', 'periods.') };
    space = parsed.value;
  } else {
    const first = mine[0]?.spec.dependsOn[0];
    if (first === undefined) return { ok: false, reason: 'NoPeriods', message: 'the Dag declares no periods and no DagDependency gives it any' };
    inheritsPeriodsFrom = ownerKeyOf('Dag', namespace, first.dag);
    if (inherited === undefined) return { ok: false, reason: 'NoPeriods', message: `the Dag takes its periods from Dag ${first.dag}, which has none` };
    space = { ...inherited, rows: inherited.rows.map((r) => ({ ...r, values: { period: r.values['period'] as string } })) };
  }

  const basePolicy = { workingTimeoutMs: 0, recheckMs: Infinity, retryLimit: 0, backoffInitialMs: 0, backoffMaxMs: 0, suspended: false };
  const tasks: TaskDraft[] = dag.spec.tasks.map((t) => ({
    name: t.name,
    after: t.dependsOn ?? [],
    policy: {
      rule: 'make',
      action: { kind: 'job', template: t.job.template as Record<string, unknown> },
      workingTimeoutMs: MS(t.timeout, 3_600_000),
      recheckMs: Infinity,
      ...retryPolicy(t.retry, 2),
      // A suspended Dag starts no task; a running one finishes and its success is kept.
      suspended: dag.spec.suspend ?? false,
      task: t.name,
    },
  }));
  const edges: EdgeSpec[] = mine.flatMap((d) =>
    d.spec.dependsOn.map((u) => ({
      target: ownerKeyOf('Dag', namespace, u.dag),
      ...(u.task !== undefined ? { task: u.task } : {}),
      mapping: { periods: u.periods ?? 'Auto' },
    })),
  );
  return {
    ok: true,
    draft: {
      key: ownerKeyOf('Dag', namespace, ref.name),
      ref,
      generation: dag.metadata.generation ?? 0,
      space,
      policy: { rule: 'all', ...basePolicy },
      tasks,
      edges,
      maxConcurrent: dag.spec.maxActiveRuns ?? 16,
      historyLimit: dag.spec.historyLimit ?? 3,
      nextChangeAt: space.nextChangeAt,
      params: dag.spec.params ?? {},
      ...(inheritsPeriodsFrom !== undefined ? { inheritsPeriodsFrom } : {}),
    },
  };
}
