import type { DagRun } from '../api/types.js';
import { MANAGED_BY_LABEL, MANAGER, RERUN_ANNOTATION } from '../api/wellKnown.js';
import type { EngineSnapshot, RunRequest } from '../engine/index.js';
import { sameDagRun } from '../engine/runBook.js';


/** A user's DagRun turned into the engine's request to run its Dag period again. */
export interface DagRunRequest {
  dag: { namespace: string; name: string };
  period: string;
  request: RunRequest;
  /** What to remember in `asked` so this process does not ask twice. */
  askedKey: string;
}

/**
 * The DagRuns that ask for their period and have not asked yet. The caller adds each request's
 * `askedKey` to `asked`; the keys of DagRuns that are gone are dropped from it here, so a DagRun
 * deleted and created again with the same name asks again (and `asked` does not grow forever).
 * A DagRun is its object, not its name: one created again under the same name between two passes
 * has another uid, so the records of the one before (run, request, `asked`) are not its own.
 *
 * - A DagRun asks once, when it is new: it is known afterwards from the engine's run records and
 *   pending requests (which survive a restart), or from `asked` (this process).
 * - A `homeostat.dev/rerun` annotation asks once per value: the value acted on is kept on the run
 *   record (and in the DagRun's status.rerun) and on the pending request.
 */
export function newDagRunRequests(dagRuns: readonly DagRun[], snapshot: Pick<EngineSnapshot, 'runs' | 'runRequests'>, asked: Set<string>, now: number): DagRunRequest[] {
  forgetGone(asked, dagRuns);
  if (dagRuns.length === 0) return [];
  const runs = new Map(snapshot.runs.map((r) => [`${r.namespace}/${r.name}`, r]));
  // Per DagRun name, the uids of the records made for it (undefined: recorded without one).
  const known = new Map<string, (string | undefined)[]>();
  const note = (key: string, uid: string | undefined) => {
    const uids = known.get(key);
    if (uids === undefined) known.set(key, [uid]);
    else uids.push(uid);
  };
  for (const [key, r] of runs) note(key, r.uid);
  const tokens = new Set<string>();
  for (const [key, r] of snapshot.runRequests) {
    // Request keys are `namespace/dag|period`.
    const namespace = key.slice(0, key.indexOf('/'));
    if (r.name !== undefined) note(`${namespace}/${r.name}`, r.uid);
    if (r.rerunOf !== undefined) tokens.add(`${namespace}/${r.rerunOf.run}@${r.rerunOf.token}`);
  }
  const out: DagRunRequest[] = [];
  for (const dr of dagRuns) {
    const namespace = dr.metadata.namespace ?? 'default';
    const name = `${namespace}/${dr.metadata.name}`;
    const uid = dr.metadata.uid;
    const key = objectKey(dr);
    const dag = { namespace, name: dr.spec.dag };
    // The run's params reach its tasks' templates (the period's own values win over them).
    const params = dr.spec.params !== undefined && Object.keys(dr.spec.params).length > 0 ? { params: dr.spec.params } : {};
    // The controller's own DagRuns record runs; only their rerun annotation asks for anything.
    const ours = dr.metadata.labels?.[MANAGED_BY_LABEL] === MANAGER;
    const isKnown = (known.get(name) ?? []).some((recorded) => sameDagRun(recorded, uid));
    if (!isKnown && !ours) {
      if (!asked.has(key)) out.push({ dag, period: dr.spec.period, request: { at: now, reason: dr.spec.reason ?? 'Manual', name: dr.metadata.name, ...(uid !== undefined ? { uid } : {}), ...params }, askedKey: key });
      continue; // a new DagRun's own request covers its annotation too
    }
    const token = dr.metadata.annotations?.[RERUN_ANNOTATION];
    if (token === undefined || token === '') continue;
    const askedKey = `${key}@${token}`;
    const run = runs.get(name);
    if ((run !== undefined && sameDagRun(run.uid, uid) && run.rerunToken === token) || tokens.has(`${name}@${token}`) || asked.has(askedKey)) continue;
    out.push({ dag, period: dr.spec.period, request: { at: now, reason: 'Manual', rerunOf: { run: dr.metadata.name, token }, ...params }, askedKey });
  }
  return out;
}

/** `namespace/name`, and `:uid` when the DagRun has one: what `asked` remembers a DagRun by. */
function objectKey(dr: DagRun): string {
  // Object names hold neither ':' nor '@'.
  return `${dr.metadata.namespace ?? 'default'}/${dr.metadata.name}${dr.metadata.uid !== undefined ? `:${dr.metadata.uid}` : ''}`;
}

/** Drops the keys (`namespace/name[:uid]`, the same with `@token`) of DagRuns no longer declared. */
function forgetGone(asked: Set<string>, dagRuns: readonly DagRun[]): void {
  if (asked.size === 0) return;
  const present = new Set(dagRuns.map(objectKey));
  // Object names and uids cannot hold '@', so what comes before it is the DagRun's key.
  for (const key of asked) if (!present.has(key.split('@')[0] as string)) asked.delete(key);
}

