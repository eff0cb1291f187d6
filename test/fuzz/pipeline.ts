import { performance } from 'node:perf_hooks';
import { checkGraph, GraphReason } from '../../src/api/graphChecks.js';
import { parseManifestText } from '../../src/api/manifests.js';
import { formatPath } from '../../src/api/fieldPath.js';
import { KINDS } from '../../src/api/schema/index.js';
import type { Dag, DagDependency, DagRun, Expectation, HomeostatObject, StateChecker } from '../../src/api/types.js';
import { validateObject } from '../../src/api/validate.js';
import { Engine, ownerConditions, ownerStatus, type Plan, type World } from '../../src/engine/index.js';
import { newDagRunRequests } from '../../src/runtime/dagRunRequests.js';
import { CHECKERS, CONFIG_MAP, FUZZ_NOW, NAMESPACES } from './objects.js';

/**
 * One fuzz case through what a manifest meets on its way in: the manifest reader (YAML text), the
 * validator, the graph checks and the engine (setWorld, a few plans with checks answered and
 * actions finished, status summaries, a restart from a snapshot), as the controller and `homeostat
 * dev` do. It never throws: it reports findings (an exception that escaped, an error without a field
 * path) and how long each object took to validate and each world to compile.
 *
 * "Has a field path" means, per API:
 * - validateObject: every error has a non-empty `path` that starts at a top-level field of the
 *   input (or apiVersion, kind, metadata or spec, when missing), and a message;
 * - parseManifestText: every error names its file and a line (1-based), and a message;
 * - checkGraph and Engine.problems(): every problem names the kind, namespace and name of an
 *   object of the world it was given, a reason, and a message.
 */

export interface Finding {
  where: 'parseManifestText' | 'validateObject' | 'checkGraph' | 'engine';
  what: string;
}

export interface Timing {
  what: 'read' | 'validate' | 'compile';
  ms: number;
  /** One line describing the input: kind, name, size, depth. */
  shape: string;
}

export interface CaseReport {
  findings: Finding[];
  timings: Timing[];
}

const newReport = (): CaseReport => ({ findings: [], timings: [] });

const crash = (error: unknown): string => {
  const e = error as Error;
  const stack = (e?.stack ?? '').split('\n').slice(1, 4).map((l) => l.trim()).join(' < ');
  return `${e?.name ?? 'throw'}: ${String(e?.message ?? error).slice(0, 300)}${stack !== '' ? ` at ${stack}` : ''}`;
};

// ---- one manifest ------------------------------------------------------------------------------

/** Validates one parsed manifest; a valid one is then compiled with the checkers it may refer to. */
export function runManifest(input: unknown): CaseReport {
  const report = newReport();
  const valid = validate(input, report);
  if (valid !== undefined) runObjects([...baseCheckers(valid), valid], report);
  return report;
}

/** Validates several manifests, then checks and compiles the valid ones as one world. */
export function runWorld(inputs: readonly unknown[]): CaseReport {
  const report = newReport();
  const valid = inputs.map((i) => validate(i, report)).filter((o): o is HomeostatObject => o !== undefined);
  runObjects(valid, report);
  return report;
}

/** Reads a manifest file's text, then validates and compiles what it declares. */
export function runYaml(text: string): CaseReport {
  const report = newReport();
  const file = 'fuzz.yaml';
  let set: ReturnType<typeof parseManifestText>;
  const start = performance.now();
  try {
    set = parseManifestText(text, file);
  } catch (error) {
    report.findings.push({ where: 'parseManifestText', what: crash(error) });
    return report;
  } finally {
    report.timings.push({ what: 'read', ms: performance.now() - start, shape: `YAML text of ${text.length} characters, ${text.split(/^---/m).length} documents: ${JSON.stringify(text.slice(0, 60))}` });
  }
  for (const e of set.errors) {
    if (e.file !== file || typeof e.line !== 'number' || e.line < 1 || typeof e.message !== 'string' || e.message === '') {
      report.findings.push({ where: 'parseManifestText', what: `an error without a file and line: ${JSON.stringify(e).slice(0, 300)}` });
    }
  }
  const valid = set.documents.map((d) => validate(d.object, report)).filter((o): o is HomeostatObject => o !== undefined);
  const configMaps = new Map<string, Record<string, string>>();
  for (const other of set.others) {
    const meta = other.object.metadata as { name?: unknown; namespace?: unknown } | undefined;
    const data = other.object.data;
    if (typeof meta?.name === 'string' && data !== null && typeof data === 'object') configMaps.set(`${typeof meta.namespace === 'string' ? meta.namespace : 'default'}/${meta.name}`, data as Record<string, string>);
  }
  runObjects(valid, report, configMaps);
  return report;
}

