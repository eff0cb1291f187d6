// A real kube-apiserver and etcd on loopback for integration tests, like controller-runtime's
// envtest: no kubelet, no controller-manager, no scheduler. Pods never run, Jobs get no status
// unless a test writes it (completeJob), namespaces never finish terminating, owner references never
// cascade. The binaries come from hack/envtest/setup.sh (built once, cached); the flags are those of
// hack/envtest/start.sh, but the processes are spawned here so that this process owns them: stop()
// kills them, and a small reaper process kills them if this process dies without calling stop().
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';

export const REPO_ROOT = join(import.meta.dirname, '../../..');
const SETUP_SCRIPT = join(REPO_ROOT, 'hack/envtest/setup.sh');

export interface KubectlResult {
  stdout: string;
  stderr: string;
  /** The exit code: 0 on success. kubectl failing is a result, not an exception. */
  code: number;
}

export interface KubectlOptions {
  /** Written to kubectl's stdin, e.g. a manifest for `apply -f -`. */
  input?: string;
  /** Kill kubectl after this long (default 60 s). */
  timeoutMs?: number;
}

/** What a test needs to talk to a running control plane; the process that started it owns stop(). */
export interface Cluster {
  /** Path of a kubeconfig for an admin (system:masters) user. */
  kubeconfigPath: string;
  /** The same kubeconfig, loaded. */
  kubeConfig: KubeConfig;
  /** Runs kubectl with this kubeconfig (execFile, no shell). */
  kubectl(args: string[], options?: KubectlOptions): Promise<KubectlResult>;
  /** Writes a finished status on a batch/v1 Job, as the job controller would (see completeJob). */
  completeJob(name: string, namespace: string, succeeded: boolean): Promise<void>;
}

export interface ControlPlane extends Cluster {
  /** The state directory: etcd data, certs, token, logs, kubeconfig. Removed by stop(). */
  dir: string;
  /** https://127.0.0.1:PORT */
  server: string;
  /** Kills kube-apiserver then etcd, and removes dir. Idempotent. */
  stop(): Promise<void>;
}

/** The binaries could not be had (setup.sh failed): the one reason integration tests may be skipped. */
export class BinariesUnavailableError extends Error {
  override name = 'BinariesUnavailableError';
}

/**
 * Runs hack/envtest/setup.sh (milliseconds when the binaries are cached; a cold build takes about 8
 * minutes and streams its progress to stderr) and returns the directory holding kube-apiserver and
 * etcd. Throws BinariesUnavailableError when the script fails.
 */
export async function ensureBinaries(): Promise<string> {
  return await new Promise<string>((resolve, reject) => {
    const child = spawn(SETUP_SCRIPT, [], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      // A cold build is long: show its progress, but not the one-line "cached" note.
      if (!/^envtest: cached/.test(chunk.toString())) process.stderr.write(chunk);
    });
    child.on('error', (error) => reject(new BinariesUnavailableError(`cannot run ${SETUP_SCRIPT}: ${error.message}`)));
    child.on('close', (code, signal) => {
      const dir = /^envtest binaries in (.+)$/m.exec(stdout)?.[1];
      if (code === 0 && dir !== undefined && existsSync(join(dir, 'kube-apiserver')) && existsSync(join(dir, 'etcd'))) return resolve(dir);
      // Its output went to stderr as it came; the last line says why.
      const why = stderr.trim().split('\n').at(-1)?.replace(/^envtest: /, '');
      reject(new BinariesUnavailableError(`hack/envtest/setup.sh failed (${signal ?? `exit ${code}`}): ${why || 'no output'}`));
    });
  });
}

export interface StartOptions {
  /** Directory of kube-apiserver and etcd; default: ensureBinaries(). */
  binDir?: string;
  /** Keep the state directory (logs, etcd data) after stop(), for debugging. Default: $HOMEOSTAT_ENVTEST_KEEP == '1'. */
  keepDir?: boolean;
  /** How long to wait for etcd /health and kube-apiserver /readyz together. Default 60 s. */
  readyTimeoutMs?: number;
}

