/**
 * The controller's pod policy flags (the chart's `podPolicy:` values become these):
 * `--protected-namespaces`, `--allowed-service-accounts`, `--pod-policy-allow` and
 * `--allowed-capabilities`, each a comma-separated list.
 */
import { InvalidArgumentError } from 'commander';
import { parseServiceAccountEntry, POD_FEATURES, type PodFeature, type PodPolicy } from '../api/podPolicy.js';

export interface PodPolicyFlags {
  /** Undefined: the controller's own namespace ($POD_NAMESPACE, else the leader election namespace when given). */
  protectedNamespaces?: string[];
  allowedServiceAccounts?: string[];
  podPolicyAllow?: PodFeature[];
  allowedCapabilities?: string[];
}

const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const CAPABILITY = /^[A-Za-z_]{1,64}$/;

/** A comma-separated list (empty: none), each entry checked by `problem`. */
function listOf<T extends string>(problem: (entry: string) => string | undefined) {
  return (text: string): T[] => {
    const entries = text.split(',').map((e) => e.trim()).filter((e) => e !== '');
    for (const entry of entries) {
      const why = problem(entry);
      if (why !== undefined) throw new InvalidArgumentError(why);
    }
    return [...new Set(entries)] as T[];
  };
}

export const parseProtectedNamespaces = listOf((n) => (NAMESPACE_NAME.test(n) ? undefined : `${JSON.stringify(n)} is not a namespace name`));
export const parseServiceAccounts = listOf(parseServiceAccountEntry);
export const parsePodFeatures = listOf<PodFeature>((f) => ((POD_FEATURES as readonly string[]).includes(f) ? undefined : `${JSON.stringify(f)} is not one of ${POD_FEATURES.join(', ')}`));
export const parseCapabilities = listOf((c) => (CAPABILITY.test(c) ? undefined : `${JSON.stringify(c)} is not a capability name (like NET_BIND_SERVICE)`));

/** The policy from the flags; `ownNamespace` is protected unless --protected-namespaces says otherwise. */
export function podPolicyOf(flags: PodPolicyFlags, ownNamespace: string | undefined): PodPolicy {
  return {
    protectedNamespaces: flags.protectedNamespaces ?? (ownNamespace !== undefined ? [ownNamespace] : []),
    serviceAccounts: flags.allowedServiceAccounts ?? [],
    allow: flags.podPolicyAllow ?? [],
    capabilities: flags.allowedCapabilities ?? [],
  };
}