function validate(input: unknown, report: CaseReport): HomeostatObject | undefined {
  const start = performance.now();
  let result: ReturnType<typeof validateObject>;
  try {
    result = validateObject(input);
  } catch (error) {
    report.findings.push({ where: 'validateObject', what: crash(error) });
    return undefined;
  } finally {
    report.timings.push({ what: 'validate', ms: performance.now() - start, shape: shapeOf(input) });
  }
  if (result.ok) return result.object;
  const record = input !== null && typeof input === 'object' && !Array.isArray(input);
  const roots = record ? [...new Set([...Object.keys(input), 'apiVersion', 'kind', 'metadata', 'spec'])].map((k) => formatPath([k])) : [];
  if (result.errors.length === 0) report.findings.push({ where: 'validateObject', what: 'invalid, with no error listed' });
  for (const e of result.errors) {
    const path = e.path;
    const rooted = !record ? path === '' : roots.some((r) => path === r || path.startsWith(`${r}.`) || path.startsWith(`${r}[`));
    if (typeof path !== 'string' || !rooted || typeof e.message !== 'string' || e.message === '') {
      report.findings.push({ where: 'validateObject', what: `an error without a field path: ${JSON.stringify(e).slice(0, 300)}` });
    }
  }
  return undefined;
}

/** Valid checkers for every name and namespace an object may refer to, so that it compiles alone. */
function baseCheckers(object: HomeostatObject): HomeostatObject[] {
  if (object.kind !== 'Expectation') return [];
  const namespace = object.metadata.namespace ?? 'default';
  return CHECKERS.map((name) => ({ apiVersion: 'homeostat.dev/v1alpha1', kind: 'StateChecker', metadata: { name, namespace }, spec: { mode: 'Job', command: ['check'], timeout: '10m', batchSize: 100 } }) as StateChecker);
}

// ---- the graph and the engine ------------------------------------------------------------------

const GRAPH_REASONS = new Set<string>(Object.values(GraphReason));
const KIND_NAMES = new Set(KINDS.map((k) => k.kind));
const idOf = (o: { kind: string; namespace?: string; name: string }) => `${o.kind}/${o.namespace ?? 'default'}/${o.name}`;

function runObjects(objects: HomeostatObject[], report: CaseReport, extraConfigMaps = new Map<string, Record<string, string>>()): void {
  if (objects.length === 0) return;
  const ids = new Set(objects.map((o) => idOf({ kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name })));
  const named = (p: { kind: string; namespace: string; name: string }) => KIND_NAMES.has(p.kind as HomeostatObject['kind']) && ids.has(idOf(p));
  try {
    for (const p of checkGraph(objects)) {
      if (!named(p) || !GRAPH_REASONS.has(p.reason) || typeof p.message !== 'string' || p.message === '') {
        report.findings.push({ where: 'checkGraph', what: `a problem that names no object of the world: ${JSON.stringify(p).slice(0, 300)}` });
      }
    }
  } catch (error) {
    report.findings.push({ where: 'checkGraph', what: crash(error) });
  }

  const world: World = {
    checkers: objects.filter((o): o is StateChecker => o.kind === 'StateChecker'),
    expectations: objects.filter((o): o is Expectation => o.kind === 'Expectation'),
    dags: objects.filter((o): o is Dag => o.kind === 'Dag'),
    dagDependencies: objects.filter((o): o is DagDependency => o.kind === 'DagDependency'),
    configMaps: new Map([...NAMESPACES.map((ns): [string, Record<string, string>] => [`${ns}/${CONFIG_MAP.name}`, { [CONFIG_MAP.key]: '1\n2\n3\n' }]), ...extraConfigMaps]),
  };
  const dagRuns = objects.filter((o): o is DagRun => o.kind === 'DagRun');
  const start = performance.now();
  let engine: Engine | undefined;
  let first: Plan | undefined;
  try {
    engine = new Engine({ holder: 'fuzz' });
    engine.setWorld(world, FUZZ_NOW);
    first = engine.plan(FUZZ_NOW);
  } catch (error) {
    report.findings.push({ where: 'engine', what: `setWorld or the first plan: ${crash(error)}` });
    return;
  } finally {
    const ms = performance.now() - start;
    const nodes = first === undefined ? '' : ` -> ${engine?.owners().reduce((n, o) => n + o.nodes.length, 0)} nodes, ${first.checks.length} checks, ${engine?.problems().length} invalid`;
    report.timings.push({ what: 'compile', ms, shape: `${worldShape(objects)}${nodes}` });
  }
  try {
    for (const p of engine.problems()) {
      if (!named(p) || typeof p.reason !== 'string' || p.reason === '' || typeof p.message !== 'string' || p.message === '') {
        report.findings.push({ where: 'engine', what: `a problem that names no object of the world: ${JSON.stringify(p).slice(0, 300)}` });
      }
    }
    drive(engine, world, dagRuns);
  } catch (error) {
    report.findings.push({ where: 'engine', what: crash(error) });
  }
}

