/**
 * The informers of Homeostat's kinds, built one way for every user: lists paged, objects cut to
 * what the controller and the read API read (leanObjects.ts) on receipt. On the leader the
 * WorldCache and the read API's ViewCache share them (one copy of every object); a standby has
 * only the ViewCache's.
 */
import type { KubernetesListObject } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../api/schema/kind.js';
import type { KindName } from '../api/types.js';
import type { Logger } from '../runtime/log.js';
import type { Clock } from '../runtime/ports.js';
import type { KubeClients } from './client.js';
import { leanCustomObject } from './leanObjects.js';
import { combinedFactory, type InformerFactory, kubeInformerFactory, type ListPage, ResilientInformer, type ResilientInformerOptions } from './resilientInformer.js';
import type { RawObject } from './worldCache.js';

export const KIND_PLURALS: Record<KindName, string> = {
  StateChecker: 'statecheckers',
  Expectation: 'expectations',
  Dag: 'dags',
  DagRun: 'dagruns',
  DagDependency: 'dagdependencies',
};

export type KindInformers<K extends KindName = KindName> = Record<K, ResilientInformer<RawObject>>;

/** How one kind is listed and watched: every namespace, or each of `namespaces`. */
export function kindFactory(clients: KubeClients, plural: string, namespaces: readonly string[] | undefined): InformerFactory<RawObject> {
  const { custom, config } = clients;
  const transform = leanCustomObject<RawObject>;
  if (namespaces === undefined) {
    const list = (page: ListPage) => custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural, ...page }) as Promise<KubernetesListObject<RawObject>>;
    return kubeInformerFactory<RawObject>({ config, path: `/apis/${GROUP}/${VERSION}/${plural}`, list, transform });
  }
  return combinedFactory(
    namespaces.map((namespace) => {
      const list = (page: ListPage) => custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural, ...page }) as Promise<KubernetesListObject<RawObject>>;
      return kubeInformerFactory<RawObject>({ config, path: `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${plural}`, list, transform });
    }),
  );
}

export interface KindInformerOptions {
  clients: KubeClients;
  namespaces: readonly string[] | undefined;
  log: Logger;
  clock?: Clock;
  informer?: Pick<ResilientInformerOptions<RawObject>, 'watchdogMs' | 'resyncMs' | 'restartInitialMs' | 'restartMaxMs'>;
  /** Called when the watch of a resource restarts (metrics). */
  onRestart?: (resource: string) => void;
  /** Replaces the real informers (tests). */
  factoryFor?: (kind: KindName) => InformerFactory<RawObject>;
}

/** One informer per kind asked for; not started. */
export function kindInformers<K extends KindName>(kinds: readonly K[], options: KindInformerOptions): KindInformers<K> {
  const entries = kinds.map((kind) => {
    const plural = KIND_PLURALS[kind];
    const informer = new ResilientInformer<RawObject>({
      resource: plural,
      factory: options.factoryFor?.(kind) ?? kindFactory(options.clients, plural, options.namespaces),
      log: options.log,
      ...(options.clock !== undefined ? { clock: options.clock } : {}),
      ...options.informer,
      onRestart: () => options.onRestart?.(plural),
    });
    return [kind, informer] as const;
  });
  return Object.fromEntries(entries) as KindInformers<K>;
}
