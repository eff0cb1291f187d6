/**
 * The controller's one HTTP server:
 *   GET  /metrics           Prometheus scrape
 *   GET  /healthz, /readyz  liveness and readiness probes
 *   POST /v1/observations   verdicts from Push and Http checkers (when `observations` is given)
 *   POST /v1/leases/renew   heartbeats of running actions (when `leases` is given)
 *   GET  /api/v1/...        the read API of the web view and `homeostat explain` (when `readApi` is given; readApi.ts)
 *
 * /metrics, /healthz and /readyz are read-only and unauthenticated, as is conventional for
 * kubelet probes and Prometheus scrapes: they reveal counts, not data, and change nothing. Keep
 * the port off the Internet; a NetworkPolicy can limit /metrics to the monitoring namespace.
 * /v1/observations and /v1/leases/renew are the only endpoints that change state, and they always
 * authenticate and authorize their callers (authorizedPost.ts). They carry bearer tokens: serve
 * them over TLS (`tls`) unless the network is otherwise trusted (a mesh with mTLS).
 *
 * With TLS the whole port is HTTPS, probes and /metrics included (kubelet probes with scheme HTTPS
 * skip verification; Prometheus scrapes with the CA). One port keeps one NetworkPolicy rule and one
 * Service port, and leaves no plain-HTTP listener a caller could send a token to by mistake.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../runtime/log.js';
import { Health, type HealthOptions } from './health.js';
import { type LeaseOptions, leaseRoutes } from './leases.js';
import { type Metrics, metricsRoutes } from './metrics.js';
import { observationRoutes, type ObservationOptions } from './observations.js';
import { readApiRoutes, type ReadApiOptions } from './readApi.js';
import { webPageRoutes } from './webPage.js';
import { type Route, sendProblem, sendText } from './route.js';
import { loadTlsFiles, reloadTlsFiles, type TlsFiles, type TlsPair } from './tlsFiles.js';

export interface ServerOptions {
  /** The port to listen on; 0 picks a free one (see RunningServer.port). */
  port: number;
  /** The address to listen on. Defaults to every interface. */
  host?: string;
  metrics: Metrics;
  /** The controller's answers for /healthz and /readyz. */
  health: HealthOptions;
  /** The observation endpoint; without it POST /v1/observations is 404. */
  observations?: ObservationOptions;
  /** The lease renewal endpoint; without it POST /v1/leases/renew is 404. */
  leases?: LeaseOptions;
  /** The read API (/api/v1/...; readApi.ts); without it those paths are 404. */
  readApi?: ReadApiOptions;
  log: Logger;
  /**
   * Serve HTTPS instead of HTTP: PEM certificate chain and key given, or files, which are re-read
   * and served to new connections when they change (tlsFiles.ts).
   */
  tls?: { cert: string | Buffer; key: string | Buffer } | TlsFiles;
  /** Told each time changed TLS files are served (tests). */
  onTlsReload?: (pair: TlsPair) => void;
  /** How long close() waits for requests in flight before cutting their connections. Defaults to 5 s. */
  closeGraceMs?: number;
}

export interface RunningServer {
  /** The port listened on (the one picked, when `port` was 0). */
  port: number;
  /** e.g. http://127.0.0.1:8080 (the host given, else 127.0.0.1). */
  url: string;
  /**
   * Stops accepting connections, lets requests in flight finish (for up to closeGraceMs), closes
   * idle keep-alive connections, stops the health heartbeat. Idempotent.
   */
  close(): Promise<void>;
}

