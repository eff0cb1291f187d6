/**
 * The administrator's policy for the Pods the controller creates on a user's behalf. Creating an
 * Expectation, a Dag or a StateChecker means running Pods with the controller's cluster-wide
 * `jobs create` (as Argo Workflows puts it, "create workflow" means "create pods"), so what a
 * template may ask for is decided here, when the object is compiled: an object that breaks the
 * policy is Valid=False with the path of the field at fault, and no Job is ever created for it.
 * Pure: the controller gets the policy from its flags (the chart's `podPolicy:` values).
 */
import { formatPath, type PathSegment } from './fieldPath.js';
import { DEFAULT_NAMESPACE } from './schema/index.js';
import type { HomeostatObject } from './types.js';

/** Host and privilege features a Pod template may use only when the administrator allows them. */
export const POD_FEATURES = ['hostNetwork', 'hostPID', 'hostIPC', 'hostPath', 'hostPorts', 'privileged'] as const;
export type PodFeature = (typeof POD_FEATURES)[number];

export interface PodPolicy {
  /**
   * Namespaces whose Homeostat objects are refused outright: the controller's own (where its
   * service account, its Lease and its secrets live). The controller's flag defaults it to the
   * namespace it runs in.
   */
  protectedNamespaces: readonly string[];
  /**
   * The service accounts Pods may run as, each `namespace/name`, with `*` as the namespace for
   * every namespace. A Pod that names none runs as `default`, which is always allowed.
   */
  serviceAccounts: readonly string[];
  /** Host and privilege features allowed (none by default). */
  allow: readonly PodFeature[];
  /** Capabilities containers may add (`securityContext.capabilities.add`); none by default. */
  capabilities: readonly string[];
}

/** The policy when the administrator says nothing: no namespace protected here (the CLI adds its own), only `default`, no host features. */
export const DEFAULT_POD_POLICY: PodPolicy = { protectedNamespaces: [], serviceAccounts: [], allow: [], capabilities: [] };

/** Why an object is refused; the reason of its Valid=False condition. */
export const PolicyReason = {
  /** The object lives in a namespace the controller protects (its own). */
  ProtectedNamespace: 'ProtectedNamespace',
  /** A Pod template (or a checker's service account) asks for what the pod policy does not allow. */
  PodPolicyViolation: 'PodPolicyViolation',
  /** The Expectation's StateChecker breaks the pod policy, so its checks cannot run. */
  CheckerRefused: 'CheckerRefused',
} as const;

export interface PolicyProblem {
  kind: HomeostatObject['kind'];
  namespace: string;
  name: string;
  reason: string;
  message: string;
}

/**
 * Every object the policy refuses, one problem each: first its namespace, else each field of its
 * Pod templates (or StateChecker) that breaks the policy, all named in the message (`spec.tasks[0]
 * .job.template.spec.hostNetwork: ...; ...`). Objects of other kinds in a protected namespace are
 * refused too. Reads any shape (a template is stored as given) and never throws.
 */
export function checkPodPolicy(objects: readonly HomeostatObject[], policy: PodPolicy): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  for (const object of objects) {
    const namespace = object.metadata.namespace ?? DEFAULT_NAMESPACE;
    const at = { kind: object.kind, namespace, name: object.metadata.name };
    if (policy.protectedNamespaces.includes(namespace)) {
      problems.push({ ...at, reason: PolicyReason.ProtectedNamespace, message: `namespace ${namespace} is the controller's own: Homeostat objects there are refused, so no Pod runs with its rights (--protected-namespaces)` });
      continue;
    }
    const violations = objectViolations(object, namespace, policy);
    if (violations.length > 0) problems.push({ ...at, reason: PolicyReason.PodPolicyViolation, message: violations.join('; ') });
  }
  return problems;
}

/** The fields of one object that break the policy, each `path: why`. */
export function objectViolations(object: HomeostatObject, namespace: string, policy: PodPolicy): string[] {
  const out: string[] = [];
  const spec = record(object.spec);
  if (spec === undefined) return out;
  switch (object.kind) {
    case 'StateChecker':
      serviceAccount(spec.serviceAccountName, ['spec', 'serviceAccountName'], namespace, policy, out);
      break;
    case 'Expectation': {
      const template = record(record(record(spec.action)?.job)?.template);
      if (template !== undefined) podViolations(record(template.spec), ['spec', 'action', 'job', 'template', 'spec'], namespace, policy, out);
      break;
    }
    case 'Dag':
      (Array.isArray(spec.tasks) ? (spec.tasks as unknown[]) : []).forEach((task, i) => {
        const template = record(record(record(task)?.job)?.template);
        if (template !== undefined) podViolations(record(template.spec), ['spec', 'tasks', i, 'job', 'template', 'spec'], namespace, policy, out);
      });
      break;
  }
  return out;
}

