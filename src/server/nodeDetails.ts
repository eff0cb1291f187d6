/**
 * What the objects route adds for a node's page beyond the object and its partition summary:
 * - `runs`: a Dag's latest periods x tasks (view/dagRunsTable.ts), from the engine where this
 *   replica runs it, else from the Dag's DagRuns (`runsSource: status`);
 * - `events`: the object's recent Kubernetes Events (or the embedded loop's), newest first.
 * The adapters (src/kube/nodeDetails.ts, src/cli/devNodeDetails.ts) say where those come from.
 */
import type { Dag, DagRun } from '../api/types.js';
import type { Engine } from '../engine/engine.js';
import { dagPeriodsOf, dagRunsFromEngine, dagRunsFromRuns, type DagRunsTable, DEFAULT_PERIODS, MAX_PERIODS_SHOWN } from '../view/dagRunsTable.js';

/** At most this many Events are shown for one object. */
export const MAX_EVENTS_SHOWN = 20;

/** One Event as the page shows it (kubectl describe's Events table). */
export interface RecentEvent {
  type: string;
  reason: string;
  message: string;
  /** RFC 3339: when it last happened. */
  time: string;
  /** How many times it happened (a folded series). */
  count: number;
}

export interface ObjectRef {
  kind: string;
  namespace: string;
  name: string;
}

/** Where the extras come from. Both calls are bounded (one list call at most) and never reject. */
export interface NodeDetailsSource {
  /** The Object's recent Events, newest first, at most MAX_EVENTS_SHOWN; 'unavailable' when they cannot be read now. */
  events(ref: ObjectRef): Promise<RecentEvent[] | 'unavailable'>;
  /** A Dag's DagRuns, for a replica without the engine; 'unavailable' when they cannot be read now. */
  dagRuns?(namespace: string, dag: string): Promise<DagRun[] | 'unavailable'>;
}

export interface ObjectExtras {
  runs?: DagRunsTable;
  /** `engine` or `status` (the DagRuns' statuses: only periods that had a run). */
  runsSource?: 'engine' | 'status';
  events?: RecentEvent[];
  /** Why `runs` or `events` are missing, when they are. */
  notes?: string[];
}

/** `?periods=N`: a whole number from 1 to MAX_PERIODS_SHOWN, or a sentence saying what is wrong. */
export function parsePeriods(text: string | null): { ok: true; value: number } | { ok: false; error: string } {
  if (text === null) return { ok: true, value: DEFAULT_PERIODS };
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > MAX_PERIODS_SHOWN) return { ok: false, error: `periods: ${JSON.stringify(text)} must be a whole number from 1 to ${MAX_PERIODS_SHOWN}` };
  return { ok: true, value: n };
}

export async function objectExtras(target: ObjectRef, found: unknown, engine: Engine | undefined, details: NodeDetailsSource | undefined, periods: number): Promise<ObjectExtras> {
  const notes: string[] = [];
  const [runs, events] = await Promise.all([
    target.kind === 'Dag' ? runsOf(found as Dag, engine, details, periods, notes) : Promise.resolve(undefined),
    details !== undefined ? details.events(target) : Promise.resolve(undefined),
  ]);
  if (events === 'unavailable') notes.push('the Events could not be listed now');
  return {
    ...(runs !== undefined ? { runs: runs.table, runsSource: runs.source } : {}),
    ...(events !== undefined && events !== 'unavailable' ? { events } : {}),
    ...(notes.length > 0 ? { notes } : {}),
  };
}

async function runsOf(dag: Dag, engine: Engine | undefined, details: NodeDetailsSource | undefined, periods: number, notes: string[]): Promise<{ table: DagRunsTable; source: 'engine' | 'status' } | undefined> {
  const ref = { namespace: dag.metadata.namespace ?? 'default', name: dag.metadata.name };
  const known = engine !== undefined ? dagPeriodsOf(engine, ref) : undefined;
  if (known !== undefined) return { table: dagRunsFromEngine(dag, known, periods), source: 'engine' };
  if (details?.dagRuns === undefined) return undefined;
  const runs = await details.dagRuns(ref.namespace, ref.name);
  if (runs === 'unavailable') {
    notes.push('the DagRuns could not be listed now');
    return undefined;
  }
  return { table: dagRunsFromRuns(dag, runs, periods), source: 'status' };
}
