/**
 * The loader's decisions, pure: from the files listed, the texts read this scan, what the last
 * scan remembered and what the cluster holds, the state to remember and the writes to make.
 *
 *   1. A file whose checksum is unchanged is not read: its remembered objects (or problem) stand.
 *   2. Each object is validated alone (parseFile), then the whole graph: an object declared by two
 *      files or by another source, an unknown reference, a cycle. A file with any problem is not
 *      applied; its last good objects (those in the cluster from it) stay as they are.
 *   3. A good file's object is applied when the cluster lacks it, holds another version (the
 *      digest annotation differs) or holds it suspended by a prune. Nothing else is written, so an
 *      unchanged scan writes nothing.
 *   4. An object the source loaded whose file is gone, or no longer declares it, is pruned per the
 *      source's policy; objects of a bad file never are.
 */
import { createHash } from 'node:crypto';
import { checkGraph } from '../api/graphChecks.js';
import type { HomeostatObject } from '../api/types.js';
import {
  type ApplyStep,
  DIGEST_ANNOTATION,
  type FileRecord,
  type FileStatus,
  idOf,
  type LiveObject,
  PRUNED_ANNOTATION,
  type PruneStep,
  type ScanContext,
  type ScanPlan,
  type ScanState,
  SOURCE_FILE_ANNOTATION,
  SOURCE_LABEL,
  sourceLabelValue,
} from './model.js';
import { parseFile } from './parseFile.js';

/** A file listed this scan, with its text when it was read (its checksum changed) or why it could not be. */
export interface Listed {
  path: string;
  checksum: string;
  read?: { text: string } | { error: string };
}

/** The files that must be read: new ones, changed ones, and those whose last read failed. */
export function toRead(listed: readonly { path: string; checksum: string }[], previous: ScanState): string[] {
  return listed.filter((f) => previous.get(f.path)?.checksum !== f.checksum).map((f) => f.path);
}

export function planScan(listed: readonly Listed[], previous: ScanState, ctx: ScanContext): ScanPlan {
  const label = sourceLabelValue(ctx.source);
  const files = [...listed].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const state = new Map<string, FileRecord>();
  const read: string[] = [];
  for (const f of files) {
    const before = previous.get(f.path);
    if (f.read === undefined && before !== undefined && before.checksum === f.checksum) {
      state.set(f.path, before);
      continue;
    }
    if (f.read === undefined) throw new Error(`file ${f.path} changed but was not read`);
    read.push(f.path);
    if ('error' in f.read) {
      // An empty checksum: the next scan reads it again.
      state.set(f.path, { path: f.path, checksum: '', parseProblem: `cannot be read: ${f.read.error}` });
      continue;
    }
    const parsed = parseFile(f.read.text, f.path, ctx.namespace);
    state.set(f.path, parsed.ok
      ? { path: f.path, checksum: f.checksum, declared: parsed.objects.map((o) => decorate(o, f.path, label)) }
      : { path: f.path, checksum: f.checksum, parseProblem: parsed.problems.join('; ') });
  }

  const mine = ctx.live.filter((l) => l.source === label);
  const liveById = new Map(ctx.live.map((l) => [idOf(l.object), l]));
  const lastGood = (path: string) => mine.filter((l) => l.file === path).map((l) => l.object);
  const problems = new Map<string, string[]>();
  for (const r of state.values()) if (r.parseProblem !== undefined) problems.set(r.path, [r.parseProblem]);
  const good = () => [...state.values()].filter((r) => r.declared !== undefined && !problems.has(r.path));
  const flag = (path: string, message: string) => problems.set(path, [...(problems.get(path) ?? []), message]);

  // Duplicates: an object another source loaded, or one another file of this source holds in the
  // cluster, or (both new) one an earlier file declares.
  const owner = new Map<string, string>();
  for (const r of good()) {
    for (const o of r.declared ?? []) {
      const live = liveById.get(idOf(o));
      if (live?.source !== undefined && live.source !== label) flag(r.path, `${idOf(o)} is loaded by DefinitionSource ${live.source} (file ${live.file ?? '?'}); it is not applied from here`);
      else if (live?.source === label && live.file !== undefined && live.file !== r.path && good().some((g) => g.path === live.file && g.declared?.some((d) => idOf(d) === idOf(o)))) {
        flag(r.path, `${idOf(o)} is declared in ${live.file} too, which holds it`);
      }
    }
  }
  for (const r of good()) {
    for (const o of r.declared ?? []) {
      const first = owner.get(idOf(o));
      if (first !== undefined && first !== r.path) flag(r.path, `${idOf(o)} is declared in ${first} too`);
      else owner.set(idOf(o), r.path);
    }
  }

  // The whole graph, to a fixed point: a file that fails leaves its last good objects in the graph,
  // which may make another file fail in turn.
  for (let round = 0; round <= state.size; round++) {
    const objects = graphObjects(good(), [...state.keys()].filter((p) => problems.has(p)), ctx.live, mine, lastGood, ctx.prune);
    const fileOf = new Map<string, string>();
    for (const r of good()) for (const o of r.declared ?? []) fileOf.set(idOf(o), r.path);
    let flagged = false;
    for (const p of checkGraph(objects)) {
      const file = fileOf.get(`${p.kind}/${p.name}`);
      if (file === undefined || p.namespace !== ctx.namespace) continue;
      flag(file, `${p.kind}/${p.name}: ${p.message}`);
      flagged = true;
    }
    if (!flagged) break;
  }

  const apply: ApplyStep[] = [];
  const declaredIds = new Set<string>();
  for (const r of good()) {
    for (const o of r.declared ?? []) {
      declaredIds.add(idOf(o));
      const live = liveById.get(idOf(o));
      if (live?.pruned === true) apply.push({ file: r.path, object: o, why: 'Resumed' });
      else if (live === undefined || live.digest !== o.metadata.annotations?.[DIGEST_ANNOTATION]) apply.push({ file: r.path, object: o, why: 'Changed' });
    }
  }

  const prune: PruneStep[] = [];
  const keep = new Set(files.filter((f) => problems.has(f.path)).map((f) => f.path));
  for (const l of mine) {
    const id = idOf(l.object);
    if (declaredIds.has(id) || (l.file !== undefined && keep.has(l.file))) continue;
    const step = pruneStep(l, ctx.prune);
    if (step !== undefined) prune.push(step);
  }

  const statuses: FileStatus[] = files.map((f) => {
    const record = state.get(f.path) as FileRecord;
    const problem = problems.get(f.path);
    const held = problem === undefined ? (record.declared ?? []) : lastGood(f.path);
    return { path: f.path, checksum: f.checksum, objects: held.map(idOf), ...(problem !== undefined ? { problem: problem.join('; ') } : {}) };
  });
  return { state, files: statuses, apply, prune, read, revision: revisionOf(files) };
}

