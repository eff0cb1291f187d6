/**
 * What Homeostat writes on the Jobs (and their Pods) it creates: labels to select them by, and
 * annotations for what labels cannot hold (a node id, a partition, a time). Label values are at
 * most 63 characters of `[A-Za-z0-9._-]`, so names and node ids go in as `labelValue`s or hashes.
 */
import { dnsSafe, fnv1a } from '../engine/actionNames.js';
import { MANAGED_BY_LABEL, MANAGER } from '../api/wellKnown.js';
import type { CheckRequest, OwnerRef } from '../engine/index.js';

export const Label = {
  /** Always `homeostat`: every object Homeostat created, and only those. */
  managedBy: MANAGED_BY_LABEL,
  /** `action` (a lease's Job) or `checker` (a Job-mode StateChecker's Job). */
  role: 'homeostat.dev/role',
  /** `Expectation` or `Dag`. */
  ownerKind: 'homeostat.dev/owner-kind',
  /** The owner's name (as a label value: see `labelValue`). */
  owner: 'homeostat.dev/owner',
  /** The Dag task of an action. */
  task: 'homeostat.dev/task',
  /** fnv1a of the node id: selects every attempt of one node. */
  nodeHash: 'homeostat.dev/node-hash',
  /** The StateChecker a checker Job runs. */
  checker: 'homeostat.dev/checker',
  /** On Pod templates: the Job's name, so a Pod is found without the job controller's labels. */
  job: 'homeostat.dev/job',
} as const;

export const Annotation = {
  /** The full node id. */
  node: 'homeostat.dev/node',
  /** The partition key (or the period of a Dag task). */
  partition: 'homeostat.dev/partition',
  attempt: 'homeostat.dev/attempt',
  /** When the lease expires, ISO-8601. */
  leaseExpiresAt: 'homeostat.dev/lease-expires-at',
  /** The owner's full name, when `homeostat.dev/owner` had to shorten it. */
  owner: 'homeostat.dev/owner',
  /** A checker Job: how many partitions its request carries. */
  partitions: 'homeostat.dev/partitions',
} as const;

export { MANAGER };

export type Role = 'action' | 'checker';

/** The label selector of Homeostat's Jobs (and Pods) of one role, for informers and lists. */
export const selectorOf = (role: Role): string => `${Label.managedBy}=${MANAGER},${Label.role}=${role}`;

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/**
 * A text as a label value: itself when it is one, else its valid characters cut to fit, followed
 * by a hash of the whole text, so two long names stay apart.
 */
export function labelValue(text: string): string {
  if (text.length <= 63 && LABEL_VALUE.test(text)) return text;
  const suffix = `-${fnv1a(text)}`;
  const stem = text.replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 63 - suffix.length).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return stem === '' ? suffix.slice(1) : `${stem}${suffix}`;
}

/** The labels every Homeostat Job and Pod of an owner carries. */
export function ownerLabels(owner: OwnerRef, role: Role): Record<string, string> {
  return { [Label.managedBy]: MANAGER, [Label.role]: role, [Label.ownerKind]: owner.kind, [Label.owner]: labelValue(owner.name) };
}

/**
 * The name of the Job of one check request: `<owner>-check-<hash>`. Unique per request: the hash
 * covers the request, the time it was made and a sequence number, because an identical batch asked
 * again later (a recheck) must not adopt the finished Job, and stale verdict, of the first one.
 */
export function checkJobName(request: CheckRequest, requestedAt: number, sequence: number): string {
  const identity = [request.owner.kind, request.owner.namespace, request.owner.name, request.checker.namespace, request.checker.name, ...request.items.map((i) => i.node)].join('\n');
  const suffix = `-check-${fnv1a(`${identity}@${requestedAt}#${sequence}`)}`;
  return `${dnsSafe(request.owner.name).slice(0, 63 - suffix.length).replace(/-+$/, '')}${suffix}`;
}

/**
 * The owner of a node, read from its id (`Kind/namespace/name|...`, src/engine/wiring.ts), or
 * undefined when the id has another shape. Leases do not carry their namespace; this does.
 */
export function ownerOfNode(node: string): OwnerRef | undefined {
  const [kind, namespace, name, ...rest] = (node.split('|')[0] ?? '').split('/');
  if ((kind !== 'Expectation' && kind !== 'Dag') || namespace === undefined || namespace === '' || name === undefined || name === '' || rest.length > 0) return undefined;
  return { kind, namespace, name };
}
