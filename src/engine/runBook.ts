import { dnsSafe } from './actionNames.js';
import type { OwnerRef, RunReason, RunRecord, RunRequest } from './types.js';

/** `namespace/dag|period`: a Dag period, the unit a run covers. */
export const runKey = (dag: OwnerRef, period: string): string => `${dag.namespace}/${dag.name}|${period}`;

/**
 * Whether a record (a run, a request) made for a DagRun is about the DagRun object of that name
 * now: the same uid, or a uid missing on either side (records from before uids were kept, objects
 * without one in embedded mode), where the name alone decides as it always did.
 */
export const sameDagRun = (recorded: string | undefined, object: string | undefined): boolean => recorded === undefined || object === undefined || recorded === object;

/**
 * The runs of every Dag: which are open, their history (bounded per period), and the re-run
 * requests that make a period due again (Make's rule compares task successes with them).
 */
export class RunBook {
  readonly requests = new Map<string, RunRequest>();
  /** By `namespace/name`: DagRun names are unique per namespace only. */
  private readonly runs = new Map<string, RunRecord>();
  private readonly byPeriod = new Map<string, string[]>();
  private readonly open = new Map<string, RunRecord>();
  private readonly seq = new Map<string, number>();

  restore(runs: RunRecord[], requests: [string, RunRequest][], seq: [string, number][]): void {
    for (const run of runs) this.add(run);
    for (const [k, v] of requests) this.requests.set(k, v);
    for (const [k, v] of seq) this.seq.set(k, v);
  }

  all(): RunRecord[] {
    return [...this.runs.values()];
  }

  seqEntries(): [string, number][] {
    return [...this.seq.entries()];
  }

  /** A run by its name (DagRun names are unique per namespace). */
  named(namespace: string, name: string): RunRecord | undefined {
    return this.runs.get(`${namespace}/${name}`);
  }

  openRun(dag: OwnerRef, period: string): RunRecord | undefined {
    return this.open.get(runKey(dag, period));
  }

  /** The time a re-run of the period was asked for, or 0. */
  requestedAt(dag: OwnerRef, period: string): number {
    return this.requests.get(runKey(dag, period))?.at ?? 0;
  }

  /** The params the period's tasks run with now: those of its re-run request, if any. */
  paramsOf(dag: OwnerRef, period: string): Record<string, string> | undefined {
    return this.requests.get(runKey(dag, period))?.params;
  }

  /**
   * The period's re-run request while it is still to be served: not yet answered by a run that
   * failed after it was asked (a success settles and removes it). Undefined when there is none.
   */
  pending(dag: OwnerRef, period: string): RunRequest | undefined {
    const key = runKey(dag, period);
    const request = this.requests.get(key);
    if (request === undefined) return undefined;
    // The latest run by start time: runs restored from DagRuns come in the API's (name) order.
    let latest: RunRecord | undefined;
    for (const name of this.byPeriod.get(key) ?? []) {
      const run = this.runs.get(`${dag.namespace}/${name}`);
      if (run !== undefined && (latest === undefined || run.startedAt >= latest.startedAt)) latest = run;
    }
    if (latest?.phase === 'Failed' && (latest.finishedAt ?? 0) >= request.at) return undefined;
    return request;
  }

  request(dag: OwnerRef, period: string, request: RunRequest): boolean {
    const key = runKey(dag, period);
    const known = this.requests.get(key);
    if (known !== undefined && known.at >= request.at) return false;
    this.requests.set(key, request);
    return true;
  }