/**
 * Starts etcd and kube-apiserver on free loopback ports in a fresh temporary directory, waits for
 * /readyz, writes a kubeconfig and returns the handle. A port taken between choosing and binding it
 * is retried with new ports (twice). On any failure everything started is stopped before the error
 * (which carries the tail of the logs) is thrown.
 */
export async function startControlPlane(options: StartOptions = {}): Promise<ControlPlane> {
  const binDir = options.binDir ?? (await ensureBinaries());
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      return await startOnce(binDir, options);
    } catch (error) {
      lastError = error;
      if (!(error instanceof PortInUseError)) throw error;
    }
  }
  throw lastError;
}

class PortInUseError extends Error {}

async function startOnce(binDir: string, options: StartOptions): Promise<ControlPlane> {
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-envtest-'));
  const keepDir = options.keepDir ?? process.env.HOMEOSTAT_ENVTEST_KEEP === '1';
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  const processes: Supervised[] = [];
  const reaper = startReaper(dir, keepDir);
  const stopAll = async () => {
    // Reverse order: kube-apiserver first, then etcd.
    for (const p of [...processes].reverse()) await p.stop();
    if (!keepDir) rmSync(dir, { recursive: true, force: true });
    reaper.release();
  };
  try {
    // ---- etcd: the peer URL on port 0, since a single member never talks to peers.
    const etcdPort = await freePort();
    const etcd = supervise('etcd', join(binDir, 'etcd'), [
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
      '--listen-peer-urls=http://127.0.0.1:0',
      '--unsafe-no-fsync',
    ], dir);
    processes.push(etcd);
    reaper.watch(etcd);
    await waitFor(etcd, deadline, async () => (await httpGet(`http://127.0.0.1:${etcdPort}/health`)).includes('"health":"true"'));

    // ---- credentials: a static admin token (system:masters bypasses RBAC) and a service account key pair.
    const token = randomBytes(24).toString('hex');
    writeFileSync(join(dir, 'tokens.csv'), `${token},admin,admin-uid,"system:masters"\n`, { mode: 0o600 });
    const { publicKey, privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    writeFileSync(join(dir, 'sa.pub'), publicKey);
    writeFileSync(join(dir, 'sa.key'), privateKey, { mode: 0o600 });

    // ---- kube-apiserver: no serving cert given, so it self-signs certs/apiserver.crt (cert + its CA).
    const apiPort = await freePort();
    const certDir = join(dir, 'certs');
    mkdirSync(certDir);
    const apiserver = supervise('kube-apiserver', join(binDir, 'kube-apiserver'), [
      '--advertise-address=127.0.0.1',
      '--bind-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--cert-dir=${certDir}`,
      `--etcd-servers=http://127.0.0.1:${etcdPort}`,
      `--token-auth-file=${join(dir, 'tokens.csv')}`,
      '--authorization-mode=RBAC',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${join(dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      // No controller-manager creates the "default" ServiceAccount.
      '--disable-admission-plugins=ServiceAccount',
      '--allow-privileged=true',
    ], dir);
    processes.push(apiserver);
    reaper.watch(apiserver);
    const server = `https://127.0.0.1:${apiPort}`;
    const caFile = join(certDir, 'apiserver.crt');
    await waitFor(apiserver, deadline, async () => {
      if (!existsSync(caFile)) return false;
      return (await httpGet(`${server}/readyz`, { ca: readFileSync(caFile), token })) === 'ok';
    });

    const kubeconfigPath = join(dir, 'kubeconfig');
    writeFileSync(kubeconfigPath, kubeconfigYaml(server, caFile, token), { mode: 0o600 });
    let stopped: Promise<void> | undefined;
    return {
      ...connect(kubeconfigPath),
      dir,
      server,
      stop: () => (stopped ??= stopAll()),
    };
  } catch (error) {
    const logs = processes.map((p) => `--- ${p.name} (last lines of ${p.logFile}):\n${tail(p.logFile, 15)}`).join('\n');
    await stopAll();
    if (/address already in use/.test(logs)) throw new PortInUseError(logs);
    throw new Error(`control plane did not start: ${(error as Error).message}\n${logs}`, { cause: error });
  }
}

/** A Cluster for a kubeconfig written by startControlPlane (possibly by another process). */
export function connect(kubeconfigPath: string): Cluster {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath);
  // kubectl's discovery cache would otherwise go to ~/.kube/cache, one directory per port.
  const cacheDir = join(dirname(kubeconfigPath), 'kubectl-cache');
  return {
    kubeconfigPath,
    kubeConfig,
    kubectl: (args, options) => kubectl(['--kubeconfig', kubeconfigPath, '--cache-dir', cacheDir, ...args], options),
    completeJob: (name, namespace, succeeded) => completeJob(kubeConfig, name, namespace, succeeded),
  };
}

/** Runs kubectl ($KUBECTL or kubectl on PATH) with the given arguments, never through a shell. */
export function kubectl(args: string[], options: KubectlOptions = {}): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.env.KUBECTL ?? 'kubectl',
      args,
      { timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== 'number') {
          // Not started (ENOENT), killed by the timeout, or output too large.
          return reject(new Error(`kubectl ${args.join(' ')}: ${error.message}${error.killed ? ' (killed: timeout)' : ''}\n${stderr}`));
        }
        resolve({ stdout, stderr, code: error === null ? 0 : (error.code as number) });
      },
    );
    // kubectl that exits before reading its stdin (a `get` under load) makes the write fail with
    // EPIPE; its exit code and output still say what happened, so only that error is let go.
    child.stdin?.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') reject(error);
    });
    child.stdin?.end(options.input ?? '');
  });
}

