/**
 * What the engine must not lose, as the statuses hold it (pure): the engine's snapshot split per
 * owner and written into `.status.leases` and `.status.retries` (bounded), for a Dag also
 * `.status.successes`, `.status.successFloor` and `.status.runRequests`; runs are DagRuns. Read
 * back into a snapshot after a restart. Node ids are `Kind/namespace/name|key`, the key being the
 * partition of an Expectation or `task|period` of a Dag (src/engine/wiring.ts).
 */
import { MAX_SUCCESS_RECORDS } from '../api/schema/dag.js';
import { MAX_RETRY_RECORDS } from '../api/schema/expectation.js';
import type { EngineSnapshot, Lease, Phase, RetryRecord, RunReason, RunRecord, RunRequest, RunTaskRecord, SuccessFloor, TaskSuccess } from '../engine/index.js';
import { MANAGED_BY_LABEL, MANAGER, type RawObject } from './worldCache.js';

/** A lease in `.status.leases`: the engine's Lease, with times as RFC 3339 and the node as `key`. */
export interface StatusLease {
  partition: string;
  key: string;
  attempt: number;
  holder: string;
  action: string;
  acquiredAt: string;
  expiresAt: string;
  finishedAt?: string;
  outcome?: 'succeeded' | 'failed';
  message?: string;
  verified?: Lease['verified'];
}

/** A retry record in `.status.retries`. */
export interface StatusRetry {
  key: string;
  failures: number;
  attempts: number;
  reason: string;
  message: string;
  nextAttemptAt: string;
  generation: number;
}

/** A task success in a Dag's `.status.successes`. */
export interface StatusSuccess {
  task: string;
  period: string;
  startedAt: string;
  finishedAt: string;
}

/** A Dag's `.status.successFloor`. */
export interface StatusSuccessFloor {
  through: string;
  at: string;
  except?: string[];
}

/** A re-run request in a Dag's `.status.runRequests`. */
export interface StatusRunRequest {
  period: string;
  at: string;
  reason: RunReason;
  name?: string;
  /** The uid of that DagRun (absent in statuses written before it was kept). */
  uid?: string;
  rerunOf?: { run: string; token: string };
  /** The run's params: the period's tasks get them as template values until the request is done. */
  params?: Record<string, string>;
}

/** What `save` keeps in an owner's status. */
export interface OwnerState {
  leases: StatusLease[];
  retries: StatusRetry[];
  /** Retry records left out to keep the status small (the oldest first). */
  retriesDropped: number;
  /** Dags only. */
  successes?: StatusSuccess[];
  successFloor?: StatusSuccessFloor;
  runRequests?: StatusRunRequest[];
}

/** The status fields `save` owns; the rest of a status is the composed summary. */
export const STATE_FIELDS = ['leases', 'retries', 'retriesDropped', 'successes', 'successFloor', 'runRequests'] as const;

/** A status without the fields `save` owns. */
export function withoutState(status: Record<string, unknown>): Record<string, unknown> {
  const rest = { ...status };
  for (const field of STATE_FIELDS) delete rest[field];
  return rest;
}

/** The status fields of a state, as written (empty lists of a Dag are written, so a fold or a done request clears them). */
export function stateFields(kind: string, state: OwnerState): Record<string, unknown> {
  return {
    leases: state.leases,
    retries: state.retries,
    ...(state.retriesDropped > 0 ? { retriesDropped: state.retriesDropped } : {}),
    ...(kind === 'Dag' ? { successes: state.successes ?? [], runRequests: state.runRequests ?? [] } : {}),
    ...(kind === 'Dag' && state.successFloor !== undefined ? { successFloor: state.successFloor } : {}),
  };
}

const RETRY_MESSAGE_LENGTH = 256;
const iso = (ms: number): string => new Date(ms).toISOString();
const ms = (text: string | undefined): number | undefined => (text === undefined ? undefined : Date.parse(text));
const refKey = (o: { kind: string; namespace: string; name: string }): string => `${o.kind}/${o.namespace}/${o.name}`;

