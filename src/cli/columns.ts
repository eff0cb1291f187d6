/**
 * The columns of `homeostat get`: the CRDs' printer columns (what `kubectl get` prints), a REASON
 * for the kinds whose printer columns have none, and with `-o wide` what answers "why, and what
 * next?" without reading the status: leases held, retries, the next timed step, the message. The
 * wide columns are computed here because a CRD printer column (a JSONPath) cannot count a list or
 * pick the earliest time in one.
 */
import type { KindDefinition } from '../api/schema/index.js';
import { humanAge, jsonPath } from './table.js';

/** An object as the API server (or status.json) returns it. */
export interface ListedObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; creationTimestamp?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

export interface Column {
  header: string;
  value: (o: ListedObject, now: number) => string;
}

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}
interface Lease {
  expiresAt?: string;
  finishedAt?: string;
}
interface Retry {
  nextAttemptAt?: string;
}
interface Listed {
  reason?: string;
  message?: string;
}

const NONE = '<none>';
const conditionsOf = (o: ListedObject): Condition[] => (Array.isArray(o.status?.conditions) ? (o.status.conditions as Condition[]) : []);
const listOf = <T>(o: ListedObject, field: string): T[] => (Array.isArray(o.status?.[field]) ? (o.status[field] as T[]) : []);
const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();

/** The Valid or Ready condition that is not True, the one that says why the object cannot work. */
function troubled(o: ListedObject): Condition | undefined {
  return conditionsOf(o).find((c) => (c.type === 'Valid' || c.type === 'Ready') && c.status !== 'True');
}

/**
 * Why the object is in its state: status.reason (Expectations and Dags), else the reason of the
 * Valid or Ready condition that is not True, else the reason of Ready or Valid (Scanned, Valid).
 */
export function reasonOf(o: ListedObject): string {
  if (typeof o.status?.reason === 'string' && o.status.reason !== '') return o.status.reason;
  const conditions = conditionsOf(o);
  const condition = troubled(o) ?? conditions.find((c) => c.type === 'Ready') ?? conditions.find((c) => c.type === 'Valid');
  return condition?.reason ?? NONE;
}

/**
 * What the reason means for this object: the message of the troubled condition, else of the first
 * failure, checker failure or waiting entry (with the node it is about), else of a DagRun's first
 * task that has one.
 */
export function messageOf(o: ListedObject): string {
  const condition = troubled(o);
  if (condition?.message !== undefined) return oneLine(condition.message);
  for (const [field, key] of [['failures', 'partition'], ['checkerFailures', 'partition'], ['waiting', 'partition'], ['waiting', 'period']] as const) {
    const entries = listOf<Listed & Record<string, unknown>>(o, field).filter((e) => typeof e[key] === 'string');
    const first = entries.find((e) => e.reason === o.status?.reason) ?? entries[0];
    if (first?.message !== undefined) return oneLine(`${String(first[key])}: ${first.message}`);
  }
  const task = listOf<{ name?: string; phase?: string; message?: string }>(o, 'tasks').find((t) => t.message !== undefined && t.message !== '' && t.phase !== 'Satisfied');
  if (task !== undefined) return oneLine(`${task.name ?? '?'}: ${task.message ?? ''}`);
  return NONE;
}

/** How far ahead a time is, as kubectl writes durations: `in 4m`, or `now` once it has passed. */
function until(time: number, now: number): string {
  return time <= now ? 'now' : `in ${humanAge(time - now)}`;
}

/** The next timed step: the earliest expiry of a held lease or next attempt of a retry. */
function nextOf(o: ListedObject, now: number): string {
  const times = [
    ...listOf<Lease>(o, 'leases').filter((l) => l.finishedAt === undefined).map((l) => l.expiresAt),
    ...listOf<Retry>(o, 'retries').map((r) => r.nextAttemptAt),
  ]
    .map((t) => (t === undefined ? Number.NaN : Date.parse(t)))
    .filter((t) => !Number.isNaN(t));
  return times.length === 0 ? NONE : until(Math.min(...times), now);
}

const ageOf = (value: unknown, now: number): string => {
  const time = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isNaN(time) ? NONE : humanAge(now - time);
};