/** Starts the server; resolves once it listens, rejects when it cannot (port in use). */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const log = options.log.child({ component: 'server' });
  const health = new Health(options.health);
  const routes = [
    ...metricsRoutes(options.metrics),
    ...health.routes(),
    ...(options.observations !== undefined ? observationRoutes(options.observations, { log, metrics: options.metrics }) : []),
    ...(options.leases !== undefined ? leaseRoutes(options.leases, { log }) : []),
    // The page only where its read API is: the same port, the same origin.
    ...(options.readApi !== undefined ? [...readApiRoutes(options.readApi), ...webPageRoutes()] : []),
  ];
  let closing = false;
  const route = router(routes, log);
  const inFlight = new Set<ServerResponse>();
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    inFlight.add(res);
    if (closing) res.setHeader('Connection', 'close');
    res.on('close', () => {
      inFlight.delete(res);
      // Its connection is idle now: close it rather than keep it alive.
      if (closing) server.closeIdleConnections();
    });
    void route(req, res);
  };
  const tls = options.tls;
  // Files are read (and checked) before listening: a bad pair fails the start, with the file named.
  const pair = tls === undefined ? undefined : 'certFile' in tls ? loadTlsFiles(tls) : { cert: tls.cert, key: tls.key };
  const server: Server = pair !== undefined ? createHttpsServer({ cert: pair.cert, key: pair.key }, onRequest) : createHttpServer(onRequest);
  const stopReloading = tls !== undefined && 'certFile' in tls ? reloadTlsFiles(tls, pair as TlsPair, server as HttpsServer, log, options.onTlsReload) : () => undefined;
  // A client gets 30 s to send a (1 MiB at most) request, 10 s for its headers.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    health.close();
    stopReloading();
    throw error;
  }
  server.on('error', (error) => log.error({ err: error }, 'HTTP server error'));
  const port = (server.address() as AddressInfo).port;
  const scheme = options.tls !== undefined ? 'https' : 'http';
  const host = options.host === undefined || options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  const url = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info({ url, routes: routes.map((r) => `${r.method} ${r.path}`) }, 'HTTP server listening');

  let closed: Promise<void> | undefined;
  const close = async () => {
    closing = true;
    health.close();
    stopReloading();
    const done = new Promise<void>((resolve) => server.close(() => resolve()));
    // Answers still to come end their connections (server.close() closed the idle ones).
    for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
    const cut = setTimeout(() => server.closeAllConnections(), options.closeGraceMs ?? 5_000);
    await done;
    clearTimeout(cut);
  };
  return { port, url, close: () => (closed ??= close()) };
}

/** Dispatches by exact path and method; 404, 405 (with Allow) and 500 are answered here. */
function router(routes: Route[], log: Logger): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const byPath = new Map<string, Map<string, Route>>();
  for (const r of routes) {
    const methods = byPath.get(r.path) ?? new Map<string, Route>();
    if (methods.has(r.method)) throw new Error(`two routes for ${r.method} ${r.path}`);
    methods.set(r.method, r);
    if (r.method === 'GET') methods.set('HEAD', r);
    byPath.set(r.path, methods);
  }
  const prefixed = routes.filter((r) => r.prefix === true).map((r) => [r.path, byPath.get(r.path) as Map<string, Route>] as const);
  return async (req, res) => {
    const started = performance.now();
    const path = pathOf(req.url);
    res.on('finish', () => log.debug({ method: req.method, path, status: res.statusCode, ms: Math.round(performance.now() - started) }, 'request'));
    const methods = path !== undefined ? (byPath.get(path) ?? prefixed.find(([prefix]) => path.startsWith(prefix))?.[1]) : undefined;
    if (methods === undefined) return sendText(res, 404, 'not found');
    const route = methods.get(req.method ?? '');
    if (route === undefined) return sendText(res, 405, 'method not allowed', { Allow: [...methods.keys()].join(', ') });
    try {
      await route.handle(req, res);
    } catch (error) {
      log.error({ err: error, method: req.method, path }, 'request handler failed');
      if (!res.headersSent) sendProblem(res, 500, { reason: 'InternalError', message: 'internal error; see the controller log' }, { Connection: 'close' });
      else res.destroy();
    }
  };
}

/** The path of a request target, without the query; undefined when it cannot be parsed. */
function pathOf(target: string | undefined): string | undefined {
  try {
    return new URL(target ?? '/', 'http://server.invalid').pathname;
  } catch {
    return undefined;
  }
}
