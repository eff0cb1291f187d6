/**
 * Is `period` one of a Dag's periods? The re-run route asks before it creates a DagRun, so a typo
 * is a 400 naming the Dag's periods instead of a DagRun that waits forever.
 * - With the engine (the leader, `homeostat dev`): the periods it compiled, exactly.
 * - Without it (a standby, or a Dag the engine holds as invalid): the Dag's own calendar,
 *   enumerated as the engine does (whole periods up to now). A Dag that takes its periods from its
 *   dependencies is not checked here: the controller marks such a DagRun Valid=False if wrong.
 */
import type { Dag } from '../api/types.js';
import { type CalendarSpec, enumeratePeriods } from '../engine/calendar.js';
import type { Engine } from '../engine/engine.js';
import { dagPeriodsOf } from '../view/dagRunsTable.js';

/** Undefined when the period is fine, else what is wrong with it. */
export function periodProblem(dag: Dag, period: string, engine: Engine | undefined, now: number): string | undefined {
  const name = `Dag ${dag.metadata.namespace ?? 'default'}/${dag.metadata.name}`;
  if (period === '' || period.length > 64) return `period: must be one period of ${name} (1 to 64 characters)`;
  const known = engine !== undefined ? dagPeriodsOf(engine, { namespace: dag.metadata.namespace ?? 'default', name: dag.metadata.name }) : undefined;
  if (known !== undefined && known.periods.length > 0) {
    if (known.periods.some((p) => p.period === period)) return undefined;
    const sorted = known.periods.map((p) => p.period).sort();
    return `period: ${JSON.stringify(period)} is not a period of ${name}; its ${sorted.length} periods run from ${sorted[0]} to ${sorted[sorted.length - 1]}`;
  }
  const spec = dag.spec.periods as CalendarSpec | undefined;
  if (spec === undefined) return undefined;
  const calendar = enumeratePeriods(spec, now, { completeOnly: true, defaultTo: 'now' });
  if (!calendar.ok) return `period: the periods of ${name} cannot be listed: ${calendar.error}`;
  const keys = calendar.value.periods.map((p) => p.key);
  if (keys.includes(period)) return undefined;
  return keys.length === 0 ? `period: ${name} has no period that has ended yet` : `period: ${JSON.stringify(period)} is not a period of ${name}; its ${keys.length} periods run from ${keys[0]} to ${keys[keys.length - 1]}`;
}
