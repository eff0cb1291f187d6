/**
 * Why a Dag or an Expectation is suspended, for its Suspended condition: the definition loader
 * marks what it suspended because its file is gone (annotation homeostat.dev/source-pruned, set
 * in a cluster by the DefinitionSource loader and in embedded mode by the manifest watcher); any
 * other spec.suspend: true is a person's. Pure.
 */
import { transitionTime } from '../engine/index.js';
import type { Condition } from '../api/types.js';
import { PRUNED_ANNOTATION, SOURCE_FILE_ANNOTATION, SOURCE_LABEL } from '../sources/model.js';

export interface Suspension {
  reason: 'SourceFileRemoved' | 'Suspended';
  message: string;
}

interface Suspendable {
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { suspend?: boolean };
}

/** Why the object is suspended, or undefined when it is not. */
export function suspensionOf(object: Suspendable): Suspension | undefined {
  if (object.spec.suspend !== true) return undefined;
  const pruned = object.metadata.annotations?.[PRUNED_ANNOTATION];
  if (pruned !== undefined) {
    const source = object.metadata.labels?.[SOURCE_LABEL];
    const file = object.metadata.annotations?.[SOURCE_FILE_ANNOTATION];
    const from = source !== undefined ? `DefinitionSource ${source}` : 'the manifest directory';
    const words = pruned !== '' ? pruned : `file ${file ?? '?'} is gone`;
    return { reason: 'SourceFileRemoved', message: `suspended by ${from}: ${words}; putting the file back resumes it without re-running what succeeded`.slice(0, 1024) };
  }
  return { reason: 'Suspended', message: 'spec.suspend is true: no new action or task starts (running ones finish; successes are kept)' };
}

/**
 * The conditions with Suspended=True appended when the object is suspended; without it when not
 * (a resumed object drops the condition). Its lastTransitionTime holds while it stays suspended.
 */
export function withSuspended(conditions: Condition[], suspension: Suspension | undefined, previous: readonly Pick<Condition, 'type' | 'status' | 'lastTransitionTime'>[] | undefined, generation: number, now: number): Condition[] {
  const rest = conditions.filter((c) => c.type !== 'Suspended');
  if (suspension === undefined) return rest;
  return [...rest, { type: 'Suspended', status: 'True', reason: suspension.reason, message: suspension.message, observedGeneration: generation, lastTransitionTime: transitionTime(previous, 'Suspended', 'True', now) }];
}
