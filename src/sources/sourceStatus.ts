/**
 * A DefinitionSource's status from a scan, pure: counts, the bounded file list (files with a
 * problem first), the Ready and Valid conditions. lastTransitionTime is kept while a condition's
 * status stays the same, so equal scans give equal statuses and the caller can skip the write.
 */
import { MAX_LISTED_FILES } from '../api/schema/definitionSource.js';
import type { Condition } from '../api/types.js';
import type { FileStatus } from './model.js';

export interface ScanOutcome {
  files: FileStatus[];
  revision: string;
  /** Objects of this source in the cluster suspended because their file is gone. */
  suspended: number;
  lastScanRequest?: string;
}

export type SourceStatus = Record<string, unknown> & { conditions: Condition[] };

/** Ready=True and Valid per the files' problems. */
export function scannedStatus(outcome: ScanOutcome, generation: number, now: number, previous: readonly Condition[] | undefined): SourceStatus {
  const bad = outcome.files.filter((f) => f.problem !== undefined);
  const listed = [...bad, ...outcome.files.filter((f) => f.problem === undefined)].slice(0, MAX_LISTED_FILES);
  const valid = bad.length === 0
    ? condition('Valid', 'True', 'AllFilesValid', `${outcome.files.length} files, every one applied`)
    : condition('Valid', 'False', 'InvalidFiles', `${bad.length} of ${outcome.files.length} files not applied (their last good objects stay): ${bad.slice(0, 3).map((f) => `${f.path}: ${f.problem ?? ''}`).join('; ')}${bad.length > 3 ? `; and ${bad.length - 3} more` : ''}`);
  return {
    observedGeneration: generation,
    revision: outcome.revision,
    ...(outcome.lastScanRequest !== undefined ? { lastScanRequest: outcome.lastScanRequest } : {}),
    counts: {
      files: outcome.files.length,
      objects: outcome.files.filter((f) => f.problem === undefined).reduce((n, f) => n + f.objects.length, 0),
      problems: bad.length,
      suspended: outcome.suspended,
    },
    files: listed.map((f) => ({ path: cut(f.path, 1024), checksum: cut(f.checksum, 128), objects: f.objects.slice(0, 50), ...(f.problem !== undefined ? { problem: cut(f.problem, 4096) } : {}) })),
    filesNotShown: outcome.files.length - listed.length,
    conditions: stamped([condition('Ready', 'True', 'Scanned', `revision ${outcome.revision}`), valid], generation, now, previous),
  };
}

/** Ready=False: the source could not be scanned (unreachable, not allowed, suspended); the rest of the status stays. */
export function notReadyConditions(reason: string, message: string, generation: number, now: number, previous: readonly Condition[] | undefined): Condition[] {
  const kept = (previous ?? []).filter((c) => c.type !== 'Ready');
  return stamped([condition('Ready', 'False', reason, message), ...kept], generation, now, previous);
}

const condition = (type: string, status: 'True' | 'False', reason: string, message: string) => ({ type, status, reason, message: cut(message, 32768) });

function stamped(conditions: Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>[], generation: number, now: number, previous: readonly Condition[] | undefined): Condition[] {
  return conditions.map((c) => {
    const before = previous?.find((p) => p.type === c.type);
    const lastTransitionTime = before !== undefined && before.status === c.status ? before.lastTransitionTime : new Date(now).toISOString().replace(/\.\d+Z$/, 'Z');
    return { ...c, observedGeneration: generation, lastTransitionTime } as Condition;
  });
}

const cut = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);
