/**
 * The objects the read API shows, watched on every replica (a standby too, which runs no engine
 * and no WorldCache): the four kinds of the graph with their statuses, as the API server has them.
 * Read-only: it lists and watches, and writes nothing, so a standby stays passive. On the leader
 * the WorldCache uses these same informers (`informers`), so every object is held once.
 */
import type { Dag, DagDependency, Expectation, StateChecker } from '../api/types.js';
import type { Logger } from '../runtime/log.js';
import type { ViewSource } from '../server/readApi.js';
import type { KubeClients } from './client.js';
import type { ResilientInformer } from './resilientInformer.js';
import { type KindInformers, kindInformers } from './kindInformers.js';
import type { RawObject } from './worldCache.js';

const VIEW_KINDS = ['StateChecker', 'Expectation', 'Dag', 'DagDependency'] as const;
type ViewKind = (typeof VIEW_KINDS)[number];

export class ViewCache {
  /** The informers of the kinds the read API shows: the leader's WorldCache shares them. */
  readonly informers: KindInformers<ViewKind>;
  private readonly listeners = new Set<(change: { kind: string; namespace: string; name: string; phase?: string }) => void>();

  /** `onRestart`: a watch restarted (metrics); on the leader these are the controller's watches too. */
  constructor(clients: KubeClients, log: Logger, namespaces: readonly string[] | undefined, onRestart?: (resource: string) => void) {
    this.informers = kindInformers(VIEW_KINDS, { clients, namespaces, log: log.child({ component: 'view' }), ...(onRestart !== undefined ? { onRestart } : {}) });
    for (const kind of VIEW_KINDS) {
      const informer: ResilientInformer<RawObject> = this.informers[kind];
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
    const list = <T>(kind: ViewKind) => this.informers[kind].list().filter((o) => o.metadata?.deletionTimestamp === undefined) as unknown as T[];
    return {
      objects: () => ({ checkers: list<StateChecker>('StateChecker'), expectations: list<Expectation>('Expectation'), dags: list<Dag>('Dag'), dagDependencies: list<DagDependency>('DagDependency') }),
      engine,
      subscribe: (listener) => {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
      },
      now: () => Date.now(),
    };
  }
}
