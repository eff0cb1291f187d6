import { readFileSync } from 'node:fs';
import {
  ApiException,
  BatchV1Api,
  type Cluster,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  type HttpLibrary,
  IsomorphicFetchHttpLibrary,
  KubeConfig,
  PatchStrategy,
  type RequestContext,
  ResponseContext,
  SelfDecodingBody,
  setHeaderOptions,
  type User,
  wrapHttpLibrary,
} from '@kubernetes/client-node';
import { GROUP, VERSION } from '../api/schema/kind.js';
import { describeError } from '../runtime/errorText.js';
import { PermanentRefusal } from '../runtime/refusals.js';

/** The API clients the Kubernetes adapter uses, from one kubeconfig. */
export interface KubeClients {
  config: KubeConfig;
  custom: CustomObjectsApi;
  batch: BatchV1Api;
  core: CoreV1Api;
  coordination: CoordinationV1Api;
  events: EventsV1Api;
}

type AuthContext = Parameters<KubeConfig['applySecurityAuthentication']>[0];

/**
 * A KubeConfig whose requests share one connection pool. client-node 2.0.1 builds a new undici
 * dispatcher, so a new TLS connection, for every request when the kubeconfig names a CA; measured
 * here that is ~9 ms per request and most of the time from a verdict to its action's Job
 * (bench/controller.ts). Credentials travel in headers set per request, so sharing the pool of
 * the first request is safe for a kubeconfig with one cluster and user, which is how we use it.
 *
 * Since the pool keeps the TLS material of the first request, two per-request costs buy nothing
 * and are avoided: building a dispatcher only to drop it (createDispatcherOptions answers "none"
 * once the pool exists), and reading the CA, certificate and key files again for it (they are
 * read once, at the first request, into the config's data fields). A token file is still read
 * as client-node reads it (its authenticator refreshes it every minute): tokens rotate.
 */
export class PooledKubeConfig extends KubeConfig {
  private shared: ReturnType<AuthContext['getDispatcher']>;
  private filesRead = false;

  override async applySecurityAuthentication(context: AuthContext): Promise<void> {
    if (!this.filesRead) this.readFilesOnce();
    await super.applySecurityAuthentication(context);
    this.shared ??= context.getDispatcher();
    if (this.shared !== undefined) context.setDispatcher(this.shared);
  }

  override createDispatcherOptions(...args: Parameters<KubeConfig['createDispatcherOptions']>): ReturnType<KubeConfig['createDispatcherOptions']> {
    return this.shared !== undefined ? { type: 'none' } : super.createDispatcherOptions(...args);
  }

  /** The current cluster's CA and user's certificate and key, from their files into the data fields. */
  private readFilesOnce(): void {
    this.filesRead = true;
    const cluster = this.getCurrentCluster();
    const user = this.getCurrentUser();
    const inline = (file: string | undefined) => (file === undefined || file === '' ? undefined : readFileSync(file).toString('base64'));
    if (cluster?.caFile) {
      const inlined: Cluster = { ...cluster, caData: inline(cluster.caFile), caFile: undefined };
      this.clusters = this.clusters.map((c) => (c === cluster ? inlined : c));
    }
    if (user !== null && (user.certFile || user.keyFile)) {
      const inlined: User = { ...user, certData: inline(user.certFile) ?? user.certData, certFile: undefined, keyData: inline(user.keyFile) ?? user.keyData, keyFile: undefined };
      this.users = this.users.map((u) => (u === user ? inlined : u));
    }
  }
}

/**
 * An HttpLibrary for client-node calls that sends a request through its dispatcher's request()
 * (undici's plain request API) rather than fetch(). Same connection pool, headers and body; what
 * it skips is fetch's WHATWG machinery (Request/Response objects, body streams), which showed as
 * a large share of the controller's CPU per status write. Requests without a dispatcher (no TLS
 * options), with a non-string body or with an abort signal go through fetch as before. No
 * redirects are followed and nothing is decompressed (neither is asked for: no Accept-Encoding).
 */