/** Node id `Kind/ns/name|rest` -> owner key and the rest (the partition, or task|period). */
function splitNode(node: string): { owner: string; key: string } | undefined {
  const bar = node.indexOf('|');
  if (bar < 0) return undefined;
  const owner = node.slice(0, bar);
  const [kind] = owner.split('/');
  return kind === 'Expectation' || kind === 'Dag' ? { owner, key: node.slice(bar + 1) } : undefined;
}

/** How a person reads a node key: as ownerStatus writes partitions (`-` for none, task@period). */
function labelOf(kind: string, key: string): string {
  if (kind === 'Dag') {
    const bar = key.indexOf('|');
    return bar < 0 ? key : `${key.slice(0, bar)}@${key.slice(bar + 1)}`;
  }
  return key === '' ? '-' : key;
}

/** The inverse of labelOf, for leases written without a key. */
function keyOfLabel(kind: string, label: string): string {
  if (kind === 'Dag') return label.replace('@', '|');
  return label === '-' ? '' : label;
}

export function toStatusLease(lease: Lease, kind: string, key: string): StatusLease {
  return {
    partition: labelOf(kind, key),
    key,
    attempt: lease.attempt,
    holder: lease.holder,
    action: lease.action,
    acquiredAt: iso(lease.acquiredAt),
    expiresAt: iso(lease.expiresAt),
    ...(lease.finishedAt !== undefined ? { finishedAt: iso(lease.finishedAt) } : {}),
    ...(lease.outcome !== undefined ? { outcome: lease.outcome } : {}),
    ...(lease.message !== undefined ? { message: lease.message.slice(0, 1024) } : {}),
    ...(lease.verified !== undefined ? { verified: lease.verified } : {}),
  };
}

export function fromStatusLease(item: Partial<StatusLease>, ownerKey: string): Lease | undefined {
  const kind = ownerKey.split('/')[0] ?? '';
  const key = item.key ?? (item.partition !== undefined ? keyOfLabel(kind, item.partition) : undefined);
  const acquiredAt = ms(item.acquiredAt);
  const expiresAt = ms(item.expiresAt);
  if (key === undefined || item.action === undefined || item.attempt === undefined || acquiredAt === undefined || expiresAt === undefined || Number.isNaN(acquiredAt) || Number.isNaN(expiresAt)) return undefined;
  const finishedAt = ms(item.finishedAt);
  return {
    node: `${ownerKey}|${key}`,
    attempt: item.attempt,
    holder: item.holder ?? '',
    action: item.action,
    acquiredAt,
    expiresAt,
    ...(finishedAt !== undefined && !Number.isNaN(finishedAt) ? { finishedAt } : {}),
    ...(item.outcome !== undefined ? { outcome: item.outcome } : {}),
    ...(item.message !== undefined ? { message: item.message } : {}),
    ...(item.verified !== undefined ? { verified: item.verified } : {}),
  };
}

/**
 * The leases and retry records of every owner in a snapshot, keyed by owner key. Retry records
 * beyond `maxRetries` are dropped, those whose next attempt is earliest (the oldest) first.
 */
