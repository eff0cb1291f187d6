/**
 * The objects the read API shows, watched on every replica (a standby too, which runs no engine
 * and no WorldCache): the four kinds of the graph with their statuses, as the API server has them,
 * and the DefinitionSources when the controller loads them (`--definition-sources`: only then does
 * its RBAC let it watch them). Read-only: it lists and watches, and writes nothing, so a standby
 * stays passive. On the leader the WorldCache uses these same informers (`informers`), so every
 * object is held once.
 */
import type { Dag, DagDependency, DefinitionSource, Expectation, StateChecker } from '../api/types.js';
import type { Logger } from '../runtime/log.js';
import type { ViewSource } from '../server/readApi.js';
import type { KubeClients } from './client.js';
import { ResilientInformer } from './resilientInformer.js';
import { type KindInformers, kindFactory, kindInformers } from './kindInformers.js';
import type { RawObject } from './worldCache.js';

const VIEW_KINDS = ['StateChecker', 'Expectation', 'Dag', 'DagDependency'] as const;
type ViewKind = (typeof VIEW_KINDS)[number];

export interface ViewCacheOptions {
  /** Watch DefinitionSources too (the controller runs with --definition-sources). Defaults to false. */
  definitionSources?: boolean;
  /** A watch restarted (metrics); on the leader these are the controller's watches too. */
  onRestart?: (resource: string) => void;
}

export class ViewCache {
  /** The informers of the kinds the read API shows: the leader's WorldCache shares them. */
  readonly informers: KindInformers<ViewKind>;
  /** The WorldCache does not read DefinitionSources (the source loader has its own informer). */
  private readonly sources: ResilientInformer<RawObject> | undefined;
  private readonly listeners = new Set<(change: { kind: string; namespace: string; name: string; phase?: string }) => void>();

  constructor(clients: KubeClients, log: Logger, namespaces: readonly string[] | undefined, options: ViewCacheOptions = {}) {
    const viewLog = log.child({ component: 'view' });
    const onRestart = options.onRestart;
    this.informers = kindInformers(VIEW_KINDS, { clients, namespaces, log: viewLog, ...(onRestart !== undefined ? { onRestart } : {}) });
    if (options.definitionSources === true) {
      const plural = 'definitionsources';
      this.sources = new ResilientInformer<RawObject>({ resource: plural, factory: kindFactory(clients, plural, namespaces), log: viewLog, onRestart: () => onRestart?.(plural) });
    }
    for (const [kind, informer] of this.all()) {
      const tell = (o: RawObject) => {
        const change = { kind, namespace: o.metadata?.namespace ?? 'default', name: o.metadata?.name ?? '', ...(typeof o.status?.phase === 'string' ? { phase: o.status.phase } : {}) };
        for (const l of this.listeners) l(change);
      };
      informer.on('add', tell);
      informer.on('update', tell);
      informer.on('delete', tell);
    }
  }

  start(): void {
    for (const [, i] of this.all()) i.start();
  }

  async whenSynced(): Promise<void> {
    await Promise.all(this.all().map(([, i]) => i.whenSynced()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.all().map(([, i]) => i.stop()));
  }

  /** A ViewSource over these objects; `engine` gives the leader's engine when this replica leads. */
  source(engine: ViewSource['engine']): ViewSource {
    // The API server validated them against the CRD schema; the graph reads them defensively.
    const live = <T>(informer: ResilientInformer<RawObject>) => informer.list().filter((o) => o.metadata?.deletionTimestamp === undefined) as unknown as T[];
    const list = <T>(kind: ViewKind) => live<T>(this.informers[kind]);
    const sources = this.sources;
    return {
      objects: () => ({
        checkers: list<StateChecker>('StateChecker'),
        expectations: list<Expectation>('Expectation'),
        dags: list<Dag>('Dag'),
        dagDependencies: list<DagDependency>('DagDependency'),
        ...(sources !== undefined ? { definitionSources: live<DefinitionSource>(sources) } : {}),
      }),
      engine,
      subscribe: (listener) => {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
      },
      now: () => Date.now(),
    };
  }

  private all(): [string, ResilientInformer<RawObject>][] {
    const kinds: [string, ResilientInformer<RawObject>][] = VIEW_KINDS.map((k) => [k, this.informers[k]]);
    return this.sources !== undefined ? [...kinds, ['DefinitionSource', this.sources]] : kinds;
  }
}