export const plainHttp: HttpLibrary = (() => {
  const viaFetch = new IsomorphicFetchHttpLibrary();
  return wrapHttpLibrary({
    async send(request: RequestContext): Promise<ResponseContext> {
      const dispatcher = request.getDispatcher();
      const body = request.getBody();
      if (dispatcher === undefined || (body !== undefined && typeof body !== 'string') || request.getSignal() !== undefined) return await viaFetch.send(request).toPromise();
      const url = new URL(request.getUrl());
      const answer = await dispatcher.request({ origin: url.origin, path: `${url.pathname}${url.search}`, method: request.getHttpMethod() as 'PUT', headers: request.getHeaders(), body });
      const data = Buffer.from(await answer.body.arrayBuffer());
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      return new ResponseContext(answer.statusCode, headers, new SelfDecodingBody(Promise.resolve(data)));
    },
  });
})();

/**
 * Loads a kubeconfig: the given file, else in-cluster when running in a Pod, else the default
 * (KUBECONFIG or ~/.kube/config, current context), as kubectl does.
 */
export function connect(kubeconfigPath?: string): KubeClients {
  const config = new PooledKubeConfig();
  if (kubeconfigPath !== undefined) config.loadFromFile(kubeconfigPath);
  else config.loadFromDefault();
  return fromConfig(config);
}

export function fromConfig(config: KubeConfig): KubeClients {
  return {
    config,
    custom: config.makeApiClient(CustomObjectsApi),
    batch: config.makeApiClient(BatchV1Api),
    core: config.makeApiClient(CoreV1Api),
    coordination: config.makeApiClient(CoordinationV1Api),
    events: config.makeApiClient(EventsV1Api),
  };
}

/**
 * Options for a JSON merge patch. The generated patch methods default to JSON patch, and the
 * API server rejects strategic merge for custom resources, so every patch says which it is.
 */
export const mergePatch = () => setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** Where Homeostat's custom resources live, for CustomObjectsApi calls. */
export const resourceOf = (plural: string, namespace: string) => ({ group: GROUP, version: VERSION, plural, namespace });

/** The HTTP status of an API error, or undefined for anything else. */
export function statusOf(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}

/** A loggable description of an API error: one sanitiser for the whole controller (src/runtime/errorText.ts). */
export { describeError };

/** Refusals retrying soon will not fix (the namespace gone: a 404 where the call names no object). */
const PERMANENT: Record<number, { reason: string; words: string }> = {
  401: { reason: 'Unauthorized', words: 'is unauthorized' },
  403: { reason: 'Forbidden', words: 'is forbidden' },
  404: { reason: 'NotFound', words: 'failed (not found)' },
  422: { reason: 'Invalid', words: 'is invalid' },
};

/**
 * The error a port throws for a failed API call: a PermanentRefusal for 401, 403, 404 and 422
 * ("create jobs.batch in namespace X is forbidden: <the server's message>"), which the runtime
 * backs off for minutes and reports on the owner; anything else (5xx, 429, a network error) a
 * plain Error ("<what> failed: ...") to retry soon. Callers handle the codes they expect first
 * (409 on create, 404 on delete).
 */
export function apiFailure(error: unknown, call: { verb: string; resource: string; namespace: string }, what: string): Error {
  const code = statusOf(error);
  const permanent = code !== undefined ? PERMANENT[code] : undefined;
  if (permanent === undefined) return new Error(`${what} failed: ${describeError(error)}`);
  const body = error instanceof ApiException ? (typeof error.body === 'string' ? safeJson(error.body) : (error.body as { message?: string } | undefined)) : undefined;
  return new PermanentRefusal(permanent.reason, `${call.verb} ${call.resource} in namespace ${call.namespace} ${permanent.words}: ${body?.message ?? `HTTP ${code}`}`);
}

function safeJson(text: string): { reason?: string; message?: string } | undefined {
  try {
    return JSON.parse(text) as { reason?: string; message?: string };
  } catch {
    return undefined;
  }
}
