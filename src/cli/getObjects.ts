/**
 * Where `homeostat get` reads objects from: the cluster (a list call per kind, the label selector
 * answered by the API server), or with -d/--state the status the embedded mode writes (the same
 * selector matched here). Both give objects as `kubectl get -o json` would, sorted by namespace
 * and name.
 */
import { readFileSync } from 'node:fs';
import { GROUP, type KindDefinition, VERSION } from '../api/schema/index.js';
import { matchesLabels, type Requirement } from '../api/labelSelector.js';
import { connect, describeError, resourceOf, statusOf } from '../kube/client.js';
import type { StatusDocument } from '../local/statusFile.js';
import type { ListedObject } from './columns.js';

export interface Scope {
  /** Undefined: every namespace. */
  namespace: string | undefined;
  /** As the user wrote it (the API server parses it again); undefined for none. */
  selector: string | undefined;
  requirements: Requirement[];
}

/** A failure to read: said as `error: <message>`. */
export class GetError extends Error {}

const byName = (a: ListedObject, b: ListedObject) => `${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace ?? ''}/${b.metadata.name}`);

/** The objects of each kind in status.json that are in scope. Throws GetError. */
export function embeddedObjects(path: string, kinds: readonly KindDefinition[], scope: Scope): Map<KindDefinition, ListedObject[]> {
  let doc: StatusDocument;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8')) as StatusDocument;
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new GetError(`${path}: ${missing ? 'no status yet; run `homeostat dev` on the directory first' : (error as Error).message}`);
  }
  const found = new Map<KindDefinition, ListedObject[]>();
  for (const def of kinds) {
    const objects = (doc.objects as ListedObject[]).filter((o) => o.kind === def.kind && (scope.namespace === undefined || o.metadata.namespace === scope.namespace) && matchesLabels(scope.requirements, o.metadata.labels));
    found.set(def, objects.sort(byName));
  }
  return found;
}

/** The cluster's namespace for a kubeconfig: its current context's, else default (as kubectl). */
export function contextNamespace(kubeconfig: string | undefined): string {
  const clients = load(kubeconfig);
  return clients.config.getContextObject(clients.config.getCurrentContext())?.namespace ?? 'default';
}

function load(kubeconfig: string | undefined): ReturnType<typeof connect> {
  try {
    return connect(kubeconfig);
  } catch (error) {
    throw new GetError(`loading the kubeconfig${kubeconfig !== undefined ? ` ${kubeconfig}` : ''}: ${(error as Error).message} (for the embedded mode's status, give -d DIR)`);
  }
}

/** The objects of each kind in the cluster that are in scope. Throws GetError naming the list call. */
export async function clusterObjects(kubeconfig: string | undefined, kinds: readonly KindDefinition[], scope: Scope): Promise<Map<KindDefinition, ListedObject[]>> {
  const clients = load(kubeconfig);
  const found = new Map<KindDefinition, ListedObject[]>();
  for (const def of kinds) {
    const selector = scope.selector !== undefined ? { labelSelector: scope.selector } : {};
    try {
      const list = (scope.namespace !== undefined
        ? await clients.custom.listNamespacedCustomObject({ ...resourceOf(def.plural, scope.namespace), ...selector })
        : await clients.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: def.plural, ...selector })) as { items?: ListedObject[] };
      found.set(def, (list.items ?? []).map((o) => ({ ...o, apiVersion: o.apiVersion ?? `${GROUP}/${VERSION}`, kind: o.kind ?? def.kind })).sort(byName));
    } catch (error) {
      // No answer at all is most often no cluster: the user may have meant the embedded mode.
      const hint = statusOf(error) === undefined ? ` (the API server at ${clients.config.getCurrentCluster()?.server ?? '?'}; for the embedded mode's status, give -d DIR)` : '';
      throw new GetError(`listing ${def.plural}.${GROUP} ${scope.namespace !== undefined ? `in namespace ${scope.namespace}` : 'in every namespace'}: ${describeError(error)}${hint}`);
    }
  }
  return found;
}
