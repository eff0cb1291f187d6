/**
 * What the informers keep of each object: only the fields the controller (and the read API)
 * reads, cut on receipt, before client-node's cache or ours holds the object. With 10,000
 * Expectations the API server's bookkeeping (managedFields, often bigger than the object),
 * kubectl's last-applied-configuration annotation, and a Job's Pod template (a checker Job carries
 * its whole request in an environment variable) would otherwise be most of the controller's memory.
 *
 * Kept of every object: name, namespace, uid, generation, resourceVersion, creationTimestamp,
 * deletionTimestamp, labels, and the annotations of Homeostat (`homeostat.dev/...`: rerun, source
 * file, digest, pruned, node, ...). Dropped: managedFields, other annotations, ownerReferences,
 * finalizers. Then, by kind:
 * - Homeostat's kinds: spec and status whole (the engine validates the spec; the StatusStore and
 *   the read API read the status).
 * - Jobs: status (its conditions say how it ended) and spec without its Pod template and selector.
 * - Pods: the phase and the container statuses (a checker's verdict is its termination message);
 *   no spec.
 */
import type { KubernetesObject, V1Job, V1ObjectMeta, V1Pod } from '@kubernetes/client-node';
import { keptOnce } from '../api/boundedTable.js';

/** Annotations with this prefix are Homeostat's own: the only ones kept. */
export const KEPT_ANNOTATION_PREFIX = 'homeostat.dev/';

const KEPT_METADATA = ['name', 'namespace', 'uid', 'generation', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp', 'labels'] as const;

/**
 * The metadata the controller reads, in a fresh object (the received one is left to the collector).
 * What many objects repeat is held once: the namespace, the creation second (objects created in
 * one go share it), and the labels as a whole (the same few sets on thousands of objects); the
 * name, uid and resourceVersion are each object's own.
 */
export function leanMetadata(metadata: V1ObjectMeta | undefined): V1ObjectMeta {
  const out: V1ObjectMeta = {};
  if (metadata === undefined) return out;
  const from = metadata as Record<string, unknown>;
  const to = out as Record<string, unknown>;
  for (const key of KEPT_METADATA) {
    const value = from[key];
    if (value === undefined) continue;
    to[key] = key === 'namespace' || key === 'creationTimestamp' ? internValue(value) : key === 'labels' ? internMap(value) : value;
  }
  const annotations = metadata.annotations;
  if (annotations !== undefined) {
    let kept: Record<string, string> | undefined;
    for (const key of Object.keys(annotations)) if (key.startsWith(KEPT_ANNOTATION_PREFIX)) (kept ??= {})[key] = annotations[key] as string;
    if (kept !== undefined) out.annotations = internMap(kept) as Record<string, string>;
  }
  return out;
}

/** The interned copy of a string; anything else as it is. */
function internValue(value: unknown): unknown {
  return typeof value === 'string' ? intern(value) : value;
}

/** A map of strings (labels, annotations) held once with its keys and values; anything else as it is. */
function internMap(value: unknown): unknown {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? internLeaf(value as Record<string, unknown>) : value;
}

/** The fields of every object: apiVersion and kind, interned (one per kind, not one per object). */
function typeFields(object: KubernetesObject): { apiVersion?: string; kind?: string } {
  return {
    ...(object.apiVersion !== undefined ? { apiVersion: intern(object.apiVersion) } : {}),
    ...(object.kind !== undefined ? { kind: intern(object.kind) } : {}),
  };
}

/**
 * Each string value of the objects' specs and statuses kept once. A parsed object has its own copy
 * of every string, and 10,000 Expectations written in one pass repeat the same few: one
 * lastTransitionTime in every condition, the same reasons, messages, checker and image names.
 * Cleared when full, so it never holds more than INTERNED_MAX strings whatever comes and goes.
 */
const interned = new Map<string, string>();
const INTERNED_MAX = 20_000;
/** Longer strings (a message with details, a script) are seldom the same twice. */
const INTERNED_MAX_LENGTH = 200;

function intern(text: string): string {
  return text.length > INTERNED_MAX_LENGTH ? text : keptOnce(interned, INTERNED_MAX, text, text);
}

/**
 * Small objects of plain values (a condition, a status' counts, a checker reference, a container's
 * resources) kept once too: 10,000 Expectations written in one pass carry the same few thousand,
 * each ~100 bytes. Keyed by their JSON (key order included); bounded and cleared as the strings are.
 * Safe because nothing edits an informer's object: a change arrives as a new object.
 */
const internedLeaves = new Map<string, Record<string, unknown>>();
const INTERNED_LEAVES_MAX = 5_000;
/** A longer key is seldom the same twice, and would cost more to keep than it saves. */
const INTERNED_LEAF_KEY_MAX = 300;

/** The object itself when one of its values is an object or an array, else its interned copy (its strings interned). */
function internLeaf(object: Record<string, unknown>): Record<string, unknown> {
  // for-in, not Object.keys: no key arrays for the many objects of every status.
  for (const key in object) {
    const value = object[key];
    if (Object.hasOwn(object, key) && value !== null && typeof value === 'object') return object;
  }
  for (const key in object) {
    const value = object[key];
    if (Object.hasOwn(object, key) && typeof value === 'string') object[key] = intern(value);
  }
  const key = JSON.stringify(object);
  return key.length > INTERNED_LEAF_KEY_MAX ? object : keptOnce(internedLeaves, INTERNED_LEAVES_MAX, key, object);
}

/**
 * Replaces, in place, every string of a parsed JSON value by its interned copy, and every small
 * object of plain values by its interned one (an explicit stack: any depth).
 */
function internStrings(value: unknown): void {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) node[i] = internField(node[i], stack);
      continue;
    }
    const fields = node as Record<string, unknown>;
    for (const key in fields) if (Object.hasOwn(fields, key)) fields[key] = internField(fields[key], stack);
  }
}

