// What the controller benchmark's scenarios share: a keep-alive HTTPS client for the bench's own
// requests (so the bench's side of a timed round trip is not a TLS handshake), a KubeConfig that
// records every request the controller makes (verb, resource, start and end), a Job watch that
// timestamps what it sees, the kubelet's part (answering checker Jobs, completing Jobs), and a
// few small utilities (percentiles, bounded concurrency, waiting with a deadline).
import { Agent, request } from 'node:https';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BatchV1Api, KubeConfig, type KubernetesObject, makeInformer, type V1Job } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { CHECKER_CONTAINER } from '../src/kube/jobCheckRunner.js';
import { REPO_ROOT } from '../test/integration/harness/controlPlane.js';

export const GROUP_PATH = '/apis/homeostat.dev/v1alpha1';
export const MANAGED = 'app.kubernetes.io/managed-by=homeostat';

// ---- time and deadlines ---------------------------------------------------------------------

export const now = (): number => performance.now();

/** The whole benchmark's deadline: every wait gives up when it passes. */
export class Deadline {
  private readonly at: number;
  constructor(ms: number) {
    this.at = now() + ms;
  }
  get left(): number {
    return this.at - now();
  }
  check(what: string): void {
    if (this.left <= 0) throw new Error(`benchmark time bound reached while ${what}`);
  }
}

/** Polls `fn` every `everyMs` until it returns a value other than undefined; throws after `timeoutMs`. */
export async function until<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs: number, deadline: Deadline, everyMs = 20): Promise<T> {
  const end = now() + Math.min(timeoutMs, Math.max(0, deadline.left));
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Runs `fn` over `items` with at most `limit` at once. */
export async function parallel<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Nearest-rank percentile of sorted values (the engine benchmark's rule). */
export function pct(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export const sortNum = (values: readonly number[]): number[] => [...values].sort((a, b) => a - b);
export const round = (x: number, digits = 1): number => Number(x.toFixed(digits));

// ---- the control plane ----------------------------------------------------------------------

/**
 * The cached envtest binaries, without building them: hack/envtest/setup.sh would start an
 * ~8-minute build when they are missing, which a benchmark must not do.
 */
export function cachedBinaries(): { dir: string } | { skip: string } {
  const dir = join(process.env.HOMEOSTAT_ENVTEST_DIR ?? join(homedir(), '.cache/homeostat/envtest'), 'bin');
  const script = readFileSync(join(REPO_ROOT, 'hack/envtest/setup.sh'), 'utf8');
  const k8s = /^K8S_VERSION=(\S+)/m.exec(script)?.[1];
  const etcd = /^ETCD_VERSION=(\S+)/m.exec(script)?.[1];
  if (!existsSync(join(dir, 'kube-apiserver')) || !existsSync(join(dir, 'etcd'))) return { skip: `no envtest binaries in ${dir} (build them once with \`make envtest\`, ~8 min cold)` };
  const stamp = existsSync(join(dir, 'VERSION')) ? readFileSync(join(dir, 'VERSION'), 'utf8').trim() : '';
  if (stamp !== `kube-apiserver=${k8s} etcd=${etcd}`) return { skip: `the envtest binaries in ${dir} are "${stamp}", not kube-apiserver=${k8s} etcd=${etcd} (run \`make envtest\`)` };
  return { dir };
}

/** crds/*.yaml, server-side applied, then every CRD Established. */
export async function installCrds(api: RawApi, deadline: Deadline): Promise<void> {
  const dir = join(REPO_ROOT, 'crds');
  const names: string[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      const crd = doc.toJS() as { metadata: { name: string } } | null;
      if (crd === null) continue;
      names.push(crd.metadata.name);
      await api.applyAt(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`, crd);
    }
  }
  for (const name of names) {
    await until(`CRD ${name} Established`, async () => {
      const crd = (await api.must('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`)) as { status?: { conditions?: { type: string; status: string }[] } };
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') === true ? true : undefined;
    }, 60_000, deadline, 100);
  }
}

// ---- the bench's own client ------------------------------------------------------------------

export interface RawResponse {
  status: number;
  body: unknown;
}

