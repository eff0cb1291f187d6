/**
 * Starts the DefinitionSource loader inside the controller: an informer of DefinitionSources (in
 * the watched namespaces) feeding a SourceLoader, whose view of the cluster is the WorldCache's
 * informers and whose Events name the sources by uid.
 */
import type { KubernetesListObject } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../api/schema/kind.js';
import type { DefinitionSource } from '../api/types.js';
import type { Logger } from '../runtime/log.js';
import type { Clock } from '../runtime/ports.js';
import type { KubeClients } from './client.js';
import { EventRecorder, kubeEventsApi } from './eventRecorder.js';
import { combinedFactory, kubeInformerFactory, ResilientInformer, type ResilientInformerOptions } from './resilientInformer.js';
import { kubeSourceApi } from './sourceApi.js';
import { SourceLoader, type SourceLoaderOptions } from './sourceLoader.js';
import type { RawObject, WorldCache } from './worldCache.js';

const PLURAL = 'definitionsources';

export interface SourceLoaderStart extends Pick<SourceLoaderOptions, 'directoryRoots' | 'retryInitialMs' | 'endpointPolicy'> {
  clients: KubeClients;
  log: Logger;
  clock: Clock;
  holder: string;
  world: WorldCache;
  namespaces: readonly string[] | undefined;
  informerOptions: Omit<ResilientInformerOptions<never>, 'resource' | 'factory'>;
}

export function startSourceLoader(options: SourceLoaderStart): { loader: SourceLoader; informer: ResilientInformer<RawObject>; stop(): Promise<void> } {
  const { clients, log, clock, world, namespaces } = options;
  const { custom, config } = clients;
  const inNamespace = (namespace: string | undefined) => {
    const path = namespace === undefined ? `/apis/${GROUP}/${VERSION}/${PLURAL}` : `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}`;
    const list = () =>
      (namespace === undefined
        ? custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL })
        : custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL })) as Promise<KubernetesListObject<RawObject>>;
    return kubeInformerFactory<RawObject>({ config, path, list });
  };
  const factory = namespaces === undefined ? inNamespace(undefined) : combinedFactory(namespaces.map(inNamespace));
  const informer = new ResilientInformer<RawObject>({ ...options.informerOptions, resource: PLURAL, factory });
  const events = new EventRecorder({
    api: kubeEventsApi(clients),
    log,
    instance: options.holder,
    clock,
    uidOf: (ref) => informer.get(ref.namespace, ref.name)?.metadata?.uid,
  });
  const loader = new SourceLoader({
    api: kubeSourceApi(clients, (kind, namespace) => world.informers[kind].list(namespace)),
    events,
    log,
    clock,
    ...(options.directoryRoots !== undefined ? { directoryRoots: options.directoryRoots } : {}),
    ...(options.retryInitialMs !== undefined ? { retryInitialMs: options.retryInitialMs } : {}),
    ...(options.endpointPolicy !== undefined ? { endpointPolicy: options.endpointPolicy } : {}),
  });
  const typed = (raw: RawObject) => raw as unknown as DefinitionSource;
  informer.on('add', (s) => loader.upsert(typed(s)));
  informer.on('update', (s) => loader.upsert(typed(s)));
  informer.on('delete', (s) => loader.delete(typed(s)));
  informer.start();
  return {
    loader,
    informer,
    async stop() {
      await informer.stop();
      await loader.stop();
      await Promise.race([events.flush(), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
    },
  };
}
