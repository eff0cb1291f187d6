import { type Command, InvalidArgumentError } from 'commander';
import { parseDuration } from '../api/duration.js';
import { describeError, connect, type KubeClients } from '../kube/client.js';
import { CheckerUrlPolicy } from '../kube/checkerUrlPolicy.js';
import { apiServerPolicy, type Controller, startController } from '../kube/controller.js';
import { checkTimings, DEFAULT_TIMINGS, electionIdentity, kubeLeaseApi, LeaderElector, type LeaseTimings } from '../kube/leaderElection.js';
import { fenceWrites } from '../kube/leaderFence.js';
import { createLogger, type Logger } from '../runtime/log.js';
import { ViewCache } from '../kube/viewCache.js';
import { kubeRerun } from '../kube/manualRuns.js';
import { kubeNodeDetails } from '../kube/nodeDetails.js';
import { cachedAuth, cachedListAuthorizer, createMetrics, kubeAuth, kubeDagRunCreateAuthorizer, kubeListAuthorizer, LEASE_RENEW_PATH, type Metrics, type RunningServer, startServer, tokenBucket } from '../server/index.js';
import { POD_FEATURES } from '../api/podPolicy.js';
import { parseCapabilities, parsePodFeatures, parseProtectedNamespaces, parseServiceAccounts, podPolicyOf, type PodPolicyFlags } from './podPolicyFlags.js';
import { readCaFile } from './caFile.js';
import { startMemorySettler } from './memorySettler.js';
import { type NodeCapFlags, nodeCapOptions, nodeCaps, positiveInteger } from './nodeCaps.js';
import { DEFAULT_MAX_CHECKS_IN_FLIGHT } from '../runtime/boundedChecks.js';
import { type CliContext, type CliIo, ExitCode } from './program.js';

export interface ControllerCommandOptions extends PodPolicyFlags, NodeCapFlags {
  kubeconfig?: string;
  /** Watch and act in these namespaces only (`--namespace a,b` or repeated). Defaults to every namespace. */
  namespace?: string[];
  /**
   * Destinations Http-mode checkers may be called at although they are loopback, link-local or
   * the API server: CIDRs, addresses or host names (`--checker-url-allow a,b` or repeated). Defaults to none.
   */
  checkerUrlAllow?: string[];
  /**
   * `valuesFrom` reads only ConfigMaps labelled homeostat.dev/values-source=true: the controller
   * reads them with its own rights for whoever wrote the Expectation. Defaults to false.
   */
  valuesFromRequireLabel?: boolean;
  /** `[host]:port`; port 0 picks a free one. Defaults to :8080. */
  metricsAddr?: string;
  logLevel?: string;
  /** The server's base URL as Jobs reach it; actions get HOMEOSTAT_LEASE_RENEW_URL from it. */
  advertiseUrl?: string;
  /** A PEM file with the CA of the served certificate, given to actions with the URL (HOMEOSTAT_CA_CERT). */
  advertiseCaFile?: string;
  /** PEM certificate chain and private key: serve HTTPS, re-reading the files when they change. Both or neither. */
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  /** How often the TLS files are re-read, a Go-style duration. Defaults to 10s. */
  tlsReloadInterval?: string;
  /** Checks (checker Jobs, Http checker requests) in flight at once; more wait for a slot. Defaults to 100. */
  maxChecksInFlight?: number;
  /** Load DefinitionSources (needs the chart's source RBAC). Defaults to false. */
  definitionSources?: boolean;
  /** Directories of this Pod directory sources may read (`--source-directory-root`, repeated). Defaults to none. */
  sourceDirectoryRoot?: string[];
  /** Resolves when the process is asked to stop. Defaults to SIGTERM or SIGINT. */
  interrupted?: Promise<void>;
  /**
   * How the read API (/api/v1/...) authenticates: `token` (a homeostat.dev-audience bearer token
   * and RBAC `list` on the kind) or `none` (anyone who reaches the port: port-forward only). Defaults to token.
   */
  uiAuth?: 'token' | 'none';
  /** Called once the server listens, leader or not (tests). */
  onServing?: (server: RunningServer) => void;
  /** Called once the controller runs (tests). */
  onStarted?: (controller: Controller, server: RunningServer) => void;
  /**
   * Act only while holding a coordination.k8s.io Lease, so several replicas can run. Defaults to
   * false here (one process acts alone); the `controller` command defaults it to true.
   */
  leaderElect?: boolean;
  /** Where the Lease lives. Defaults to $POD_NAMESPACE, else `namespace`, else homeostat-system. */
  leaderElectionNamespace?: string;
  /** The Lease's name. Defaults to homeostat-controller. */
  leaderElectionId?: string;
  /** Go-style durations; default 15s, 10s and 2s (see LeaseTimings). */
  leaderElectionLeaseDuration?: string;
  leaderElectionRenewDeadline?: string;
  leaderElectionRetryPeriod?: string;
}