const VERDICTS = ['satisfied', 'unsatisfied', 'unrecoverable', 'unknown', 'satisfied'] as const;
const HOUR = 3_600_000;

/** A few passes as the runtime makes them: DagRuns asked, checks answered, actions finished, status written, a restart. */
function drive(first: Engine, world: World, dagRuns: DagRun[]): void {
  let engine = first;
  let now = FUZZ_NOW;
  for (const r of newDagRunRequests(dagRuns, engine.snapshot(), new Set(), now)) engine.requestRun(r.dag, r.period, r.request);
  let plan: Plan = engine.plan(now);
  for (let pass = 0; pass < 4; pass++) {
    let i = pass;
    for (const check of plan.checks) {
      const nodes = check.items.map((item) => item.node);
      if (i++ % 7 === 3) engine.checkFailed(nodes, 'CheckerFailed', 'the checker exited with code 2', now);
      else for (const node of nodes) engine.observe(node, VERDICTS[i++ % VERDICTS.length] ?? 'unknown', now, 'fuzz');
    }
    for (const launch of plan.launches) {
      if (i % 5 === 4) engine.renewLease(launch.node, launch.lease.attempt, now + HOUR);
      else engine.actionFinished(launch.node, launch.lease.attempt, i % 3 !== 0, now, 'fuzz');
      i++;
    }
    for (const owner of engine.owners()) ownerConditions(ownerStatus(owner, (n) => engine.lease(n), (n) => engine.retry(n)), undefined, 1, now);
    now += pass === 2 ? 7 * 24 * HOUR : HOUR;
    plan = engine.plan(now);
    if (pass === 1) {
      engine = new Engine({ holder: 'fuzz-2', snapshot: JSON.parse(JSON.stringify(engine.snapshot(true))) });
      engine.setWorld(world, now);
      plan = engine.plan(now);
    }
  }
}

// ---- shapes ------------------------------------------------------------------------------------

/** One line: kind/name, how many values, how deep, the longest string, whether it contains itself. */
export function shapeOf(value: unknown): string {
  let nodes = 0;
  let depth = 0;
  let longest = 0;
  let cyclic = false;
  const seen = new Set<object>();
  const stack: { v: unknown; d: number }[] = [{ v: value, d: 0 }];
  while (stack.length > 0 && nodes < 1_000_000) {
    const { v, d } = stack.pop() as { v: unknown; d: number };
    nodes++;
    depth = Math.max(depth, d);
    if (typeof v === 'string') longest = Math.max(longest, v.length);
    if (v === null || typeof v !== 'object') continue;
    if (seen.has(v)) {
      cyclic = true; // or shared: both are what an alias makes
      continue;
    }
    seen.add(v);
    for (const child of Object.values(v)) stack.push({ v: child, d: d + 1 });
  }
  const r = value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  const name = (r.metadata as { name?: unknown } | undefined)?.name;
  const label = `${typeof r.kind === 'string' ? r.kind.slice(0, 20) : typeof value}/${typeof name === 'string' ? name.slice(0, 30) : '?'}`;
  return `${label} values=${nodes} depth=${depth} longestString=${longest}${cyclic ? ' aliased' : ''}`;
}

function worldShape(objects: readonly HomeostatObject[]): string {
  const counts = new Map<string, number>();
  for (const o of objects) counts.set(o.kind, (counts.get(o.kind) ?? 0) + 1);
  const periods = objects.flatMap((o) => {
    const spec = o.spec as { periods?: { every?: string; cron?: string; from?: string }; tasks?: unknown[]; partitions?: Record<string, { every?: string; cron?: string; from?: string; values?: unknown[] }> };
    const cal = [spec.periods, ...Object.values(spec.partitions ?? {})].filter((c) => c?.from !== undefined).map((c) => `${c?.every ?? c?.cron} from ${c?.from}`);
    const values = Object.values(spec.partitions ?? {}).reduce((n, p) => n * (p.values?.length ?? 1), 1);
    return [...cal, ...(spec.tasks !== undefined && spec.tasks.length > 10 ? [`${spec.tasks.length} tasks`] : []), ...(values > 10 ? [`${values} values`] : [])];
  });
  return `world of ${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')}${periods.length > 0 ? `; ${[...new Set(periods)].slice(0, 4).join('; ')}` : ''}`;
}