/**
 * Writes a finished status on a batch/v1 Job through its status subresource, in the order the
 * API server (>= 1.31) accepts without a job controller (hack/envtest/README.md):
 *   1. startTime and active: 1 (skipped when the Job already has a startTime)
 *   2. success: SuccessCriteriaMet=True with active: 0, succeeded: 1
 *      failure: FailureTarget=True
 *   3. success: Complete=True (with SuccessCriteriaMet) and completionTime
 *      failure: Failed=True (with FailureTarget), active: 0, failed: 1, no completionTime
 * Merge patches: `conditions` is replaced whole, hence both conditions in step 3.
 */
export async function completeJob(kubeConfig: KubeConfig, name: string, namespace: string, succeeded: boolean): Promise<void> {
  const batch = kubeConfig.makeApiClient(BatchV1Api);
  // client-node's generated patch methods send application/json-patch+json unless told otherwise.
  const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  const patch = (status: Record<string, unknown>) =>
    batch.patchNamespacedJobStatus({ name, namespace, body: { status } }, mergePatch);
  const job = await batch.readNamespacedJobStatus({ name, namespace });
  if (job.status?.startTime === undefined) await patch({ startTime: now(), active: 1 });
  const at = now();
  // Plain JSON (a V1JobCondition would want Dates): the body is sent as is.
  const condition = (type: string, reason: string) => ({ type, status: 'True', reason, lastTransitionTime: at });
  if (succeeded) {
    const criteria = condition('SuccessCriteriaMet', 'CompletionsReached');
    await patch({ active: 0, succeeded: 1, conditions: [criteria] });
    await patch({ completionTime: at, conditions: [criteria, condition('Complete', 'CompletionsReached')] });
  } else {
    const target = condition('FailureTarget', 'BackoffLimitExceeded');
    await patch({ conditions: [target] });
    await patch({ active: 0, failed: 1, conditions: [target, condition('Failed', 'BackoffLimitExceeded')] });
  }
}

/** Now, to the second (metav1.Time has no fractions). */
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