const DEFAULT_ELECTION_NAMESPACE = 'homeostat-system';
const DEFAULT_ELECTION_ID = 'homeostat-controller';

/** A watch silent for longer than this fails /healthz (the informer's watchdog relists at 5 min). */
const STALE_WATCH_MS = 10 * 60_000;

/** `homeostat controller [--kubeconfig F] [--namespace NS] [--metrics-addr :8080] [--leader-elect=false] ...`. */
export function register(program: Command, cli: CliContext): void {
  const command = program
    .command('controller')
    .description('Run the controller against a Kubernetes cluster: watch Homeostat objects, launch Jobs, write status. Serves /metrics, /healthz, /readyz, POST /v1/observations, POST /v1/leases/renew and the read API GET /api/v1/ on --metrics-addr.')
    .option('--kubeconfig <file>', 'the kubeconfig (default: in-cluster when run in a Pod, else $KUBECONFIG or ~/.kube/config)')
    .option('--namespace <namespaces>', 'watch and act in these namespaces only: a comma-separated list, or the flag repeated (default: every namespace)', collectNamespaces)
    .option('--checker-url-allow <entries>', 'let Http checkers call these although they are loopback, link-local or the API server (refused by default): CIDRs, addresses or host names, comma-separated or the flag repeated', collectList)
    .option('--values-from-require-label [bool]', 'let valuesFrom read only ConfigMaps labelled homeostat.dev/values-source=true (the controller reads them with its own rights, for whoever may create an Expectation in the namespace)', parseBool, false)
    .option('--metrics-addr <addr>', 'where to serve metrics, probes and observations, [host]:port', ':8080')
    .option('--advertise-url <url>', 'the server as action Jobs reach it, e.g. https://homeostat.homeostat-system.svc:8080; actions get HOMEOSTAT_LEASE_RENEW_URL from it (default: none)')
    .option('--tls-cert-file <file>', 'PEM certificate chain to serve HTTPS with (e.g. tls.crt of a kubernetes.io/tls Secret); re-read when it changes. Callers send bearer tokens: without TLS they travel in clear text')
    .option('--tls-private-key-file <file>', 'the PEM private key of --tls-cert-file (tls.key)')
    .option('--advertise-ca-file <path>', "a PEM file with the CA that signs the served certificate; actions get it as HOMEOSTAT_CA_CERT with HOMEOSTAT_LEASE_RENEW_URL, to trust the controller (default: none, the system's CAs)")
    .option('--tls-reload-interval <duration>', 'how often the TLS files are re-read; a changed pair serves new connections without a restart', '10s')
    .option('--max-checks-in-flight <n>', `checks in flight at once: checker Jobs running and Http checker requests unanswered; more wait for a slot, oldest first (default: ${DEFAULT_MAX_CHECKS_IN_FLIGHT})`, positiveInteger('--max-checks-in-flight'))
    .option('--definition-sources [bool]', 'load DefinitionSources: Dags and Expectations from directories and S3 buckets (needs the RBAC the chart grants with sources.enabled)', parseBool, false)
    .option('--source-directory-root <path>', 'a directory of this Pod that directory sources may read, it or below it; repeat for more (default: none, so directory sources are refused)', (path: string, previous: string[] | undefined) => [...(previous ?? []), path])
    .option('--ui-auth <mode>', "how the read API /api/v1 (web view, homeostat explain) authenticates: token (a homeostat.dev-audience bearer token, and RBAC list on the kind; the page's Re-run needs RBAC create on dagruns) or none (anyone reaching the port reads; for port-forward-only setups; Re-run is then refused)", parseUiAuth, 'token')
    .option('--log-level <level>', 'trace, debug, info, warn or error', 'info')
    .option('--leader-elect [bool]', 'act only while holding the leader election Lease, so several replicas can run; --leader-elect=false runs alone', parseBool, true)
    .option('--leader-election-namespace <namespace>', `the Lease's namespace (default: $POD_NAMESPACE, else the first --namespace, else ${DEFAULT_ELECTION_NAMESPACE})`)
    .option('--leader-election-id <name>', "the Lease's name", DEFAULT_ELECTION_ID)
    .option('--leader-election-lease-duration <duration>', 'how long a standby waits after the Lease last changed before taking it over', '15s')
    .option('--leader-election-renew-deadline <duration>', 'how long the leader keeps acting without renewing the Lease; shorter than the lease duration', '10s')
    .option('--leader-election-retry-period <duration>', 'how often the Lease is renewed or tried', '2s')
    .option('--protected-namespaces <namespaces>', "refuse Homeostat objects in these namespaces, comma-separated, '' for none (default: the controller's own, $POD_NAMESPACE, else --leader-election-namespace)", parseProtectedNamespaces)
    .option('--allowed-service-accounts <list>', 'service accounts the Pods of actions and checkers may run as besides default: namespace/name, */name for every namespace, comma-separated (default: none)', parseServiceAccounts)
    .option('--pod-policy-allow <features>', `host and privilege features Pod templates may use: ${POD_FEATURES.join(', ')}, comma-separated (default: none)`, parsePodFeatures)
    .option('--allowed-capabilities <capabilities>', 'capabilities containers may add, comma-separated, like NET_BIND_SERVICE (default: none)', parseCapabilities);
  nodeCapOptions(command).action(async (options: ControllerCommandOptions) => cli.setExitCode(await runController(options, cli)));
}