export function ownerStates(snapshot: Pick<EngineSnapshot, 'leases' | 'retries'> & Partial<Pick<EngineSnapshot, 'successes' | 'successFloors' | 'runRequests'>>, maxRetries = MAX_RETRY_RECORDS): Map<string, OwnerState> {
  const out = new Map<string, OwnerState>();
  const stateOf = (owner: string) => {
    let s = out.get(owner);
    if (s === undefined) out.set(owner, (s = { leases: [], retries: [], retriesDropped: 0 }));
    return s;
  };
  for (const lease of snapshot.leases) {
    const where = splitNode(lease.node);
    if (where === undefined) continue;
    stateOf(where.owner).leases.push(toStatusLease(lease, where.owner.split('/')[0] ?? '', where.key));
  }
  const retries = new Map<string, [string, RetryRecord][]>();
  for (const [node, record] of snapshot.retries) {
    const where = splitNode(node);
    if (where === undefined) continue;
    retries.set(where.owner, [...(retries.get(where.owner) ?? []), [where.key, record]]);
  }
  for (const [owner, records] of retries) {
    const s = stateOf(owner);
    records.sort((a, b) => b[1].nextAttemptAt - a[1].nextAttemptAt);
    s.retriesDropped = Math.max(0, records.length - maxRetries);
    s.retries = records.slice(0, maxRetries).map(([key, r]) => ({
      key,
      failures: r.failures,
      attempts: r.attempts,
      reason: r.reason.slice(0, 64),
      message: r.message.slice(0, RETRY_MESSAGE_LENGTH),
      nextAttemptAt: iso(r.nextAttemptAt),
      generation: r.generation,
    }));
  }
  for (const [node, success] of snapshot.successes ?? []) {
    const where = splitNode(node);
    const bar = where?.key.indexOf('|') ?? -1;
    if (where === undefined || bar < 0) continue;
    (stateOf(where.owner).successes ??= []).push({ task: where.key.slice(0, bar), period: where.key.slice(bar + 1), startedAt: iso(success.startedAt), finishedAt: iso(success.finishedAt) });
  }
  for (const [owner, floor] of snapshot.successFloors ?? []) {
    stateOf(owner).successFloor = { through: floor.through, at: iso(floor.at), ...(floor.except !== undefined && floor.except.length > 0 ? { except: [...floor.except].sort() } : {}) };
  }
  for (const [key, request] of snapshot.runRequests ?? []) {
    // Request keys are `namespace/dag|period`.
    const slash = key.indexOf('/');
    const bar = key.indexOf('|');
    if (slash < 0 || bar < slash) continue;
    (stateOf(`Dag/${key.slice(0, bar)}`).runRequests ??= []).push({
      period: key.slice(bar + 1),
      at: iso(request.at),
      reason: request.reason,
      ...(request.name !== undefined ? { name: request.name } : {}),
      ...(request.uid !== undefined ? { uid: request.uid } : {}),
      ...(request.rerunOf !== undefined ? { rerunOf: request.rerunOf } : {}),
      ...(request.params !== undefined ? { params: request.params } : {}),
    });
  }
  const byKey = <T extends { key: string }>(a: T, b: T) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  const byTaskPeriod = (a: StatusSuccess, b: StatusSuccess) => (a.task + '|' + a.period < b.task + '|' + b.period ? -1 : 1);
  for (const s of out.values()) {
    s.leases.sort(byKey);
    s.retries.sort(byKey);
    if (s.successes !== undefined) {
      s.successes.sort(byTaskPeriod);
      // The engine folds long before this; a cut here would make the oldest periods run again.
      if (s.successes.length > MAX_SUCCESS_RECORDS) s.successes = s.successes.slice(-MAX_SUCCESS_RECORDS);
    }
    s.runRequests?.sort((a, b) => (a.period < b.period ? -1 : a.period > b.period ? 1 : 0));
  }
  return out;
}

/**
 * An owner's state with nothing in it, one per kind, shared (frozen: nobody changes a state in
 * place, they are replaced): most owners hold no lease, and 12,000 copies of empty lists add up.
 */
const frozenEmpty = <T>(): T[] => Object.freeze([]) as unknown as T[];
const EMPTY_STATES: Record<'Expectation' | 'Dag', OwnerState> = {
  Expectation: Object.freeze({ leases: frozenEmpty<StatusLease>(), retries: frozenEmpty<StatusRetry>(), retriesDropped: 0 }),
  Dag: Object.freeze({ leases: frozenEmpty<StatusLease>(), retries: frozenEmpty<StatusRetry>(), retriesDropped: 0, successes: frozenEmpty<StatusSuccess>(), runRequests: frozenEmpty<StatusRunRequest>() }),
};
export const emptyOwnerState = (kind: string): OwnerState => (kind === 'Dag' ? EMPTY_STATES.Dag : EMPTY_STATES.Expectation);

