/**
 * The defaults that make the Pods of actions and checkers meet the `restricted` Pod Security
 * profile where their templates say nothing: non-root, the runtime's default seccomp profile, no
 * privilege escalation, every capability dropped. A field the template sets is kept as written
 * (the pod policy, api/podPolicy.ts, has already refused what the administrator does not allow).
 */
import type { V1Container, V1PodSpec, V1SecurityContext } from '@kubernetes/client-node';

/**
 * The pod spec with the restricted defaults filled in. The input is not modified. Where a default
 * would contradict what the template asks (a privileged container or one adding SYS_ADMIN cannot
 * refuse privilege escalation; a container running as uid 0 cannot run under runAsNonRoot) it is
 * left out, so the API server or the kubelet never refuses a Pod for a value the user did not write.
 */
export function withRestrictedDefaults(spec: V1PodSpec): V1PodSpec {
  const containers = [...spec.containers, ...(spec.initContainers ?? [])];
  const rootWanted = spec.securityContext?.runAsUser === 0 || containers.some((c) => c.securityContext?.runAsUser === 0);
  const pod = { ...spec.securityContext };
  if (pod.runAsNonRoot === undefined && !rootWanted) pod.runAsNonRoot = true;
  if (pod.seccompProfile === undefined) pod.seccompProfile = { type: 'RuntimeDefault' };
  return {
    ...spec,
    securityContext: pod,
    containers: spec.containers.map(restrictedContainer),
    ...(spec.initContainers !== undefined ? { initContainers: spec.initContainers.map(restrictedContainer) } : {}),
  };
}

function restrictedContainer(container: V1Container): V1Container {
  const security: V1SecurityContext = { ...container.securityContext };
  const added = (security.capabilities?.add ?? []).map((c) => c.toUpperCase().replace(/^CAP_/, ''));
  // The API server refuses allowPrivilegeEscalation=false next to privileged or CAP_SYS_ADMIN.
  if (security.allowPrivilegeEscalation === undefined && security.privileged !== true && !added.includes('SYS_ADMIN')) security.allowPrivilegeEscalation = false;
  if (security.capabilities?.drop === undefined) security.capabilities = { ...security.capabilities, drop: ['ALL'] };
  return { ...container, securityContext: security };
}
