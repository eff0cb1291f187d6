/**
 * The loader's vocabulary: what a reader lists, what a scan remembers of each file, and the plan a
 * scan produces. Pure data; the decisions are in plan.ts, the I/O in the readers and the
 * controller's applier.
 */
import type { HomeostatObject, KindName } from '../api/types.js';

/** One file of a directory or one object of a bucket, listed but not read yet. */
export interface SourceEntry {
  /** The path under the directory, or the key under the prefix ("dags/etl.json"). */
  path: string;
  /** sha256 of a file; ETag and size of an S3 object. Equal checksums mean equal contents. */
  checksum: string;
  /** Reads the contents; called only when the checksum changed since the last scan. */
  read(): Promise<string>;
}

/** Which object, within the source's namespace. */
export interface ObjectId {
  kind: KindName;
  name: string;
}
/** "Kind/name": an object's identity within its source's namespace. */
export const idOf = (o: ObjectId | HomeostatObject): string => `${o.kind}/${'metadata' in o ? o.metadata.name : o.name}`;

/**
 * What a scan remembers of one file, so an unchanged checksum means no read: the objects its
 * current version declares (validated one by one and decorated with the loader's label and
 * annotations), or why it could not be parsed. What is applied is the cluster's business: the
 * objects carry a digest of what was applied (DIGEST_ANNOTATION), compared on every scan.
 */
export interface FileRecord {
  path: string;
  checksum: string;
  /** The objects of the current version, when it parsed and each object is valid alone. */
  declared?: HomeostatObject[];
  /** Why the current version could not be parsed, read or validated object by object. */
  parseProblem?: string;
}

/** What the loader remembers between scans of one source: its files by path. */
export type ScanState = ReadonlyMap<string, FileRecord>;

/** An object of this namespace as the cluster has it (the controller's cache), for references and pruning. */
export interface LiveObject {
  object: HomeostatObject;
  /** The DefinitionSource that loaded it (label homeostat.dev/source), if any. */
  source?: string;
  /** The file it came from (annotation homeostat.dev/source-file), if loaded. */
  file?: string;
  /** The digest of what the loader last applied (annotation homeostat.dev/source-digest). */
  digest?: string;
  /** The loader suspended it because its file is gone (annotation homeostat.dev/source-pruned). */
  pruned: boolean;
}

export type PrunePolicy = 'Suspend' | 'Delete' | 'Orphan';

/** Where a scan loads into, and what it must leave alone. */
export interface ScanContext {
  /** The DefinitionSource's name and namespace: every object goes into that namespace. */
  source: string;
  namespace: string;
  prune: PrunePolicy;
  /** Every Homeostat object of the namespace the cluster has now, loaded or not. */
  live: readonly LiveObject[];
}

/** One object to write, and why (for Events and the test's counts). */
export interface ApplyStep {
  file: string;
  object: HomeostatObject;
  /** New or changed in its file (or missing from the cluster); or Resumed: its file is back after a prune. */
  why: 'Changed' | 'Resumed';
}

/** An object whose file (or whose declaration in its file) is gone, and what to do with it. */
export interface PruneStep {
  id: ObjectId;
  /** The file it came from. */
  file: string;
  action: 'Suspend' | 'Delete';
  /** For Suspend: the object to apply, its live spec with spec.suspend true and the pruned annotation. */
  object?: HomeostatObject;
}

/** One file as the source's status lists it. */
export interface FileStatus {
  path: string;
  checksum: string;
  /** Kind/name of the objects it holds: the applied version, or the last good one when it has a problem. */
  objects: string[];
  /** Why its current version is not applied (parse, validation or whole-graph problem). */
  problem?: string;
}

/** A scan's outcome: the new state, and the writes that bring the cluster to it (none when nothing changed). */
export interface ScanPlan {
  /** What to remember for the next scan. */
  state: Map<string, FileRecord>;
  /** Every file, sorted by path, for the status. */
  files: FileStatus[];
  apply: ApplyStep[];
  prune: PruneStep[];
  /** Files read this scan (changed checksums); the others were not read. */
  read: string[];
  /** A digest of every file's path and checksum. */
  revision: string;
}

/** Labels and annotations the loader puts on what it applies. */
export const SOURCE_LABEL = 'homeostat.dev/source';
export const SOURCE_FILE_ANNOTATION = 'homeostat.dev/source-file';
export const PRUNED_ANNOTATION = 'homeostat.dev/source-pruned';
export const DIGEST_ANNOTATION = 'homeostat.dev/source-digest';
/** The annotation on a DefinitionSource whose every new value asks for one scan now. */
export const SCAN_REQUESTED_ANNOTATION = 'homeostat.dev/scan-requested-at';
/** The field manager of every apply: `kubectl` users see who owns each field. */
export const FIELD_MANAGER = 'homeostat-loader';

/**
 * The value of the source label: the source's name when it fits a label value (63 characters),
 * else its first 52 characters and a hash of the whole name, so two long names never share one.
 */
export function sourceLabelValue(name: string): string {
  if (name.length <= 63) return name;
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return `${name.slice(0, 52).replace(/[-.]+$/, '')}-${hash.toString(16).padStart(8, '0')}`;
}

/** The listing failed as a whole: the source is unreachable and nothing may be pruned because of it. */
export class SourceUnreachable extends Error {
  constructor(readonly reason: string, message: string) {
    super(message);
    this.name = 'SourceUnreachable';
  }
}