const NO_STATE_FIELDS = ['leases', 'retries', 'retriesDropped', 'successes', 'runRequests', 'successFloor'] as const;

/** The leases and retry records an owner's status holds (from an earlier run of the controller). */
export function stateFromStatus(status: Record<string, unknown> | undefined, kind = 'Expectation'): OwnerState {
  if (status === undefined || NO_STATE_FIELDS.every((f) => status[f] === undefined || (Array.isArray(status[f]) && status[f].length === 0))) return emptyOwnerState(kind);
  const leases = Array.isArray(status?.leases) ? (status.leases as StatusLease[]) : [];
  const retries = Array.isArray(status?.retries) ? (status.retries as StatusRetry[]) : [];
  const state: OwnerState = { leases, retries, retriesDropped: typeof status?.retriesDropped === 'number' ? status.retriesDropped : 0 };
  if (kind === 'Dag') {
    state.successes = Array.isArray(status?.successes) ? (status.successes as StatusSuccess[]) : [];
    state.runRequests = Array.isArray(status?.runRequests) ? (status.runRequests as StatusRunRequest[]) : [];
    const floor = status?.successFloor as StatusSuccessFloor | undefined;
    if (floor !== undefined && typeof floor === 'object') state.successFloor = floor;
  }
  return state;
}

const validTime = (text: string | undefined): number | undefined => {
  const t = ms(text);
  return t === undefined || Number.isNaN(t) ? undefined : t;
};

/** A Dag's successes, fold and requests from its status into the snapshot; unreadable entries are skipped. */
function addDagState(snapshot: EngineSnapshot, ownerKey: string, state: OwnerState): void {
  for (const s of state.successes ?? []) {
    const startedAt = validTime(s.startedAt);
    const finishedAt = validTime(s.finishedAt);
    if (typeof s.task !== 'string' || typeof s.period !== 'string' || startedAt === undefined || finishedAt === undefined) continue;
    const success: TaskSuccess = { startedAt, finishedAt };
    snapshot.successes.push([`${ownerKey}|${s.task}|${s.period}`, success]);
  }
  const floor = state.successFloor;
  const floorAt = validTime(floor?.at);
  if (floor !== undefined && typeof floor.through === 'string' && floorAt !== undefined) {
    const record: SuccessFloor = { through: floor.through, at: floorAt, ...(Array.isArray(floor.except) && floor.except.length > 0 ? { except: floor.except } : {}) };
    (snapshot.successFloors ??= []).push([ownerKey, record]);
  }
  const dagKey = ownerKey.slice('Dag/'.length); // namespace/name
  for (const r of state.runRequests ?? []) {
    const at = validTime(r.at);
    if (typeof r.period !== 'string' || at === undefined) continue;
    const request: RunRequest = {
      at,
      reason: r.reason ?? 'Manual',
      ...(r.name !== undefined ? { name: r.name } : {}),
      ...(typeof r.uid === 'string' ? { uid: r.uid } : {}),
      ...(r.rerunOf !== undefined ? { rerunOf: r.rerunOf } : {}),
      ...(r.params !== undefined && typeof r.params === 'object' ? { params: r.params } : {}),
    };
    snapshot.runRequests.push([`${dagKey}|${r.period}`, request]);
  }
}