/** What the graph check sees: the good files' objects, the last good objects of bad files, and everything else live that stays. */
function graphObjects(good: FileRecord[], bad: string[], live: readonly LiveObject[], mine: readonly LiveObject[], lastGood: (path: string) => HomeostatObject[], prune: ScanContext['prune']): HomeostatObject[] {
  const objects = new Map<string, HomeostatObject>();
  for (const l of live) if (!mine.includes(l) || prune !== 'Delete') objects.set(idOf(l.object), l.object);
  for (const path of bad) for (const o of lastGood(path)) objects.set(idOf(o), o);
  for (const r of good) for (const o of r.declared ?? []) objects.set(idOf(o), o);
  return [...objects.values()];
}

function pruneStep(live: LiveObject, policy: ScanContext['prune']): PruneStep | undefined {
  const id = { kind: live.object.kind, name: live.object.metadata.name };
  const file = live.file ?? '';
  if (policy === 'Delete') return { id, file, action: 'Delete' };
  // Only Dags and Expectations can be suspended; the other kinds act on nothing by themselves.
  if (policy === 'Orphan' || live.pruned || (id.kind !== 'Dag' && id.kind !== 'Expectation')) return undefined;
  const { metadata } = live.object;
  const annotations = { ...pick(metadata.annotations, [SOURCE_FILE_ANNOTATION, DIGEST_ANNOTATION]), [PRUNED_ANNOTATION]: `file ${file} is gone` };
  const object = {
    apiVersion: live.object.apiVersion,
    kind: live.object.kind,
    metadata: { name: metadata.name, namespace: metadata.namespace, labels: pick(metadata.labels, [SOURCE_LABEL]), annotations },
    spec: { ...live.object.spec, suspend: true },
  } as HomeostatObject;
  return { id, file, action: 'Suspend', object };
}

/** The object as applied: the source label, the file and the digest of the rest as annotations. */
function decorate(object: HomeostatObject, file: string, label: string): HomeostatObject {
  const { metadata } = object;
  const base = {
    ...object,
    metadata: {
      ...metadata,
      labels: { ...metadata.labels, [SOURCE_LABEL]: label },
      annotations: { ...metadata.annotations, [SOURCE_FILE_ANNOTATION]: file },
    },
  } as HomeostatObject;
  const digest = createHash('sha256').update(canonical(base)).digest('hex').slice(0, 32);
  return { ...base, metadata: { ...base.metadata, annotations: { ...base.metadata.annotations, [DIGEST_ANNOTATION]: digest } } } as HomeostatObject;
}

/** JSON with sorted keys: equal objects give equal text whatever their key order. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function revisionOf(files: readonly { path: string; checksum: string }[]): string {
  const hash = createHash('sha256');
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : 1))) hash.update(`${f.path}\0${f.checksum}\n`);
  return `sha256:${hash.digest('hex').slice(0, 40)}`;
}

const pick = (map: Record<string, string> | undefined, keys: string[]): Record<string, string> =>
  Object.fromEntries(keys.filter((k) => map?.[k] !== undefined).map((k) => [k, map?.[k] as string]));
