import type { DagRun } from '../api/types.js';
import type { EngineSnapshot, RunRequest } from '../engine/index.js';

/** A user's DagRun turned into the engine's request to run its Dag period again. */
export interface DagRunRequest {
  dag: { namespace: string; name: string };
  period: string;
  request: RunRequest;
}

/**
 * The DagRuns that have not asked for their period yet: a DagRun asks once, and is known by name
 * afterwards from the engine's run records and pending requests (which survive a restart) or
 * from `asked` (this process). Pure; the caller adds what it requests to `asked`.
 */
export function newDagRunRequests(dagRuns: readonly DagRun[], snapshot: Pick<EngineSnapshot, 'runs' | 'runRequests'>, asked: ReadonlySet<string>, now: number): DagRunRequest[] {
  if (dagRuns.length === 0) return [];
  const known = new Set([
    ...snapshot.runs.map((r) => `${r.namespace}/${r.name}`),
    // Request keys are `namespace/dag|period`.
    ...snapshot.runRequests.flatMap(([key, r]) => (r.name !== undefined ? [`${key.slice(0, key.indexOf('/'))}/${r.name}`] : [])),
  ]);
  const out: DagRunRequest[] = [];
  for (const dr of dagRuns) {
    const namespace = dr.metadata.namespace ?? 'default';
    const key = `${namespace}/${dr.metadata.name}`;
    if (known.has(key) || asked.has(key)) continue;
    out.push({ dag: { namespace, name: dr.spec.dag }, period: dr.spec.period, request: { at: now, reason: dr.spec.reason ?? 'Manual', name: dr.metadata.name } });
  }
  return out;
}
