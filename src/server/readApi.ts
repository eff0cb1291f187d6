/**
 * The read API the web view and `homeostat explain` use:
 *   GET /api/v1/graph?namespace=&labelSelector=      the dependency graph (view/graph.ts)
 *   GET /api/v1/objects/{kind}/{namespace}/{name}    the object, and its partition summary when this replica runs the engine
 *   GET /api/v1/explain/{kind}/{namespace}/{name}?partition=   the chain to the root causes
 *   GET /api/v1/events                               Server-Sent Events: one `change` per changed object
 *   POST /api/v1/rerun/{namespace}/{dag}             creates a DagRun as the caller (rerunRoute.ts), when `rerun` is given
 * Every replica answers from what it has: the graph always from the watched objects and their
 * statuses (the same on a standby as on the leader); explain from the engine on the leader, from
 * the statuses on a standby (`source: status` in the answer).
 *
 * Auth: a bearer token for the audience homeostat.dev (TokenReview), and RBAC `list` on the kind
 * in the namespace (SubjectAccessReview); the graph and the events show only the kinds the caller
 * may list. `auth: 'none'` (--ui-auth=none) skips both, for a port-forward-only setup.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dag, DagDependency, DefinitionSource, Expectation, StateChecker } from '../api/types.js';
import type { Engine } from '../engine/engine.js';
import { explain } from '../view/explain.js';
import { buildGraph } from '../view/graph.js';
import { tryParseLabelSelector as parseSelector } from '../api/labelSelector.js';
import { partitionSummary } from '../view/partitionSummary.js';
import { explainFromStatus } from '../view/statusExplain.js';
import type { Caller, ObservationAuth } from './auth.js';
import { type NodeDetailsSource, objectExtras, parsePeriods } from './nodeDetails.js';
import { clientAddress } from './rateLimit.js';
import { type RerunOptions, rerunRoute } from './rerunRoute.js';
import { type Route, sendJson, sendProblem } from './route.js';

export const READ_KINDS = { StateChecker: 'statecheckers', Expectation: 'expectations', Dag: 'dags', DagDependency: 'dagdependencies' } as const;
export type ReadKind = keyof typeof READ_KINDS;

/** May `caller` list `resource` (a plural of homeostat.dev) in `namespace` (undefined: every namespace)? */
export type ListAuthorizer = (caller: Caller, resource: string, namespace: string | undefined) => Promise<'allowed' | 'denied' | 'unavailable'>;

export interface ReadAuth {
  authenticate: ObservationAuth['authenticate'];
  authorizeList: ListAuthorizer;
}

/** What the replica knows: the watched objects (with statuses), and the engine when it leads. */
export interface ViewSource {
  /** definitionSources: absent where this replica does not watch them (the graph then shows none). */
  objects(): { checkers: StateChecker[]; expectations: Expectation[]; dags: Dag[]; dagDependencies: DagDependency[]; definitionSources?: DefinitionSource[] };
  engine(): Engine | undefined;
  /** Called with each changed object (kind, namespace, name); returns the unsubscribe. */
  subscribe(listener: (change: { kind: string; namespace: string; name: string; phase?: string }) => void): () => void;
  now(): number;
}

export interface ReadApiOptions {
  source: ViewSource;
  auth: ReadAuth | 'none';
  /** At most this many event streams at once; more get 503. Defaults to 100. */
  maxStreams?: number;
  /** A stream whose unsent bytes pass this is dropped (a slow client is not buffered). Defaults to 256 KiB. */
  maxBufferedBytes?: number;
  /** A node page's extras in the objects answer: a Dag's runs table without the engine, and Events (nodeDetails.ts). */
  details?: NodeDetailsSource;
  /** POST /api/v1/rerun/{namespace}/{dag} (rerunRoute.ts); without it that path is 404. */
  rerun?: RerunOptions;
}

export const API_PREFIX = '/api/v1/';