/** A printer column's cell: dates as ages (as kubectl shows them), objects as JSON. */
function printerCell(value: unknown, type: string, now: number): string {
  if (value === undefined || value === null) return NONE;
  if (type === 'date') return ageOf(value, now);
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

const fromPrinter = (c: KindDefinition['printerColumns'][number]): Column => ({ header: c.name.toUpperCase(), value: (o, now) => printerCell(jsonPath(o, c.jsonPath), c.type, now) });
const REASON: Column = { header: 'REASON', value: reasonOf };
const MESSAGE: Column = { header: 'MESSAGE', value: messageOf };
const count = (header: string, field: string, keep: (item: Record<string, unknown>) => boolean = () => true): Column => ({
  header,
  value: (o) => String(listOf<Record<string, unknown>>(o, field).filter(keep).length),
});
const LEASES = count('LEASES', 'leases', (l) => l.finishedAt === undefined);
const RETRYING = count('RETRYING', 'retries');
const NEXT: Column = { header: 'NEXT', value: (o, now) => nextOf(o, now) };
const spec = (header: string, path: string): Column => ({ header, value: (o, now) => printerCell(jsonPath(o, path), 'string', now) });

/** What `-o wide` adds after AGE, per kind (kubectl's wide columns come after the default ones). */
const WIDE: Record<string, Column[]> = {
  Expectation: [LEASES, RETRYING, NEXT, spec('CHECKER', '.spec.checker.ref'), MESSAGE],
  Dag: [LEASES, RETRYING, NEXT, spec('PERIODS', '.status.periods.total'), MESSAGE],
  DagRun: [
    { header: 'STARTED', value: (o, now) => ageOf(o.status?.startedAt, now) },
    { header: 'FINISHED', value: (o, now) => ageOf(o.status?.finishedAt, now) },
    { header: 'TASKS', value: (o) => {
      const tasks = listOf<{ phase?: string }>(o, 'tasks');
      return tasks.length === 0 ? NONE : `${tasks.filter((t) => t.phase === 'Satisfied').length}/${tasks.length}`;
    } },
    { header: 'VALID', value: (o) => conditionsOf(o).find((c) => c.type === 'Valid')?.status ?? NONE },
    MESSAGE,
  ],
  StateChecker: [spec('URL', '.spec.url'), spec('TIMEOUT', '.spec.timeout'), spec('BATCH', '.spec.batchSize'), MESSAGE],
  DagDependency: [
    { header: 'UPSTREAMS', value: (o) => {
      const upstreams = Array.isArray(o.spec?.dependsOn) ? (o.spec.dependsOn as { dag?: string; task?: string }[]) : [];
      return upstreams.length === 0 ? NONE : upstreams.map((u) => (u.task !== undefined ? `${u.dag ?? '?'}/${u.task}` : (u.dag ?? '?'))).join(',');
    } },
    MESSAGE,
  ],
  DefinitionSource: [
    { header: 'WHERE', value: (o) => {
      const s3 = o.spec?.s3 as { bucket?: string; prefix?: string } | undefined;
      const directory = o.spec?.directory as { path?: string } | undefined;
      return directory?.path ?? (s3 !== undefined ? `s3://${s3.bucket ?? ''}/${s3.prefix ?? ''}` : NONE);
    } },
    spec('SUSPENDED', '.status.counts.suspended'),
    MESSAGE,
  ],
};

/**
 * The columns between NAME and AGE: the CRD's printer columns (all of them with wide, as kubectl
 * shows priority > 0 columns only then), then REASON when the kind's printer columns have none.
 */
export function columnsOf(def: KindDefinition, wide: boolean): Column[] {
  const printer = def.printerColumns.filter((c) => wide || (c.priority ?? 0) === 0).map(fromPrinter);
  return def.printerColumns.some((c) => c.name.toUpperCase() === 'REASON') ? printer : [...printer, REASON];
}

/** The columns `-o wide` adds after AGE. */
export function wideColumnsOf(def: KindDefinition): Column[] {
  return WIDE[def.kind] ?? [MESSAGE];
}
