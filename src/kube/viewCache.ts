/**
 * The objects the read API shows, watched on every replica (a standby too, which runs no engine
 * and no WorldCache): the four kinds of the graph with their statuses, as the API server has them,
 * and the DefinitionSources when the controller loads them (`--definition-sources`: only then does
 * its RBAC let it watch them). Read-only: it lists and watches, and writes nothing, so a standby
 * stays passive.
 */
import type { KubernetesListObject } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../api/schema/kind.js';
import type { Dag, DagDependency, DefinitionSource, Expectation, StateChecker } from '../api/types.js';
import type { Logger } from '../runtime/log.js';
import type { ViewSource } from '../server/readApi.js';
import type { KubeClients } from './client.js';
import { combinedFactory, type InformerFactory, kubeInformerFactory, ResilientInformer } from './resilientInformer.js';
import type { RawObject } from './worldCache.js';

const PLURALS = { StateChecker: 'statecheckers', Expectation: 'expectations', Dag: 'dags', DagDependency: 'dagdependencies', DefinitionSource: 'definitionsources' } as const;
type ViewKind = keyof typeof PLURALS;

export class ViewCache {
  private readonly informers: Partial<Record<ViewKind, ResilientInformer<RawObject>>>;
  private readonly listeners = new Set<(change: { kind: string; namespace: string; name: string; phase?: string }) => void>();

  /** `definitionSources`: watch DefinitionSources too (the controller runs with --definition-sources). Defaults to false. */
  constructor(private readonly clients: KubeClients, log: Logger, private readonly namespaces: readonly string[] | undefined, definitionSources = false) {
    this.informers = Object.fromEntries(
      (Object.keys(PLURALS) as ViewKind[]).filter((kind) => definitionSources || kind !== 'DefinitionSource').map((kind) => {
        const informer = new ResilientInformer<RawObject>({ resource: PLURALS[kind], factory: this.factory(PLURALS[kind]), log: log.child({ component: 'view' }) });
        const tell = (o: RawObject) => {
          const change = { kind, namespace: o.metadata?.namespace ?? 'default', name: o.metadata?.name ?? '', ...(typeof o.status?.phase === 'string' ? { phase: o.status.phase } : {}) };
          for (const l of this.listeners) l(change);
        };
        informer.on('add', tell);
        informer.on('update', tell);
        informer.on('delete', tell);
        return [kind, informer];
      }),
    ) as Partial<Record<ViewKind, ResilientInformer<RawObject>>>;
  }

  start(): void {
    for (const i of Object.values(this.informers)) i.start();
  }

  async whenSynced(): Promise<void> {
    await Promise.all(Object.values(this.informers).map((i) => i.whenSynced()));
  }

  async stop(): Promise<void> {
    await Promise.all(Object.values(this.informers).map((i) => i.stop()));
  }

  /** A ViewSource over these objects; `engine` gives the leader's engine when this replica leads. */
  source(engine: ViewSource['engine']): ViewSource {
    // The API server validated them against the CRD schema; the graph reads them defensively.
    const list = <T>(kind: ViewKind) => (this.informers[kind]?.list() ?? []).filter((o) => o.metadata?.deletionTimestamp === undefined) as unknown as T[];
    const sources = this.informers.DefinitionSource !== undefined;
    return {
      objects: () => ({
        checkers: list<StateChecker>('StateChecker'),
        expectations: list<Expectation>('Expectation'),
        dags: list<Dag>('Dag'),
        dagDependencies: list<DagDependency>('DagDependency'),
        ...(sources ? { definitionSources: list<DefinitionSource>('DefinitionSource') } : {}),
      }),
      engine,
      subscribe: (listener) => {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
      },
      now: () => Date.now(),
    };
  }

  private factory(plural: string): InformerFactory<RawObject> {
    const { custom, config } = this.clients;
    if (this.namespaces === undefined) {
      const list = () => custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural }) as Promise<KubernetesListObject<RawObject>>;
      return kubeInformerFactory<RawObject>({ config, path: `/apis/${GROUP}/${VERSION}/${plural}`, list });
    }
    return combinedFactory(
      this.namespaces.map((namespace) => {
        const list = () => custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural }) as Promise<KubernetesListObject<RawObject>>;
        return kubeInformerFactory<RawObject>({ config, path: `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${plural}`, list });
      }),
    );
  }
}
