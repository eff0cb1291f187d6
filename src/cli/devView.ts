/**
 * What `homeostat dev --ui-addr` shows through the read API: the objects with the statuses it
 * writes to status.json, its engine for explain and partition summaries, and a change event for
 * each object whose phase or reason changed after a pass.
 */
import type { Dag, DagDependency, Expectation, StateChecker } from '../api/types.js';
import type { DevLoop } from '../local/devLoop.js';
import type { ViewSource } from '../server/readApi.js';

type Change = Parameters<Parameters<ViewSource['subscribe']>[0]>[0];

export function devViewSource(loop: DevLoop): ViewSource {
  const listeners = new Set<(change: Change) => void>();
  const objects = () => {
    const all = loop.status.document().objects;
    const of = <T>(kind: string) => all.filter((o) => o.kind === kind) as unknown as T[];
    return { checkers: of<StateChecker>('StateChecker'), expectations: of<Expectation>('Expectation'), dags: of<Dag>('Dag'), dagDependencies: of<DagDependency>('DagDependency') };
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