export function readApiRoutes(options: ReadApiOptions): Route[] {
  let streams = 0;
  const maxStreams = options.maxStreams ?? 100;
  const maxBuffered = options.maxBufferedBytes ?? 256 * 1024;

  /** The caller, or undefined once a refusal was sent. */
  const caller = async (req: IncomingMessage, res: ServerResponse): Promise<Caller | 'anyone' | undefined> => {
    if (options.auth === 'none') return 'anyone';
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (m === null) {
      sendProblem(res, 401, { reason: 'Unauthorized', message: 'send a bearer token issued for the audience homeostat.dev (kubectl create token NAME --audience homeostat.dev)' }, { 'WWW-Authenticate': 'Bearer' });
      return undefined;
    }
    const who = await options.auth.authenticate(m[1] as string, clientAddress(req.socket.remoteAddress));
    if (who.status === 'authenticated') return who.caller;
    if (who.status === 'rejected') sendProblem(res, 401, { reason: 'Unauthorized', message: who.reason }, { 'WWW-Authenticate': 'Bearer' });
    else if (who.status === 'limited') sendProblem(res, 429, { reason: 'TooManyRequests', message: 'too many token reviews from this address' }, { 'Retry-After': String(who.retryAfterSeconds) });
    else sendProblem(res, 503, { reason: 'ServiceUnavailable', message: who.reason });
    return undefined;
  };

  /** The kinds `who` may list in `namespace`; undefined once a refusal was sent. */
  const allowedKinds = async (who: Caller | 'anyone', namespace: string | undefined, kinds: readonly ReadKind[], res: ServerResponse): Promise<Set<ReadKind> | undefined> => {
    if (who === 'anyone' || options.auth === 'none') return new Set(kinds);
    const auth = options.auth;
    const answers = await Promise.all(kinds.map(async (k) => [k, await auth.authorizeList(who, READ_KINDS[k], namespace)] as const));
    if (answers.some(([, a]) => a === 'unavailable')) {
      sendProblem(res, 503, { reason: 'ServiceUnavailable', message: 'the API server did not answer the SubjectAccessReview; try again' });
      return undefined;
    }
    const allowed = new Set(answers.filter(([, a]) => a === 'allowed').map(([k]) => k));
    if (allowed.size === 0) {
      sendProblem(res, 403, { reason: 'Forbidden', message: `${who.username} may not list ${kinds.map((k) => READ_KINDS[k]).join(' or ')} (group homeostat.dev) in ${namespace === undefined ? 'every namespace' : `namespace ${namespace}`}` });
      return undefined;
    }
    return allowed;
  };

  /** DefinitionSources are shown to whom may list them; a refusal or no answer just leaves them out of the graph. */
  const mayListSources = async (who: Caller | 'anyone', namespace: string | undefined): Promise<boolean> =>
    who === 'anyone' || options.auth === 'none' || (await options.auth.authorizeList(who, 'definitionsources', namespace)) === 'allowed';

  const query = (req: IncomingMessage) => new URL(req.url ?? '/', 'http://server.invalid').searchParams;

  const graph: Route = {
    method: 'GET',
    path: `${API_PREFIX}graph`,
    async handle(req, res) {
      const who = await caller(req, res);
      if (who === undefined) return;
      const q = query(req);
      const namespace = q.get('namespace') ?? undefined;
      const selectorText = q.get('labelSelector');
      const selector = selectorText !== null ? parseSelector(selectorText) : undefined;
      if (selector !== undefined && !selector.ok) return sendProblem(res, 400, { reason: 'BadRequest', message: selector.error });
      const allowed = await allowedKinds(who, namespace, Object.keys(READ_KINDS) as ReadKind[], res);
      if (allowed === undefined) return;
      const all = options.source.objects();
      const objects = {
        checkers: allowed.has('StateChecker') ? all.checkers : [],
        expectations: allowed.has('Expectation') ? all.expectations : [],
        dags: allowed.has('Dag') ? all.dags : [],
        dagDependencies: allowed.has('DagDependency') ? all.dagDependencies : [],
        sources: all.definitionSources !== undefined && (await mayListSources(who, namespace)) ? all.definitionSources : [],
      };
      sendJson(res, 200, buildGraph(objects, { ...(namespace !== undefined ? { namespace } : {}), ...(selector?.ok === true ? { selector: selector.value } : {}) }));
    },
  };

  const object: Route = {
    method: 'GET',
    path: `${API_PREFIX}objects/`,
    prefix: true,
    async handle(req, res) {
      const target = targetOf(req, 'objects/', res);
      if (target === undefined) return;
      const periods = parsePeriods(query(req).get('periods'));
      if (!periods.ok) return sendProblem(res, 400, { reason: 'BadRequest', message: periods.error });
      const who = await caller(req, res);
      if (who === undefined) return;
      if ((await allowedKinds(who, target.namespace, [target.kind], res)) === undefined) return;
      const found = findObject(options.source.objects(), target.kind, target.namespace, target.name);
      if (found === undefined) return sendProblem(res, 404, { reason: 'NotFound', message: `${target.kind} ${target.namespace}/${target.name} does not exist` });
      const engine = options.source.engine();
      const owner = (target.kind === 'Dag' || target.kind === 'Expectation') && engine !== undefined ? engine.owner({ kind: target.kind, namespace: target.namespace, name: target.name }) : undefined;
      const summary = owner !== undefined && engine !== undefined ? partitionSummary(owner, (id) => engine.lease(id), (id) => engine.retry(id)) : undefined;
      // managedFields are the API server's bookkeeping, often bigger than the object: left out.
      const { managedFields: _, ...metadata } = found.metadata as { managedFields?: unknown };
      // The node page's periods x tasks (a Dag) and recent Events: bounded, never failing the answer.
      const extras = await objectExtras(target, found, engine, options.details, periods.value);
      sendJson(res, 200, { object: { kind: target.kind, metadata, spec: found.spec, status: found.status }, ...(summary !== undefined ? { partitions: summary } : {}), ...extras, source: engine !== undefined ? 'engine' : 'status' });
    },
  };

  const explainRoute: Route = {
    method: 'GET',
    path: `${API_PREFIX}explain/`,
    prefix: true,
    async handle(req, res) {
      const target = targetOf(req, 'explain/', res);
      if (target === undefined) return;
      if (target.kind !== 'Dag' && target.kind !== 'Expectation') return sendProblem(res, 400, { reason: 'BadRequest', message: `explain takes a Dag or an Expectation, not a ${target.kind}` });
      const who = await caller(req, res);
      if (who === undefined) return;
      if ((await allowedKinds(who, target.namespace, [target.kind], res)) === undefined) return;
      const partition = query(req).get('partition') ?? undefined;
      const explainTarget = { kind: target.kind, namespace: target.namespace, name: target.name, ...(partition !== undefined ? { partition } : {}) };
      const engine = options.source.engine();
      const result = engine !== undefined ? explain(engine, explainTarget, options.source.now()) : explainFromStatus(options.source.objects(), explainTarget);
      if (!result.ok) return sendProblem(res, 404, { reason: 'NotFound', message: result.message });
      sendJson(res, 200, { ...result.value, source: engine !== undefined ? 'engine' : 'status' });
    },
  };

  const events: Route = {
    method: 'GET',
    path: `${API_PREFIX}events`,
    async handle(req, res) {
      const who = await caller(req, res);
      if (who === undefined) return;
      const namespace = query(req).get('namespace') ?? undefined;
      const allowed = await allowedKinds(who, namespace, Object.keys(READ_KINDS) as ReadKind[], res);
      if (allowed === undefined) return;
      // HEAD only asks whether the stream is there: no stream is held open for it.
      if (req.method === 'HEAD') return void res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' }).end();
      if (streams >= maxStreams) return sendProblem(res, 503, { reason: 'ServiceUnavailable', message: `already ${maxStreams} event streams open; try again later` });
      streams++;
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
      res.write(': homeostat events\n\n');
      const unsubscribe = options.source.subscribe((change) => {
        if (!allowed.has(change.kind as ReadKind)) return;
        if (namespace !== undefined && change.namespace !== namespace) return;
        // A client that cannot keep up is dropped, never buffered without bound: it reconnects and reloads.
        if (res.writableLength > maxBuffered) {
          res.destroy();
          return;
        }
        res.write(`event: change\ndata: ${JSON.stringify(change)}\n\n`);
      });
      const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000).unref();
      res.on('close', () => {
        streams--;
        clearInterval(heartbeat);
        unsubscribe();
      });
    },
  };

  return [graph, object, explainRoute, events, ...(options.rerun !== undefined ? [rerunRoute(options.rerun)] : [])];
}