const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;

function podViolations(pod: Record<string, unknown> | undefined, at: PathSegment[], namespace: string, policy: PodPolicy, out: string[]): void {
  if (pod === undefined) return;
  const allowed = (feature: PodFeature) => policy.allow.includes(feature);
  const refuse = (path: PathSegment[], why: string, feature: PodFeature) => out.push(`${formatPath(path)}: ${why} is not allowed by the controller's pod policy (allow ${feature} in podPolicy.allow)`);
  serviceAccount(pod.serviceAccountName, [...at, 'serviceAccountName'], namespace, policy, out);
  // The deprecated alias: the API server copies it into serviceAccountName when that is empty.
  serviceAccount(pod.serviceAccount, [...at, 'serviceAccount'], namespace, policy, out);
  for (const feature of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
    if (pod[feature] === true && !allowed(feature)) refuse([...at, feature], feature, feature);
  }
  list(pod.volumes).forEach((volume, i) => {
    if (record(volume)?.hostPath !== undefined && !allowed('hostPath')) refuse([...at, 'volumes', i, 'hostPath'], 'a hostPath volume', 'hostPath');
  });
  for (const field of CONTAINER_LISTS) {
    list(pod[field]).forEach((value, i) => {
      const container = record(value);
      if (container === undefined) return;
      const here = [...at, field, i];
      const security = record(container.securityContext);
      if (security?.privileged === true && !allowed('privileged')) refuse([...here, 'securityContext', 'privileged'], 'a privileged container', 'privileged');
      list(record(security?.capabilities)?.add).forEach((cap, j) => {
        if (!capabilityAllowed(cap, policy)) {
          out.push(`${formatPath([...here, 'securityContext', 'capabilities', 'add', j])}: adding capability ${JSON.stringify(cap)} is not allowed by the controller's pod policy (list it in podPolicy.capabilities)`);
        }
      });
      list(container.ports).forEach((port, j) => {
        const hostPort = record(port)?.hostPort;
        if (hostPort !== undefined && hostPort !== 0 && !allowed('hostPorts')) refuse([...here, 'ports', j, 'hostPort'], 'a hostPort', 'hostPorts');
      });
    });
  }
}

function serviceAccount(value: unknown, at: PathSegment[], namespace: string, policy: PodPolicy, out: string[]): void {
  if (value === undefined || value === '' || value === 'default') return;
  const name = String(value);
  if (policy.serviceAccounts.includes(`${namespace}/${name}`) || policy.serviceAccounts.includes(`*/${name}`)) return;
  out.push(`${formatPath(at)}: service account ${JSON.stringify(name)} is not allowed in namespace ${namespace} by the controller's pod policy (allowed: ${allowedAccounts(namespace, policy)}; add ${namespace}/${name} to podPolicy.serviceAccounts)`);
}

function allowedAccounts(namespace: string, policy: PodPolicy): string {
  const names = policy.serviceAccounts.filter((s) => s.startsWith(`${namespace}/`) || s.startsWith('*/')).map((s) => s.slice(s.indexOf('/') + 1));
  return ['default', ...new Set(names)].join(', ');
}

/** Capabilities are compared without their `CAP_` prefix and case, as container runtimes read them. */
function capabilityAllowed(cap: unknown, policy: PodPolicy): boolean {
  const norm = (c: string) => c.toUpperCase().replace(/^CAP_/, '');
  return typeof cap === 'string' && policy.capabilities.some((c) => norm(c) === norm(cap));
}

const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** Why a service account entry of the policy (`namespace/name`, `*` as the namespace for all) is malformed, or undefined. */
export function parseServiceAccountEntry(entry: string): string | undefined {
  const match = /^(\*|[a-z0-9]([-a-z0-9]*[a-z0-9])?)\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.exec(entry);
  return match === null ? `${JSON.stringify(entry)} is not namespace/name (or */name for every namespace)` : undefined;
}