/** DNS-1123 labels, as namespace names are. */
const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** `--namespace a,b --namespace c`: every name once, in order; a bad name is refused at once. */
export function collectNamespaces(text: string, previous: string[] | undefined): string[] {
  const names = text.split(',').map((n) => n.trim()).filter((n) => n !== '');
  const bad = names.find((n) => !NAMESPACE_NAME.test(n));
  if (bad !== undefined) throw new InvalidArgumentError(`${JSON.stringify(bad)} is not a namespace name (lower-case letters, digits and '-', at most 63)`);
  if (names.length === 0) throw new InvalidArgumentError('expected one or more namespace names');
  return [...new Set([...(previous ?? []), ...names])];
}

/** `--checker-url-allow a,b --checker-url-allow c`: every entry once, in order (checked by CheckerUrlPolicy). */
export function collectList(text: string, previous: string[] | undefined): string[] {
  const entries = text.split(',').map((n) => n.trim()).filter((n) => n !== '');
  if (entries.length === 0) throw new InvalidArgumentError('expected one or more entries');
  return [...new Set([...(previous ?? []), ...entries])];
}

function parseUiAuth(text: string): 'token' | 'none' {
  if (text === 'token' || text === 'none') return text;
  throw new InvalidArgumentError('expected token or none');
}

/** `--leader-elect`, `--leader-elect=true|false` (also 1/0, yes/no). */
function parseBool(text: string | undefined): boolean {
  if (text === undefined || /^(true|1|yes)$/i.test(text)) return true;
  if (/^(false|0|no)$/i.test(text)) return false;
  throw new InvalidArgumentError('expected true or false');
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
 * up to 30 s) and returns Ok. Usage for a bad address or bad Lease timings; Failed when the
 * kubeconfig cannot be read or the port cannot be bound.
 *
 * With leaderElect, the controller starts only once this replica holds the Lease (a standby serves
 * /healthz, and /readyz says 503 standby); on SIGTERM it stops the controller, then releases the
 * Lease. If the Lease cannot be renewed within renewDeadline, every write is refused at once, the
 * controller stops and the result is Failed, so the process exits non-zero and the Pod restarts.
 */