/** The engine's snapshot from the statuses of the owners and the DagRuns. */
export function snapshotFromObjects(owners: readonly RawObject[], dagRuns: readonly RawObject[]): EngineSnapshot {
  const snapshot: EngineSnapshot = { leases: [], retries: [], successes: [], runRequests: [], runs: [], runSeq: [] };
  for (const o of owners) {
    const ownerKey = refKey({ kind: o.kind ?? '', namespace: o.metadata?.namespace ?? 'default', name: o.metadata?.name ?? '' });
    const state = stateFromStatus(o.status, o.kind);
    if (o.kind === 'Dag') addDagState(snapshot, ownerKey, state);
    // What the last checks said: shown until checked again (engine/lastVerdicts.ts).
    if (o.kind === 'Expectation' && o.status?.lastVerdicts !== undefined) (snapshot.lastVerdicts ??= []).push([ownerKey, o.status.lastVerdicts]);
    for (const item of state.leases) {
      const lease = fromStatusLease(item, ownerKey);
      if (lease !== undefined) snapshot.leases.push(lease);
    }
    for (const r of state.retries) {
      const next = ms(r.nextAttemptAt);
      if (r.key === undefined || next === undefined || Number.isNaN(next)) continue;
      snapshot.retries.push([`${ownerKey}|${r.key}`, { failures: r.failures ?? 0, attempts: r.attempts ?? 0, reason: r.reason ?? '', message: r.message ?? '', nextAttemptAt: next, generation: r.generation ?? 0 }]);
    }
  }
  const seq = new Map<string, number>();
  for (const dr of dagRuns) {
    const spec = dr.spec as { dag?: string; period?: string; reason?: RunRecord['reason']; params?: Record<string, string> } | undefined;
    const status = dr.status as { phase?: string; startedAt?: string; finishedAt?: string; rerun?: string; tasks?: { name?: string; phase?: Phase; attempts?: number; action?: string; message?: string }[] } | undefined;
    const startedAt = ms(status?.startedAt);
    if (spec?.dag === undefined || spec.period === undefined || startedAt === undefined || Number.isNaN(startedAt)) continue;
    if (status?.phase !== 'Running' && status?.phase !== 'Succeeded' && status?.phase !== 'Failed') continue;
    const namespace = dr.metadata?.namespace ?? 'default';
    const name = dr.metadata?.name ?? '';
    const finishedAt = ms(status.finishedAt);
    const uid = dr.metadata?.uid;
    snapshot.runs.push({
      name,
      namespace,
      // The run is this object's: one created again under the name later is not (runBook.sameDagRun).
      ...(typeof uid === 'string' ? { uid } : {}),
      dag: spec.dag,
      period: spec.period,
      reason: spec.reason ?? 'Manual',
      phase: status.phase,
      startedAt,
      ...(finishedAt !== undefined && !Number.isNaN(finishedAt) ? { finishedAt } : {}),
      ...(typeof status.rerun === 'string' ? { rerunToken: status.rerun } : {}),
      ...(spec.params !== undefined && typeof spec.params === 'object' && Object.keys(spec.params).length > 0 ? { params: spec.params } : {}),
      ...(dr.metadata?.labels?.[MANAGED_BY_LABEL] !== MANAGER ? { byUser: true } : {}),
      ...(Array.isArray(status.tasks) ? { tasks: runTasksOf(status.tasks, status.phase !== 'Running') } : {}),
    });
    const n = /-(\d+)$/.exec(name);
    if (dr.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGER && n !== null) {
      const key = `${namespace}/${spec.dag}|${spec.period}`;
      seq.set(key, Math.max(seq.get(key) ?? 0, Number(n[1])));
    }
  }
  snapshot.runSeq = [...seq.entries()];
  return snapshot;
}

/** A DagRun's status.tasks as the run record keeps them (phases only for a finished run). */
function runTasksOf(tasks: { name?: string; phase?: Phase; attempts?: number; action?: string; message?: string }[], finished: boolean): Record<string, RunTaskRecord> {
  const out: Record<string, RunTaskRecord> = {};
  for (const t of tasks) {
    if (typeof t.name !== 'string') continue;
    out[t.name] = {
      attempts: typeof t.attempts === 'number' ? t.attempts : 0,
      ...(typeof t.action === 'string' ? { action: t.action } : {}),
      ...(finished && t.phase !== undefined ? { phase: t.phase, message: t.message ?? '' } : {}),
    };
  }
  return out;
}

export { stableJson } from './stableJson.js';
