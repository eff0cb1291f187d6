import { type Parsed, parseDuration } from '../api/duration.js';
import { placeholders } from '../api/template.js';
import type { Dag, DagDependency, Expectation, StateChecker } from '../api/types.js';
import type { Policy } from './model.js';
import type { MappingOptions } from './partitionMapping.js';
import { countDagNodes, countExpectationNodes, DEFAULT_MAX_NODES_PER_OBJECT, type NodeCount, overObjectCap, TOO_MANY_NODES } from './nodeCount.js';
import { countPartitions, type KeySpec, partitionSpace, type PartitionSpace } from './partitions.js';
import type { PeriodCount } from './periodCount.js';
import { NODE_CAP_HINT } from './calendar.js';
import type { ActionSpec, OwnerRef } from './types.js';

/** The declared objects the engine plans from. ConfigMaps feed `valuesFrom`. */
export interface World {
  checkers: StateChecker[];
  expectations: Expectation[];
  dags: Dag[];
  dagDependencies: DagDependency[];
  /** `namespace/name` -> ConfigMap data. */
  configMaps: Map<string, Record<string, string>>;
  /**
   * `namespace/name` -> why a ConfigMap could not be read (not a 404: it may well exist). The
   * Expectations reading it are held (Valid=False ConfigMapUnreadable) with their work kept.
   */
  configMapErrors?: Map<string, string>;
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

// join gives one flat string; a template literal keeps a rope, and owner keys are kept per owner.
export const ownerKeyOf = (kind: OwnerRef['kind'], namespace: string, name: string): string => [kind, namespace, name].join('/');
const nsOf = (o: { metadata: { namespace?: string } }): string => o.metadata.namespace ?? 'default';

/** A Dag task's retry limit when its spec gives none (an Expectation's is 3). */
export const DEFAULT_TASK_RETRY_LIMIT = 2;

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

type Problem = { ok: false; reason: string; message: string };

/** An Expectation's partition keys with `valuesFrom` read from its ConfigMap. */
function resolveKeys(exp: Expectation, configMaps: World['configMaps']): { ok: true; keys: Record<string, KeySpec> } | Problem {
  const namespace = nsOf(exp);
  const keys: Record<string, KeySpec> = {};
  for (const [key, p] of Object.entries(exp.spec.partitions ?? {})) {
    if (p.valuesFrom !== undefined) {
      const data = configMaps.get(`${namespace}/${p.valuesFrom.configMap}`);
      const text = data?.[p.valuesFrom.key];
      if (text === undefined) return { ok: false, reason: 'UnknownReference', message: `partitions.${key}.valuesFrom: ConfigMap ${p.valuesFrom.configMap} has no key ${p.valuesFrom.key}` };
      keys[key] = { values: text.split('\n').map((v) => v.trim()).filter((v) => v !== '') };
    } else {
      keys[key] = p as KeySpec;
    }
  }
  return { ok: true, keys };
}

/** A Dag's own periods, counted (not built); undefined when it declares none. */
export function countDagPeriods(dag: Dag, now: number): Parsed<PeriodCount> | undefined {
  if (dag.spec.periods === undefined) return undefined;
  const counted = countPartitions({ period: dag.spec.periods as KeySpec }, now, 'now', true);
  return counted.ok ? { ok: true, value: counted.value.rows } : { ok: false, error: counted.error.replace('partitions.period.', 'periods.') };
}

/**
 * How many nodes an owner compiles to, counted without building any; undefined when it cannot
 * be told (an error its draft reports). `inheritedPeriods` counts the periods of a Dag that
 * declares none.
 */
export function countOwnerNodes(source: Expectation | Dag, configMaps: World['configMaps'], now: number, inheritedPeriods: () => PeriodCount | undefined): NodeCount | undefined {
  if (source.kind === 'Expectation') {
    const resolved = resolveKeys(source, configMaps);
    if (!resolved.ok) return undefined;
    const counted = countExpectationNodes(resolved.keys, now);
    return counted.ok ? counted.value : undefined;
  }
  const own = countDagPeriods(source, now);
  const periods = own === undefined ? inheritedPeriods() : own.ok ? own.value : undefined;
  return periods === undefined ? undefined : countDagNodes(source.spec.tasks.length, periods);
}

/**
 * A cron calendar counted short (its count is a lower bound) whose enumeration, stopped at the
 * cap, found more: over the node cap too. Any other enumeration error is the calendar's own.
 */
function cappedEnumeration(count: NodeCount, maxNodes: number, error: string, otherwise: string): Problem {
  if (!error.includes(NODE_CAP_HINT)) return { ok: false, reason: otherwise, message: error };
  const more = { ...count, nodes: { atLeast: maxNodes + 1, exact: false }, product: count.product.replace(/x at least [\d,]+ periods|at least [\d,]+ periods/, (m) => (m.startsWith('x') ? 'x ' : '') + 'more periods than fit') };
  return { ok: false, reason: TOO_MANY_NODES, message: overObjectCap(more, maxNodes) as string };
}

/**
 * Compiles one Expectation. `checkers` by key `namespace/name`. More than `maxNodes` partitions is
 * refused before any is built.
 */
export function draftExpectation(exp: Expectation, checkers: Map<string, StateChecker>, configMaps: World['configMaps'], now: number, maxNodes = DEFAULT_MAX_NODES_PER_OBJECT): Drafted {
  const namespace = nsOf(exp);
  const spec = exp.spec;
  const checker = checkers.get(`${namespace}/${spec.checker.ref}`);
  if (checker === undefined) return { ok: false, reason: 'UnknownReference', message: `StateChecker ${spec.checker.ref} does not exist` };

  const resolved = resolveKeys(exp, configMaps);
  if (!resolved.ok) return resolved;
  const keys = resolved.keys;
  const counted = countExpectationNodes(keys, now);
  if (!counted.ok) return { ok: false, reason: 'InvalidPartitions', message: counted.error };
  const over = overObjectCap(counted.value, maxNodes);
  if (over !== undefined) return { ok: false, reason: TOO_MANY_NODES, message: over };
  const space = partitionSpace(keys, now, 'today', false, maxNodes);
  if (!space.ok) return counted.value.nodes.exact ? { ok: false, reason: 'InvalidPartitions', message: space.error } : cappedEnumeration(counted.value, maxNodes, space.error, 'InvalidPartitions');

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
 * it declares none (its first DagDependency upstream). More than `maxNodes` nodes (tasks and the
 * Dag's own, per period) is refused before any period is built.
 */
export function draftDag(dag: Dag, dependencies: DagDependency[], now: number, inherited: PartitionSpace | undefined, maxNodes = DEFAULT_MAX_NODES_PER_OBJECT): Drafted {
  const namespace = nsOf(dag);
  const ref: OwnerRef = { kind: 'Dag', namespace, name: dag.metadata.name };
  const mine = dependencies.filter((d) => nsOf(d) === namespace && d.spec.dag === dag.metadata.name);
  const perPeriod = dag.spec.tasks.length + 1;
  let space: PartitionSpace;
  let inheritsPeriodsFrom: string | undefined;
  if (dag.spec.periods !== undefined) {
    const counted = countDagPeriods(dag, now);
    if (counted !== undefined && !counted.ok) return { ok: false, reason: 'InvalidPeriods', message: counted.error };
    const over = counted !== undefined ? overObjectCap(countDagNodes(dag.spec.tasks.length, counted.value), maxNodes) : undefined;
    if (over !== undefined) return { ok: false, reason: TOO_MANY_NODES, message: over };
    const parsed = partitionSpace({ period: dag.spec.periods as KeySpec }, now, 'now', true, Math.floor(maxNodes / perPeriod));
    if (!parsed.ok) {
      const message = parsed.error.replace('partitions.period.', 'periods.');
      return counted === undefined || !counted.ok || counted.value.exact ? { ok: false, reason: 'InvalidPeriods', message } : cappedEnumeration(countDagNodes(dag.spec.tasks.length, counted.value), maxNodes, message, 'InvalidPeriods');
    }
    space = parsed.value;
  } else {
    const first = mine[0]?.spec.dependsOn[0];
    if (first === undefined) return { ok: false, reason: 'NoPeriods', message: 'the Dag declares no periods and no DagDependency gives it any' };
    inheritsPeriodsFrom = ownerKeyOf('Dag', namespace, first.dag);
    if (inherited === undefined) return { ok: false, reason: 'NoPeriods', message: `the Dag takes its periods from Dag ${first.dag}, which has none` };
    const over = overObjectCap(countDagNodes(dag.spec.tasks.length, { atLeast: inherited.rows.length, exact: true }), maxNodes);
    if (over !== undefined) return { ok: false, reason: TOO_MANY_NODES, message: over };
    // Listed row by row (a Dag's periods are few): the upstream's own columns stay its own.
    space = { keys: inherited.keys, timeKey: inherited.timeKey, typicalLength: inherited.typicalLength, nextChangeAt: inherited.nextChangeAt, rows: inherited.rows.map((r) => ({ ...r, values: { period: r.values['period'] as string } })) };
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
      ...retryPolicy(t.retry, DEFAULT_TASK_RETRY_LIMIT),
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