function kubeconfigYaml(server: string, caFile: string, token: string): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: envtest
  cluster:
    server: ${server}
    certificate-authority: ${caFile}
users:
- name: admin
  user:
    token: ${token}
contexts:
- name: envtest
  context: {cluster: envtest, user: admin}
current-context: envtest
`;
}

// ---- processes ------------------------------------------------------------------------------------

interface Supervised {
  name: string;
  pid: number;
  binary: string;
  logFile: string;
  child: ChildProcess;
  /** Set once the process has exited. */
  exited: string | undefined;
  stop(): Promise<void>;
}

/** Spawns a binary with its output in DIR/NAME.log; it does not keep this process alive. */
function supervise(name: string, binary: string, args: string[], dir: string): Supervised {
  const logFile = join(dir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(binary, args, { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`could not start ${binary}`);
  child.unref();
  let exitedResolve: () => void;
  const exitedPromise = new Promise<void>((resolve) => (exitedResolve = resolve));
  const p: Supervised = {
    name,
    pid: child.pid,
    binary,
    logFile,
    child,
    exited: undefined,
    async stop() {
      if (p.exited !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exitedPromise;
      clearTimeout(timer);
    },
  };
  child.on('exit', (code, signal) => {
    p.exited = signal ?? `exit ${code}`;
    exitedResolve();
  });
  child.on('error', (error) => {
    p.exited = error.message;
    exitedResolve();
  });
  return p;
}

/** Polls check() every 100 ms until it is true; fails when the process exits or at the deadline. */
async function waitFor(p: Supervised, deadline: number, check: () => Promise<boolean>): Promise<void> {
  let last = '';
  for (;;) {
    if (p.exited !== undefined) throw new Error(`${p.name} exited (${p.exited})`);
    try {
      if (await check()) return;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`${p.name} not ready in time${last ? ` (last error: ${last})` : ''}`);
    await sleep(100);
  }
}

/**
 * A detached process that kills the control plane and removes its directory if this process dies
 * without stop() (jest killed, a crash): it waits for its stdin, a pipe from this process, to close,
 * which happens however this process ends. Each pid is only killed while /proc/PID/cmdline is
 * still the binary it was started as.
 */
function startReaper(dir: string, keepDir: boolean): { watch(p: Supervised): void; release(): void } {
  const script = `
    const fs = require('node:fs');
    const pids = [];
    let buffer = '';
    process.stdin.on('data', (d) => { buffer += d; });
    process.stdin.on('close', () => {
      for (const line of buffer.split('\\n')) { const [pid, bin] = line.split(' '); if (pid) pids.push([Number(pid), bin]); }
      const ours = ([pid, bin]) => { try { return fs.readFileSync('/proc/' + pid + '/cmdline', 'utf8').split('\\0')[0] === bin; } catch { return false; } };
      const kill = (signal) => { for (const p of pids.reverse()) if (ours(p)) { try { process.kill(p[0], signal); } catch {} } };
      kill('SIGTERM');
      setTimeout(() => { kill('SIGKILL'); if (${!keepDir}) fs.rmSync(${JSON.stringify(dir)}, { recursive: true, force: true }); }, 3000);
    });`;
  const child = spawn(process.execPath, ['-e', script], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  child.unref();
  const stdin = child.stdin as unknown as { write(s: string): void; end(): void; unref?(): void };
  stdin.unref?.();
  return {
    watch: (p) => stdin.write(`${p.pid} ${p.binary}\n`),
    // stop() ran: nothing is left to reap. Closing the pipe lets the reaper exit (it finds no live pid).
    release: () => stdin.end(),
  };
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** GET with a 2 s timeout; resolves to the body (any status). */
async function httpGet(url: string, tls?: { ca: Buffer; token: string }): Promise<string> {
  if (tls === undefined) {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return await response.text();
  }
  return await new Promise((resolve, reject) => {
    const req = request(url, { ca: tls.ca, headers: { Authorization: `Bearer ${tls.token}` }, timeout: 2_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(body));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