/** A field's interned string or small object; a larger object or a list is left for the walk (`stack`). */
function internField(field: unknown, stack: unknown[]): unknown {
  if (typeof field === 'string') return intern(field);
  if (field === null || typeof field !== 'object') return field;
  const leaf = Array.isArray(field) ? field : internLeaf(field as Record<string, unknown>);
  if (leaf === field) stack.push(field);
  return leaf;
}

/**
 * A Homeostat object (StateChecker, Expectation, Dag, DagRun, DagDependency): lean metadata, spec
 * and status, their strings and small objects interned (the received object is the informer's own: changed in place).
 */
export function leanCustomObject<T extends KubernetesObject & { spec?: unknown; status?: unknown }>(object: T): T {
  internStrings(object.spec);
  internStrings(object.status);
  return {
    ...typeFields(object),
    metadata: leanMetadata(object.metadata),
    ...(object.spec !== undefined ? { spec: object.spec } : {}),
    ...(object.status !== undefined ? { status: object.status } : {}),
  } as T;
}

/** A Job Homeostat created: how it ended, its deadline; not its Pod template. */
export function leanJob(job: V1Job): V1Job {
  const spec = job.spec === undefined ? undefined : (({ template: _template, selector: _selector, ...rest }) => rest)(job.spec);
  return {
    ...typeFields(job),
    metadata: leanMetadata(job.metadata),
    ...(spec !== undefined ? { spec: spec as V1Job['spec'] } : {}),
    ...(job.status !== undefined ? { status: job.status } : {}),
  };
}

/** A Pod of Homeostat's Jobs: its phase and container states (where a checker's verdict is). */
export function leanPod(pod: V1Pod): V1Pod {
  const status = pod.status;
  return {
    ...typeFields(pod),
    metadata: leanMetadata(pod.metadata),
    ...(status !== undefined ? { status: { ...(status.phase !== undefined ? { phase: status.phase } : {}), ...(status.containerStatuses !== undefined ? { containerStatuses: status.containerStatuses } : {}) } } : {}),
  };
}