export async function runController(options: ControllerCommandOptions, io: CliIo): Promise<ExitCode> {
  const address = parseAddress(options.metricsAddr ?? ':8080');
  if (address === undefined) {
    io.err(`error: --metrics-addr: ${JSON.stringify(options.metricsAddr)} is not [host]:port\n`);
    return ExitCode.Usage;
  }
  if ((options.tlsCertFile === undefined) !== (options.tlsPrivateKeyFile === undefined)) {
    io.err('error: --tls-cert-file and --tls-private-key-file go together: give both, or neither to serve plain HTTP\n');
    return ExitCode.Usage;
  }
  const reload = parseDuration(options.tlsReloadInterval ?? '10s');
  if (!reload.ok || reload.value <= 0) {
    io.err(`error: --tls-reload-interval: ${reload.ok ? 'must be above 0' : reload.error}\n`);
    return ExitCode.Usage;
  }
  const tls = options.tlsCertFile !== undefined && options.tlsPrivateKeyFile !== undefined ? { certFile: options.tlsCertFile, keyFile: options.tlsPrivateKeyFile, reloadIntervalMs: reload.value } : undefined;
  let leaseRenewUrl: string | undefined;
  if (options.advertiseUrl !== undefined) {
    let base: URL;
    try {
      base = new URL(options.advertiseUrl);
    } catch {
      io.err(`error: --advertise-url: ${JSON.stringify(options.advertiseUrl)} is not a URL\n`);
      return ExitCode.Usage;
    }
    // Actions send their token to this URL: with TLS served, a plain http:// one would not even connect.
    if (tls !== undefined && base.protocol !== 'https:') {
      io.err(`error: --advertise-url: ${JSON.stringify(options.advertiseUrl)} must be https:// when --tls-cert-file is given\n`);
      return ExitCode.Usage;
    }
    leaseRenewUrl = `${base.origin}${base.pathname.replace(/\/+$/, '')}${LEASE_RENEW_PATH}`;
  }
  let controllerCa: string | undefined;
  if (options.advertiseCaFile !== undefined) {
    if (leaseRenewUrl === undefined) {
      io.err('error: --advertise-ca-file goes with --advertise-url: actions get the CA to reach that URL\n');
      return ExitCode.Usage;
    }
    const ca = readCaFile(options.advertiseCaFile);
    if (!ca.ok) {
      io.err(`error: --advertise-ca-file: ${ca.error}\n`);
      return ExitCode.Usage;
    }
    controllerCa = ca.value;
  }
  const timings = leaseTimings(options);
  if (typeof timings === 'string') {
    io.err(`error: ${timings}\n`);
    return ExitCode.Usage;
  }
  const allowed = CheckerUrlPolicy.create({ allow: options.checkerUrlAllow ?? [] });
  if (!allowed.ok) {
    io.err(`error: ${allowed.error}\n`);
    return ExitCode.Usage;
  }
  const log = createLogger({ level: options.logLevel ?? 'info', name: 'homeostat-controller' });
  let clients: KubeClients;
  try {
    clients = connect(options.kubeconfig);
  } catch (error) {
    io.err(`error: cannot load the kubeconfig: ${describeError(error)}\n`);
    return ExitCode.Failed;
  }
  // The allow entries were checked above; the API server's own hosts come from the kubeconfig.
  const urlPolicy = apiServerPolicy(clients, options.checkerUrlAllow ?? []);
  if (!urlPolicy.ok) throw new Error(urlPolicy.error);
  const signals = options.interrupted === undefined ? watchSignals() : undefined;
  const interrupted = options.interrupted ?? (signals as { received: Promise<void> }).received;
  const metrics = createMetrics();
  // Memory back to the system once idle after a burst (a first pass, a resync); needs --expose-gc.
  const settler = startMemorySettler({ log, settles: metrics.memorySettles });
  const term = options.leaderElect === true ? electedTerm(clients, options, timings, log, metrics) : soleTerm(clients, metrics);
  let controller: Controller | undefined;
  let server: RunningServer;
  // Only tokens for the audience homeostat.dev, reviewed at most 20 at once then 5 a second per
  // client address, each review cut off after 5 s (see kubeAuth and cachedAuth).
  const auth = cachedAuth(kubeAuth(clients.config), { limiter: tokenBucket() });
  if (tls === undefined) log.warn('serving plain HTTP: the bearer tokens of checkers and actions travel in clear text; give --tls-cert-file and --tls-private-key-file');
  const absent = () => ({ status: 'unavailable' as const, message: term.standby() ?? 'the controller is starting' });
  // Every replica watches what the read API shows, a standby too; the engine is the leader's alone.
  const views = new ViewCache(clients, log, options.namespace, { definitionSources: options.definitionSources === true, onRestart: (resource) => metrics.watchRestarts.inc({ resource }) });
  views.start();
  const listAuth = cachedListAuthorizer(kubeListAuthorizer(clients.config));
  const viewSource = views.source(() => controller?.reconciler.engine);
  if (options.uiAuth === 'none') log.warn('--ui-auth=none: anyone who reaches the port can read every Homeostat object through /api/v1; reach it by port-forward only');
  try {
    server = await startServer({
      ...address,
      ...(tls !== undefined ? { tls } : {}),
      metrics,
      log,
      health: {
        // Until the controller exists, the probes wait: not ready, but alive.
        watchesFresh: () => controller?.watchesFresh(STALE_WATCH_MS) ?? { ok: true, stale: [] },
        synced: () => controller?.synced() ?? false,
        standby: () => term.standby(),
      },
      observations: {
        auth,
        deliver: (target, results) => controller?.deliver(target, results) ?? absent(),
      },
      leases: {
        auth,
        renew: (target, key, attempt) => controller?.renew(target, key, attempt) ?? absent(),
      },
      readApi: {
        source: viewSource,
        auth: options.uiAuth === 'none' ? 'none' : { authenticate: auth.authenticate, authorizeList: listAuth },
        details: kubeNodeDetails(clients, log),
        // A re-run creates a DagRun for a caller who may create DagRuns themselves (SubjectAccessReview); refused with --ui-auth=none.
        rerun: { auth: options.uiAuth === 'none' ? 'none' : { authenticate: auth.authenticate, authorizeCreate: kubeDagRunCreateAuthorizer(clients.config) }, source: viewSource, create: kubeRerun(clients, log), log },
      },
    });
  } catch (error) {
    settler.stop();
    await term.stop();
    await views.stop();
    signals?.dispose();
    io.err(`error: cannot serve on ${options.metricsAddr ?? ':8080'}: ${describeError(error)}\n`);
    return ExitCode.Failed;
  }
  options.onServing?.(server);
  // How the run ends: asked to stop (exit 0), or the Lease lost (exit 1, so the Pod restarts and
  // stands again as a standby with empty caches, as controller-runtime does).
  const ending = Promise.race([interrupted.then(() => 'interrupted' as const), term.lost.then(() => 'lost' as const)]);
  try {
    // A standby starts nothing (no informers, no Jobs, no status writes) until the Lease is ours.
    if ((await Promise.race([term.leading.then(() => undefined), ending])) === 'interrupted') {
      log.info('asked to stop before leading');
      await term.stop();
      return ExitCode.Ok;
    }
    const podPolicy = podPolicyOf(options, process.env.POD_NAMESPACE ?? options.leaderElectionNamespace);
    log.info({ podPolicy }, 'pod policy');
    // Every object of a watched namespace that is also protected is refused: say so once, at start.
    const refusedEverywhere = (options.namespace ?? []).filter((ns) => podPolicy.protectedNamespaces.includes(ns));
    if (refusedEverywhere.length > 0) log.warn({ namespaces: refusedEverywhere }, "watched namespaces are protected (the controller's own): every Homeostat object there is refused with ProtectedNamespace; watch others, or set --protected-namespaces");
    const started = startController({ clients: term.clients, log, metrics, podPolicy, ...nodeCaps(options), checkerUrlPolicy: urlPolicy.value, sharedInformers: views.informers, ...(options.maxChecksInFlight !== undefined ? { maxChecksInFlight: options.maxChecksInFlight } : {}), requireValuesSourceLabel: options.valuesFromRequireLabel === true, ...(options.namespace !== undefined ? { namespaces: options.namespace } : {}), ...(leaseRenewUrl !== undefined ? { leaseRenewUrl } : {}), ...(controllerCa !== undefined ? { controllerCa } : {}), ...(options.definitionSources === true ? { sources: { directoryRoots: options.sourceDirectoryRoot ?? [] } } : {}) });
    const first = await Promise.race([started.then((c) => ({ c })), ending]);
    if (typeof first === 'string') {
      log.info({ reason: first }, 'stopping before the controller started');
      void started.then((c) => c.stop(0)).catch(() => undefined);
      await term.stop();
      return first === 'lost' ? ExitCode.Failed : ExitCode.Ok;
    }
    controller = first.c;
    options.onStarted?.(controller, server);
    if ((await ending) === 'lost') {
      // The fence already refuses every write; stopping only ends the watches and timers.
      io.err('error: lost the leader election Lease; exiting so a new process stands again\n');
      await Promise.race([controller.stop(0), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
      await term.stop();
      return ExitCode.Failed;
    }
    await controller.stop(30_000);
    // Released only once nothing acts any more, so the next leader starts from a settled status.
    await term.stop();
    return ExitCode.Ok;
  } catch (error) {
    log.error({ err: error }, 'the controller failed to start');
    io.err(`error: ${describeError(error)}\n`);
    await term.stop();
    return ExitCode.Failed;
  } finally {
    settler.stop();
    await server.close();
    await views.stop();
    signals?.dispose();
  }
}

/** The right to act: from a Lease (leader election), or unconditionally (a single replica). */
interface Term {
  /** Resolves once this replica may act. */
  leading: Promise<void>;
  /** Resolves if the right to act is lost (never without leader election). */
  lost: Promise<void>;
  /** The clients the controller uses: with leader election every write is fenced by the term. */
  clients: KubeClients;
  /** Why this replica is a standby, for /readyz; undefined when it acts. */
  standby(): string | undefined;
  /** Gives the right up (releases a held Lease). Idempotent. */
  stop(): Promise<void>;
}

function soleTerm(clients: KubeClients, metrics: Metrics): Term {
  metrics.leader.set(1);
  return { leading: Promise.resolve(), lost: new Promise(() => undefined), clients, standby: () => undefined, stop: async () => void metrics.leader.set(0) };
}

function electedTerm(clients: KubeClients, options: ControllerCommandOptions, timings: LeaseTimings, log: Logger, metrics: Metrics): Term {
  const namespace = options.leaderElectionNamespace ?? process.env.POD_NAMESPACE ?? options.namespace?.[0] ?? DEFAULT_ELECTION_NAMESPACE;
  let started = () => undefined as void;
  let lost = () => undefined as void;
  const leading = new Promise<void>((resolve) => (started = resolve));
  const lostPromise = new Promise<void>((resolve) => (lost = resolve));
  const elector: LeaderElector = new LeaderElector({
    api: kubeLeaseApi(clients.coordination),
    namespace,
    name: options.leaderElectionId ?? DEFAULT_ELECTION_ID,
    identity: electionIdentity(),
    timings,
    log,
    leader: metrics.leader,
    onStartedLeading: () => started(),
    onStoppedLeading: (reason) => {
      if (reason === 'lost') lost();
    },
  });
  void elector.run();
  return {
    leading,
    lost: lostPromise,
    clients: fenceWrites(clients, () => elector.isLeader()),
    standby: () => (elector.isLeader() ? undefined : `standby: ${elector.holder === undefined ? 'waiting for the leader election Lease' : `${elector.holder} leads`} (this replica is ${elector.identity})`),
    stop: () => elector.stop(),
  };
}

/** The Lease timings from the flags (Go-style durations), or what is wrong with them. */
function leaseTimings(options: ControllerCommandOptions): LeaseTimings | string {
  const flags = { leaseDurationMs: ['--leader-election-lease-duration', options.leaderElectionLeaseDuration], renewDeadlineMs: ['--leader-election-renew-deadline', options.leaderElectionRenewDeadline], retryPeriodMs: ['--leader-election-retry-period', options.leaderElectionRetryPeriod] } as const;
  const timings: LeaseTimings = { ...DEFAULT_TIMINGS };
  for (const [field, [flag, text]] of Object.entries(flags) as [keyof LeaseTimings, readonly [string, string | undefined]][]) {
    if (text === undefined) continue;
    const parsed = parseDuration(text);
    if (!parsed.ok) return `${flag}: ${parsed.error}`;
    timings[field] = parsed.value;
  }
  const problem = checkTimings(timings);
  return problem === undefined ? timings : `leader election: ${problem}`;
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
