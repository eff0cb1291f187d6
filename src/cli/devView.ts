/**
 * What `homeostat dev --ui-addr` shows through the read API: the objects with the statuses it
 * writes to status.json, its engine for explain and partition summaries, and a change event for
 * each object whose phase or reason changed after a pass.
 */
import type { Dag, DagDependency, DefinitionSource, Expectation, StateChecker } from '../api/types.js';
import { ownerStates, stateFields } from '../kube/leaseRecords.js';
import type { DevLoop } from '../local/devLoop.js';
import type { ViewSource } from '../server/readApi.js';

type Change = Parameters<Parameters<ViewSource['subscribe']>[0]>[0];

export function devViewSource(loop: DevLoop): ViewSource {
  const listeners = new Set<(change: Change) => void>();
  // The controller writes leases, retries and successes into each status (kube/leaseRecords.ts);
  // embedded mode keeps them in state.json. Merged here, so the graph of `homeostat dev` is the
  // one a controller would show (a task's phase reads them: view/taskPhase.ts). Cached until the
  // next pass: a snapshot per request would cost as much as the pass.
  let cached: ReturnType<ViewSource['objects']> | undefined;
  loop.onUpdate(() => void (cached = undefined));
  const objects = (): ReturnType<ViewSource['objects']> => {
    if (cached !== undefined) return cached;
    const doc = loop.status.document();
    const states = ownerStates(loop.reconciler.engine.snapshot());
    const withState = <T>(kind: string) =>
      doc.objects
        .filter((o) => o.kind === kind)
        .map((o) => {
          const state = states.get(`${kind}/${o.metadata.namespace}/${o.metadata.name}`);
          return (state !== undefined && o.status !== undefined ? { ...o, status: { ...o.status, ...stateFields(kind, state) } } : o) as unknown as T;
        });
    cached = {
      checkers: withState<StateChecker>('StateChecker'),
      expectations: withState<Expectation>('Expectation'),
      dags: withState<Dag>('Dag'),
      dagDependencies: withState<DagDependency>('DagDependency'),
      definitionSources: (doc.sources ?? []) as unknown as DefinitionSource[],
    };
    return cached;
  };
  let last = new Map<string, string>();
  loop.onUpdate(() => {
    if (listeners.size === 0) return;
    const now = new Map<string, string>();
    for (const o of loop.status.document().objects) {
      const status = (o.status ?? {}) as { phase?: string; reason?: string };
      const key = `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`;
      now.set(key, `${status.phase ?? ''}/${status.reason ?? ''}`);
      if (last.get(key) === now.get(key)) continue;
      const change: Change = { kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name, ...(status.phase !== undefined ? { phase: status.phase } : {}) };
      for (const l of listeners) l(change);
    }
    last = now;
  });
  return {
    objects,
    engine: () => loop.reconciler.engine,
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    now: () => Date.now(),
  };
}