  /** Opens a run; returns it and the runs that fall out of the history limit. */
  start(dag: OwnerRef, period: string, fallbackReason: RunReason, now: number, historyLimit: number): { run: RunRecord; forgotten: RunRecord[] } {
    const key = runKey(dag, period);
    const request = this.requests.get(key);
    const n = (this.seq.get(key) ?? 0) + 1;
    this.seq.set(key, n);
    const run: RunRecord = {
      name: request?.name ?? `${dnsSafe(dag.name).slice(0, 40)}-${dnsSafe(period.replace(/[:T]/g, (c) => (c === 'T' ? 't' : '')))}-${n}`,
      namespace: dag.namespace,
      dag: dag.name,
      period,
      reason: request?.reason ?? fallbackReason,
      phase: 'Running',
      startedAt: now,
      ...(request?.name !== undefined ? { byUser: true, ...(request.uid !== undefined ? { uid: request.uid } : {}) } : {}),
      ...(request?.params !== undefined && Object.keys(request.params).length > 0 ? { params: request.params } : {}),
    };
    this.add(run);
    return { run, forgotten: this.trim(dag.namespace, key, historyLimit) };
  }

  /**
   * Forgets the oldest finished runs of a period beyond the history limit. A user's DagRun counts
   * but is not forgotten: it is theirs, and its record stays until they delete it.
   */
  private trim(namespace: string, key: string, historyLimit: number): RunRecord[] {
    const names = this.byPeriod.get(key) ?? [];
    let excess = names.length - historyLimit;
    const forgotten: RunRecord[] = [];
    const kept: string[] = [];
    for (const name of names) {
      const run = this.runs.get(`${namespace}/${name}`);
      if (run === undefined) continue;
      if (excess > 0 && run.byUser !== true && run.phase !== 'Running') {
        this.runs.delete(`${namespace}/${name}`);
        forgotten.push(run);
        excess--;
      } else kept.push(name);
    }
    this.byPeriod.set(key, kept);
    return forgotten;
  }

  /**
   * Forgets the finished runs of users' DagRuns that no longer exist (`exists` says which do: a
   * DagRun of the same name but another uid is another object, and this run's is gone).
   */
  forgetDeleted(exists: (run: RunRecord) => boolean): void {
    for (const [key, run] of this.runs) {
      if (run.byUser !== true || run.phase === 'Running' || exists(run)) continue;
      this.runs.delete(key);
      const period = runKey({ kind: 'Dag', namespace: run.namespace, name: run.dag }, run.period);
      this.byPeriod.set(period, (this.byPeriod.get(period) ?? []).filter((n) => n !== run.name));
    }
  }

  /** Closes the open run of a period, if any. A success also settles the re-run request. */
  finish(dag: OwnerRef, period: string, phase: 'Succeeded' | 'Failed', now: number, message: string): RunRecord | undefined {
    const key = runKey(dag, period);
    const run = this.open.get(key);
    if (run === undefined) return undefined;
    this.open.delete(key);
    run.phase = phase;
    run.finishedAt = now;
    run.message = message;
    if (phase === 'Succeeded') this.requests.delete(key);
    return run;
  }

  /** Forgets a Dag's runs entirely (the Dag was deleted). */
  forgetDag(dag: OwnerRef): RunRecord[] {
    const prefix = `${dag.namespace}/${dag.name}|`;
    const gone: RunRecord[] = [];
    for (const [key, names] of this.byPeriod) {
      if (!key.startsWith(prefix)) continue;
      for (const name of names) {
        const run = this.runs.get(`${dag.namespace}/${name}`);
        if (run !== undefined) gone.push(run);
        this.runs.delete(`${dag.namespace}/${name}`);
      }
      this.byPeriod.delete(key);
      this.open.delete(key);
      this.requests.delete(key);
      this.seq.delete(key);
    }
    return gone;
  }

  private add(run: RunRecord): void {
    const key = runKey({ kind: 'Dag', namespace: run.namespace, name: run.dag }, run.period);
    this.runs.set(`${run.namespace}/${run.name}`, run);
    const names = this.byPeriod.get(key) ?? [];
    if (!names.includes(run.name)) names.push(run.name);
    this.byPeriod.set(key, names);
    if (run.phase === 'Running') this.open.set(key, run);
  }
}