type Target = { kind: ReadKind; namespace: string; name: string };

/** `/api/v1/{what}{kind}/{namespace}/{name}`; undefined once a 400 was sent. */
function targetOf(req: IncomingMessage, what: string, res: ServerResponse): Target | undefined {
  const path = new URL(req.url ?? '/', 'http://server.invalid').pathname.slice(API_PREFIX.length + what.length);
  const parts = path.split('/').map((p) => decodeURIComponent(p));
  const kind = Object.keys(READ_KINDS).find((k) => k.toLowerCase() === parts[0]?.toLowerCase() || READ_KINDS[k as ReadKind] === parts[0]?.toLowerCase()) as ReadKind | undefined;
  if (parts.length !== 3 || kind === undefined || parts[1] === '' || parts[2] === '') {
    sendProblem(res, 400, { reason: 'BadRequest', message: `expected ${API_PREFIX}${what}{kind}/{namespace}/{name} with kind one of ${Object.keys(READ_KINDS).join(', ')}` });
    return undefined;
  }
  return { kind, namespace: parts[1] as string, name: parts[2] as string };
}

function findObject(objects: ReturnType<ViewSource['objects']>, kind: ReadKind, namespace: string, name: string): { metadata: unknown; spec: unknown; status?: unknown } | undefined {
  const list = kind === 'StateChecker' ? objects.checkers : kind === 'Expectation' ? objects.expectations : kind === 'Dag' ? objects.dags : objects.dagDependencies;
  return (list as { metadata: { name: string; namespace?: string }; spec: unknown; status?: unknown }[]).find((o) => o.metadata.name === name && (o.metadata.namespace ?? 'default') === namespace);
}