/**
 * A plain HTTPS client on one keep-alive agent, with the admin token. client-node 2.0.1 builds a
 * new undici Agent (a new TCP + TLS connection) for every request; the bench's timed requests go
 * through this instead, so only the controller pays for that.
 */
export class RawApi {
  readonly requests = { count: 0 };
  private readonly agent: Agent;
  private readonly token: string;
  private readonly server: URL;

  constructor(kubeConfig: KubeConfig) {
    const cluster = kubeConfig.getCurrentCluster();
    const user = kubeConfig.getCurrentUser();
    if (cluster === null || user === null || user.token === undefined || cluster.caFile === undefined) throw new Error('the kubeconfig has no server, CA file or token');
    this.server = new URL(cluster.server);
    this.token = user.token;
    this.agent = new Agent({ keepAlive: true, maxSockets: 32, ca: readFileSync(cluster.caFile) });
  }

  async call(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<RawResponse> {
    this.requests.count++;
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    return await new Promise<RawResponse>((resolve, reject) => {
      const req = request(
        {
          host: this.server.hostname,
          port: this.server.port,
          method,
          path,
          agent: this.agent,
          headers: { Authorization: `Bearer ${this.token}`, Accept: 'application/json', ...(payload !== undefined ? { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(payload) } : {}) },
          timeout: 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              // not JSON (e.g. /metrics)
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timeout`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Like call, but throws unless the status is 2xx. */
  async must(method: string, path: string, body?: unknown, contentType?: string): Promise<unknown> {
    const res = await this.call(method, path, body, contentType);
    if (res.status < 200 || res.status > 299) throw new Error(`${method} ${path}: HTTP ${res.status}: ${JSON.stringify(res.body).slice(0, 500)}`);
    return res.body;
  }

  /** Server-side apply of one of Homeostat's objects (created or updated), as field manager `bench`. */
  apply(plural: string, namespace: string, object: KubernetesObject): Promise<unknown> {
    return this.applyAt(`${GROUP_PATH}/namespaces/${namespace}/${plural}/${object.metadata?.name ?? ''}`, object);
  }

  /** Server-side apply at an object's path. */
  applyAt(path: string, object: unknown): Promise<unknown> {
    return this.must('PATCH', `${path}?fieldManager=bench&force=true`, object, 'application/apply-patch+yaml');
  }

  /** A streaming GET (a watch), its body read and dropped; returns what stops it. */
  drain(path: string): () => void {
    const req = request({ host: this.server.hostname, port: this.server.port, method: 'GET', path, agent: this.agent, headers: { Authorization: `Bearer ${this.token}`, Accept: 'application/json' } }, (res) => res.resume());
    req.on('error', () => undefined);
    req.end();
    return () => req.destroy();
  }

  /** A GET whose body is kept as bytes (e.g. a /debug/pprof profile); throws unless 2xx. */
  async bytes(path: string, timeoutMs = 120_000): Promise<Buffer> {
    return await new Promise<Buffer>((resolve, reject) => {
      const req = request({ host: this.server.hostname, port: this.server.port, method: 'GET', path, agent: this.agent, headers: { Authorization: `Bearer ${this.token}` }, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => ((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300 ? resolve(Buffer.concat(chunks)) : reject(new Error(`GET ${path}: HTTP ${res.statusCode}`))));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`GET ${path}: timeout`)));
      req.on('error', reject);
      req.end();
    });
  }

  createNamespace(name: string): Promise<unknown> {
    return this.applyAt(`/api/v1/namespaces/${name}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }

  close(): void {
    this.agent.destroy();
  }
}

// ---- the controller's requests, recorded -----------------------------------------------------

export interface RecordedRequest {
  /** get, list, watch, create, update, patch, delete */
  verb: string;
  /** e.g. jobs, pods, expectations/status, events */
  resource: string;
  start: number;
  end: number | undefined;
  status: number | undefined;
}

type Handler = Record<string | symbol, unknown>;
interface DispatcherLike {
  compose(interceptor: (dispatch: (opts: unknown, handler: Handler) => boolean) => (opts: unknown, handler: Handler) => boolean): DispatcherLike;
}
type AuthContext = Parameters<KubeConfig['applySecurityAuthentication']>[0];

/** verb and resource of an API path: /apis/batch/v1/namespaces/ns/jobs/name/status -> patch jobs/status. */
export function classify(method: string, url: string): { verb: string; resource: string } {
  const u = new URL(url);
  const parts = u.pathname.split('/').filter(Boolean);
  // /api/v1/... or /apis/group/version/...
  let rest = parts[0] === 'api' ? parts.slice(2) : parts.slice(3);
  if (rest[0] === 'namespaces' && rest.length >= 3) rest = rest.slice(2);
  const [resource = '?', name, sub] = rest;
  const verbs: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };
  const verb = method === 'GET' ? (u.searchParams.get('watch') === 'true' ? 'watch' : name === undefined ? 'list' : 'get') : (verbs[method] ?? method.toLowerCase());
  return { verb, resource: sub !== undefined ? `${resource}/${sub}` : resource };
}

/**
 * A KubeConfig whose every request (API calls and watches both go through
 * applySecurityAuthentication) is recorded, with its end time, through an undici interceptor on
 * the request's dispatcher.
 */
export class RecordingKubeConfig extends KubeConfig {
  readonly requests: RecordedRequest[] = [];
  private open = 0;
  private lastEnd = 0;
  private shared: ReturnType<AuthContext['getDispatcher']>;

  /**
   * @param reuseConnections an experiment, not what the controller does: every request goes
   * through the first request's dispatcher (one keep-alive connection pool) instead of a new one.
   */
  constructor(private readonly reuseConnections = false) {
    super();
  }

  override async applySecurityAuthentication(context: AuthContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    if (this.reuseConnections) {
      this.shared ??= context.getDispatcher();
      if (this.shared !== undefined) context.setDispatcher(this.shared);
    }
    const { verb, resource } = classify(String(context.getHttpMethod()), context.getUrl());
    const record: RecordedRequest = { verb, resource, start: now(), end: undefined, status: undefined };
    this.requests.push(record);
    if (verb === 'watch') return;
    this.open++;
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      record.end = now();
      this.lastEnd = record.end;
      this.open--;
    };
    const dispatcher = context.getDispatcher() as unknown as DispatcherLike | undefined;
    if (dispatcher === undefined || typeof dispatcher.compose !== 'function') {
      // No dispatcher to hook (not TLS): count it, but it is never "in flight".
      end();
      return;
    }
    const wrapHandler = (handler: Handler): Handler =>
      new Proxy(handler, {
        get(target, prop) {
          const value = Reflect.get(target, prop, target) as unknown;
          if (typeof value !== 'function') return value;
          const fn = value as (...args: unknown[]) => unknown;
          if (prop === 'onResponseStart') return (...args: unknown[]) => ((record.status = args[1] as number), fn.apply(target, args));
          if (prop === 'onHeaders') return (...args: unknown[]) => ((record.status = args[0] as number), fn.apply(target, args));
          if (prop === 'onResponseEnd' || prop === 'onComplete' || prop === 'onResponseError' || prop === 'onError') return (...args: unknown[]) => (end(), fn.apply(target, args));
          return fn.bind(target);
        },
      });
    context.setDispatcher(dispatcher.compose((dispatch) => (opts, handler) => dispatch(opts, wrapHandler(handler))) as unknown as Parameters<AuthContext['setDispatcher']>[0]);
  }

  /** Requests (not watches) sent and not answered yet. */
  get inFlight(): number {
    return this.open;
  }

  /** When the last request ended (performance.now()). */
  get lastEndAt(): number {
    return this.lastEnd;
  }
}

/** Counts by `verb resource`, most first. */
export function tally(requests: readonly RecordedRequest[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const r of requests) counts.set(`${r.verb} ${r.resource}`, (counts.get(`${r.verb} ${r.resource}`) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1]);
}

// ---- the bench's watch of Homeostat's Jobs ---------------------------------------------------

export const roleOf = (job: V1Job): string | undefined => job.metadata?.labels?.['homeostat.dev/role'];
export const ownerOf = (job: V1Job): string => job.metadata?.annotations?.['homeostat.dev/owner'] ?? job.metadata?.labels?.['homeostat.dev/owner'] ?? '';
export const jobEnded = (job: V1Job): boolean => (job.status?.conditions ?? []).some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');

/** Every Homeostat Job of one namespace, from a client-node informer, with when each was first seen. */
export class JobWatch {
  readonly jobs = new Map<string, V1Job>();
  readonly firstSeen = new Map<string, number>();
  private readonly listeners = new Set<(job: V1Job) => void>();
  private readonly informer;

  constructor(kubeConfig: KubeConfig, namespace: string) {
    const batch = kubeConfig.makeApiClient(BatchV1Api);
    this.informer = makeInformer(kubeConfig, `/apis/batch/v1/namespaces/${namespace}/jobs`, () => batch.listNamespacedJob({ namespace, labelSelector: MANAGED }), MANAGED);
    const seen = (job: V1Job) => {
      const at = now();
      const name = job.metadata?.name ?? '';
      if (!this.firstSeen.has(name)) this.firstSeen.set(name, at);
      this.jobs.set(name, job);
      for (const l of this.listeners) l(job);
    };
    this.informer.on('add', seen);
    this.informer.on('update', seen);
    this.informer.on('delete', (job) => this.jobs.delete(job.metadata?.name ?? ''));
    this.informer.on('error', () => setTimeout(() => void this.informer.start().catch(() => undefined), 500));
  }

  start(): Promise<void> {
    return this.informer.start();
  }

  stop(): Promise<void> {
    return this.informer.stop();
  }

  /** Calls `listener` with every Job added or updated from now on. */
  onJob(listener: (job: V1Job) => void): void {
    this.listeners.add(listener);
  }

  list(filter: (job: V1Job) => boolean): V1Job[] {
    return [...this.jobs.values()].filter(filter);
  }

  /** Resolves with the first Job (already here or to come) that matches, and when it was first seen. */
  waitFor(filter: (job: V1Job) => boolean, timeoutMs: number): Promise<{ job: V1Job; seenAt: number }> {
    for (const job of this.jobs.values()) if (filter(job)) return Promise.resolve({ job, seenAt: this.firstSeen.get(job.metadata?.name ?? '') ?? now() });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`no matching Job within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (job: V1Job) => {
        if (!filter(job)) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve({ job, seenAt: this.firstSeen.get(job.metadata?.name ?? '') ?? now() });
      };
      this.listeners.add(listener);
    });
  }
}

// ---- the kubelet's part ---------------------------------------------------------------------

export type State = 'satisfied' | 'unsatisfied' | 'unrecoverable';

const stamp = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/** The partition keys a checker Job asks about (its HOMEOSTAT_REQUEST). */
export function keysOf(job: V1Job): string[] {
  const container = job.spec?.template.spec?.containers[0];
  const req = JSON.parse(container?.env?.find((e) => e.name === 'HOMEOSTAT_REQUEST')?.value ?? '{}') as { partitions?: { key: string }[] };
  return (req.partitions ?? []).map((p) => p.key);
}

/**
 * The checker's Pod, terminated with the verdict in its termination message, as
 * test/integration/controllerFixtures.ts writes it (Scene.answer): what the controller reads
 * once the Job completes.
 */
export async function writeCheckerPod(api: RawApi, namespace: string, job: V1Job, state: State): Promise<string> {
  const name = job.metadata?.name ?? '';
  const container = job.spec?.template.spec?.containers[0];
  const results = keysOf(job).map((key) => ({ key, state }));
  const pod = `${name}-pod`;
  const image = container?.image ?? 'x';
  await api.must('POST', `/api/v1/namespaces/${namespace}/pods`, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: pod, labels: job.spec?.template.metadata?.labels ?? {} },
    spec: { restartPolicy: 'Never', containers: [{ name: CHECKER_CONTAINER, image }] },
  });
  const terminated = { exitCode: 0, reason: 'Completed', message: JSON.stringify({ results }), startedAt: stamp(), finishedAt: stamp() };
  await api.must(
    'PATCH',
    `/api/v1/namespaces/${namespace}/pods/${pod}/status`,
    { status: { phase: 'Succeeded', containerStatuses: [{ name: CHECKER_CONTAINER, image, imageID: '', ready: false, restartCount: 0, state: { terminated } }] } },
    'application/merge-patch+json',
  );
  return pod;
}

/**
 * The harness's completeJob (test/integration/harness/controlPlane.ts), success only, cut in two
 * so that the last write, the one that makes the Job Complete (and the controller act), can be
 * timed alone: `prepare` writes startTime/active and SuccessCriteriaMet, `complete` writes
 * Complete=True and completionTime. Same writes, same order, through the status subresource.
 */
export function splitCompleteJob(api: RawApi, namespace: string, name: string): { prepare(): Promise<void>; complete(): Promise<void> } {
  const path = `/apis/batch/v1/namespaces/${namespace}/jobs/${name}/status`;
  const patch = (status: Record<string, unknown>) => api.must('PATCH', path, { status }, 'application/merge-patch+json');
  const at = stamp();
  const condition = (type: string, reason: string) => ({ type, status: 'True', reason, lastTransitionTime: at });
  const criteria = condition('SuccessCriteriaMet', 'CompletionsReached');
  return {
    async prepare() {
      await patch({ startTime: at, active: 1 });
      await patch({ active: 0, succeeded: 1, conditions: [criteria] });
    },
    async complete() {
      await patch({ completionTime: at, conditions: [criteria, condition('Complete', 'CompletionsReached')] });
    },
  };
}

// ---- manifests ------------------------------------------------------------------------------

export const API_VERSION = 'homeostat.dev/v1alpha1';

export function stateChecker(name: string, spec: Record<string, unknown>): KubernetesObject & { spec: unknown } {
  return { apiVersion: API_VERSION, kind: 'StateChecker', metadata: { name }, spec };
}

export function expectationObject(name: string, spec: Record<string, unknown>): KubernetesObject & { spec: unknown } {
  return { apiVersion: API_VERSION, kind: 'Expectation', metadata: { name }, spec };
}

export const ACTION = { job: { template: { spec: { containers: [{ name: 'build', image: 'example/build:1', args: ['--build'] }] } } } };

/** The moments one latency sample went through (performance.now()): upstream Complete to downstream Job seen. */
export interface SampleMoments {
  /** The bench's PATCH that completed the upstream Job was sent. */
  t0: number;
  /** ...and answered. */
  patched: number;
  /** The controller's watch heard of it. */
  seen: number;
  pass: { start: number; end: number };
  write: { start: number; end: number };
  launchStart: number;
  launchEnd: number;
  /** The bench's watch saw the downstream Job. */
  seenAt: number;
}

/**
 * Where a latency sample's time goes: the chain (its steps add up to the latency), then two
 * overlapping figures in parentheses. `write` names the lease write of the scenario.
 */
export function latencySteps(write: string, extra: string[] = []): Record<string, number[]> {
  const names = ['PATCH Complete -> controller watch', 'watch event -> plan start', 'plan', 'plan -> lease write start', write, 'lease written -> launch', 'launch -> Job seen by the bench watch', '(the kubelet PATCH, answered)', '(launch -> POST job answered)', ...extra];
  return Object.fromEntries(names.map((n) => [n, [] as number[]]));
}

/** Adds one sample's moments to `latencySteps(write)`. */
export function addSample(steps: Record<string, number[]>, write: string, m: SampleMoments): void {
  const push = (step: string, ms: number) => steps[step]?.push(ms);
  push('PATCH Complete -> controller watch', m.seen - m.t0);
  push('watch event -> plan start', m.pass.start - m.seen);
  push('plan', m.pass.end - m.pass.start);
  push('plan -> lease write start', m.write.start - m.pass.end);
  push(write, m.write.end - m.write.start);
  push('lease written -> launch', m.launchStart - m.write.end);
  push('launch -> Job seen by the bench watch', m.seenAt - m.launchStart);
  push('(the kubelet PATCH, answered)', m.patched - m.t0);
  push('(launch -> POST job answered)', m.launchEnd - m.launchStart);
}
