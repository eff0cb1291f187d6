import type { Command } from 'commander';
import { describeError, connect, type KubeClients } from '../kube/client.js';
import { type Controller, startController } from '../kube/controller.js';
import { createLogger } from '../runtime/log.js';
import { cachedAuth, createMetrics, kubeAuth, LEASE_RENEW_PATH, type RunningServer, startServer } from '../server/index.js';
import { type CliContext, type CliIo, ExitCode } from './program.js';

export interface ControllerCommandOptions {
  kubeconfig?: string;
  namespace?: string;
  /** `[host]:port`; port 0 picks a free one. Defaults to :8080. */
  metricsAddr?: string;
  logLevel?: string;
  /** The server's base URL as Jobs reach it; actions get HOMEOSTAT_LEASE_RENEW_URL from it. */
  advertiseUrl?: string;
  /** Resolves when the process is asked to stop. Defaults to SIGTERM or SIGINT. */
  interrupted?: Promise<void>;
  /** Called once the controller runs (tests). */
  onStarted?: (controller: Controller, server: RunningServer) => void;
}

/** A watch silent for longer than this fails /healthz (the informer's watchdog relists at 5 min). */
const STALE_WATCH_MS = 10 * 60_000;

/** `homeostat controller [--kubeconfig F] [--namespace NS] [--metrics-addr :8080]`. */
export function register(program: Command, cli: CliContext): void {
  program
    .command('controller')
    .description('Run the controller against a Kubernetes cluster: watch Homeostat objects, launch Jobs, write status. Serves /metrics, /healthz, /readyz, POST /v1/observations and POST /v1/leases/renew on --metrics-addr.')
    .option('--kubeconfig <file>', 'the kubeconfig (default: in-cluster when run in a Pod, else $KUBECONFIG or ~/.kube/config)')
    .option('--namespace <namespace>', 'watch and act in this namespace only (default: every namespace)')
    .option('--metrics-addr <addr>', 'where to serve metrics, probes and observations, [host]:port', ':8080')
    .option('--advertise-url <url>', 'the server as action Jobs reach it, e.g. https://homeostat.homeostat-system.svc:8080; actions get HOMEOSTAT_LEASE_RENEW_URL from it (default: none)')
    .option('--log-level <level>', 'trace, debug, info, warn or error', 'info')
    .action(async (options: ControllerCommandOptions) => cli.setExitCode(await runController(options, cli)));
}

/** Parses `[host]:port` (`:8080`, `127.0.0.1:9090`, `[::1]:0`). */
export function parseAddress(text: string): { host?: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text);
  if (m === null) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  const host = m[1] ?? m[2] ?? '';
  return host === '' ? { port } : { host, port };
}

/**
 * Runs the controller until SIGTERM or SIGINT, then shuts down gracefully (in-flight calls get
 * up to 30 s) and returns Ok. Usage for a bad address; Failed when the kubeconfig cannot be read
 * or the port cannot be bound.
 */
export async function runController(options: ControllerCommandOptions, io: CliIo): Promise<ExitCode> {
  const address = parseAddress(options.metricsAddr ?? ':8080');
  if (address === undefined) {
    io.err(`error: --metrics-addr: ${JSON.stringify(options.metricsAddr)} is not [host]:port\n`);
    return ExitCode.Usage;
  }
  let leaseRenewUrl: string | undefined;
  if (options.advertiseUrl !== undefined) {
    try {
      const base = new URL(options.advertiseUrl);
      leaseRenewUrl = `${base.origin}${base.pathname.replace(/\/+$/, '')}${LEASE_RENEW_PATH}`;
    } catch {
      io.err(`error: --advertise-url: ${JSON.stringify(options.advertiseUrl)} is not a URL\n`);
      return ExitCode.Usage;
    }
  }
  const log = createLogger({ level: options.logLevel ?? 'info', name: 'homeostat-controller' });
  let clients: KubeClients;
  try {
    clients = connect(options.kubeconfig);
  } catch (error) {
    io.err(`error: cannot load the kubeconfig: ${describeError(error)}\n`);
    return ExitCode.Failed;
  }
  const signals = options.interrupted === undefined ? watchSignals() : undefined;
  const interrupted = options.interrupted ?? (signals as { received: Promise<void> }).received;
  const metrics = createMetrics();
  let controller: Controller | undefined;
  let server: RunningServer;
  const auth = cachedAuth(kubeAuth(clients.config));
  try {
    server = await startServer({
      ...address,
      metrics,
      log,
      health: {
        // Until the controller exists, the probes wait: not ready, but alive.
        watchesFresh: () => controller?.watchesFresh(STALE_WATCH_MS) ?? { ok: true, stale: [] },
        synced: () => controller?.synced() ?? false,
      },
      observations: {
        auth,
        deliver: (target, results) => controller?.deliver(target, results) ?? { status: 'unavailable', message: 'the controller is starting' },
      },
      leases: {
        auth,
        renew: (target, key, attempt) => controller?.renew(target, key, attempt) ?? { status: 'unavailable', message: 'the controller is starting' },
      },
    });
  } catch (error) {
    signals?.dispose();
    io.err(`error: cannot serve on ${options.metricsAddr ?? ':8080'}: ${describeError(error)}\n`);
    return ExitCode.Failed;
  }
  try {
    const started = startController({ clients, log, metrics, ...(options.namespace !== undefined ? { namespace: options.namespace } : {}), ...(leaseRenewUrl !== undefined ? { leaseRenewUrl } : {}) });
    const first = await Promise.race([started.then((c) => ({ c })), interrupted.then(() => undefined)]);
    if (first === undefined) {
      log.info('asked to stop before the controller started');
      void started.then((c) => c.stop()).catch(() => undefined);
      return ExitCode.Ok;
    }
    controller = first.c;
    options.onStarted?.(controller, server);
    await interrupted;
    await controller.stop(30_000);
    return ExitCode.Ok;
  } catch (error) {
    log.error({ err: error }, 'the controller failed to start');
    io.err(`error: ${describeError(error)}\n`);
    return ExitCode.Failed;
  } finally {
    await server.close();
    signals?.dispose();
  }
}

/** SIGINT and SIGTERM ask to stop; `dispose` gives them back their default meaning. */
function watchSignals(): { received: Promise<void>; dispose: () => void } {
  let stop = () => undefined as void;
  const received = new Promise<void>((done) => (stop = () => done()));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return {
    received,
    dispose: () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}
