// Scenario 3: the controller's memory with N unpartitioned Expectations sharing one StateChecker,
// run as its own process so its RSS is its own, as the image runs it: hack/image/bundle.sh's one
// esbuild bundle (BENCH_CONTROLLER_ENTRY=dist: dist/cli/main.js, tsc's ~1000 modules). The
// Expectations exist before it starts, so its start is the initial sync of all of them; a small
// preloaded probe (a data: URL module, no source change) samples its memory, records its writes
// and, with dist/ only, times Engine.setWorld and Engine.plan.
// "First pass done" is when every Expectation has its status written (homeostat_status_writes_total).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ControlPlane } from '../test/integration/harness/controlPlane.js';
import { REPO_ROOT } from '../test/integration/harness/controlPlane.js';
import type { KubernetesObject } from '@kubernetes/client-node';
import { hostImageEnv, imageNodeFlags } from './controllerNodeFlags.js';
import { ACTION, API_VERSION, type Deadline, expectationObject, parallel, RawApi, round, stateChecker, until } from './controllerScenario.js';

export interface MemoryFigures {
  expectations: number;
  /** VmRSS once every status is written and the controller is quiet. */
  rssMB: number;
  /** VmHWM: the peak. */
  peakRssMB: number;
  /** The same controller with nothing to watch, idle. */
  idleRssMB: number;
  heapUsedMB: number;
  syncMs: number;
  startedMs: number;
  firstCompileMs: number;
  firstPlanMs: number;
  firstPlanDoneMs: number;
  allWrittenMs: number;
  statusWrites: number;
  createSeconds: number;
  /** Dags created with the Expectations (one period, two tasks each). */
  dags: number;
  /** Requests that changed something over `minutes` of nothing changing, after the first pass. */
  steady: { minutes: number; writes: number; byKind: [string, number][]; leaseRenewals: number } | undefined;
  /** RSS at the soak's start (the first pass done) and end, and the most in between. */
  soak: { minutes: number; startRssMB: number; endRssMB: number; maxRssMB: number; growthPct: number; heapUsedStartMB: number; heapUsedEndMB: number } | undefined;
  /**
   * The controller stopped and started again over the same objects (a rolling update): its
   * first pass done (ms from its start), the writes it made up to 5 s of quiet after it, its RSS.
   */
  restart: { firstPassMs: number; writes: number; byKind: [string, number][]; rssMB: number } | undefined;
  note: string;
}

export interface MemoryOptions {
  expectations: number;
  dags: number;
  /** Minutes of steady state whose writes are counted. */
  steadyMinutes: number;
  /** Minutes the controller runs after its first pass, RSS sampled (0: no soak). */
  soakMinutes: number;
  /**
   * Other work run meanwhile (the Dags scenario, in its own namespaces with its own controller):
   * it does not touch this controller's namespace, so its writes and RSS stay its own.
   */
  during?: () => Promise<void>;
}

/** A Dag of two tasks with one period (yesterday): one run, one Job at a time, then nothing to do. */
function memoryDag(name: string): KubernetesObject & { spec: unknown } {
  const day = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const task = (t: string, dependsOn?: string[]) => ({ name: t, ...(dependsOn !== undefined ? { dependsOn } : {}), timeout: '6h', job: { template: { spec: { containers: [{ name: 'main', image: `example/${t}:1`, args: ['--period', '{{period}}'] }] } } } });
  return { apiVersion: API_VERSION, kind: 'Dag', metadata: { name }, spec: { periods: { from: day, to: day, every: 'P1D', timeZone: 'UTC' }, maxActiveRuns: 1, tasks: [task('extract'), task('load', ['extract'])] } };
}

/** What a write is about, from its path: `PUT expectations/status`, `POST jobs`, `PUT leases`. */
function writeKind(w: { method: string; path: string }): string {
  const parts = w.path.split('/').filter((p) => p !== '');
  const i = parts.indexOf('namespaces');
  const rest = i >= 0 ? parts.slice(i + 2) : parts.slice(parts[0] === 'api' ? 2 : 3);
  return `${w.method} ${rest[0] ?? '?'}${rest[2] !== undefined ? `/${rest[2]}` : ''}`;
}

const NS = 'bench-memory';
const EMPTY_NS = 'bench-empty';

interface Entry {
  main: string;
  /** dist/'s engine module, whose Engine the probe times; undefined for the bundle (its Engine is not reachable). */
  engine: string | undefined;
  built: string;
}

/**
 * The controller's entry point. By default the image's: hack/image/bundle.sh's one esbuild bundle
 * of dist/cli/main.js (importing client-node unbundled costs ~50 MB more RSS than bundled, so
 * dist/'s ~1000 modules do not measure what the image runs). BENCH_CONTROLLER_ENTRY=dist runs
 * dist/cli/main.js as tsc wrote it, for comparison.
 */
function controllerEntry(progress: (line: string) => void): Entry {
  const which = process.env.BENCH_CONTROLLER_ENTRY ?? 'bundle';
  if (which !== 'bundle' && which !== 'dist') throw new Error(`BENCH_CONTROLLER_ENTRY is 'bundle' (the default) or 'dist', not '${which}'`);
  const dist = distEntry(progress);
  if (which === 'dist') return dist;
  if (dist.main !== join(REPO_ROOT, 'dist/cli/main.js')) {
    throw new Error('dist/ is older than src/: the bundle is built from dist/ as the image\'s is; run `make build` first (or BENCH_CONTROLLER_ENTRY=dist for a private tsc build)');
  }
  return bundleEntry(progress);
}

/** hack/image/bundle.sh controller into .tools/ (ignored by git), again when dist/ is newer than it. */
function bundleEntry(progress: (line: string) => void): Entry {
  const stage = join(REPO_ROOT, '.tools/homeostat-bench-bundle');
  const main = join(stage, 'files/usr/local/lib/homeostat/dist/cli/main.js');
  const own = join(stage, '.built');
  const inputs = Math.max(...['dist/.built', 'dist/web/.built', 'hack/image/bundle.sh', 'hack/image/controller-node-flags'].map((f) => (existsSync(join(REPO_ROOT, f)) ? statSync(join(REPO_ROOT, f)).mtimeMs : Infinity)));
  if (!existsSync(own) || !existsSync(main) || statSync(own).mtimeMs < inputs) {
    progress('  bundling dist/ as the image does (hack/image/bundle.sh controller, into .tools/homeostat-bench-bundle)');
    mkdirSync(stage, { recursive: true });
    // bundle.sh calls esbuild and node by name.
    const path = [join(REPO_ROOT, 'node_modules/.bin'), dirname(process.execPath), process.env.PATH ?? ''].join(':');
    execFileSync(join(REPO_ROOT, 'hack/image/bundle.sh'), ['controller', stage], { cwd: REPO_ROOT, env: { ...process.env, PATH: path }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    writeFileSync(own, '');
  }
  return { main, engine: undefined, built: `the image's bundle (hack/image/bundle.sh: ${relative(REPO_ROOT, main)})` };
}

/** dist/cli/main.js when dist/ is fresher than every source file, else a private tsc build. */
function distEntry(progress: (line: string) => void): Entry {
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((max, e) => {
      const path = join(dir, e.name);
      if (e.isDirectory()) return Math.max(max, newest(path));
      return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? Math.max(max, statSync(path).mtimeMs) : max;
    }, 0);
  const sources = newest(join(REPO_ROOT, 'src'));
  const stamp = join(REPO_ROOT, 'dist/.built');
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= sources) {
    return { main: join(REPO_ROOT, 'dist/cli/main.js'), engine: join(REPO_ROOT, 'dist/engine/engine.js'), built: 'dist/cli/main.js (tsc output, unbundled, up to date)' };
  }
  // dist/ is stale: build into .tools/ (ignored by git, and of this checkout: node_modules may be
  // shared by several worktrees), with a package.json that makes it ESM and gives main.js the
  // version it reads from ../../package.json.
  const root = join(REPO_ROOT, '.tools/homeostat-bench');
  const out = join(root, 'dist');
  const own = join(root, '.built');
  if (!existsSync(own) || statSync(own).mtimeMs < sources) {
    progress('  dist/ is older than src/: building the controller into .tools/homeostat-bench (tsc, ~10 s)');
    mkdirSync(root, { recursive: true });
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'homeostat-bench-build', version, type: 'module', private: true }));
    try {
      // The SDK's built types first, as `make build` does: without them tsc compiles the SDK's
      // sources too, outside rootDir, and writes .js files next to them.
      if (!existsSync(join(REPO_ROOT, 'packages/checker-sdk/dist/index.d.ts'))) execFileSync(join(REPO_ROOT, 'node_modules/.bin/tsc'), ['-p', join(REPO_ROOT, 'packages/checker-sdk')], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
      execFileSync(join(REPO_ROOT, 'node_modules/.bin/tsc'), ['-p', join(REPO_ROOT, 'tsconfig.build.json'), '--outDir', out], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
      writeFileSync(own, '');
    } catch (error) {
      // tsc still emits on type errors (src/ being edited): run that, and say so.
      const output = String((error as { stdout?: Buffer }).stdout ?? '').trim().split('\n').slice(0, 5).join('\n');
      if (!existsSync(join(out, 'cli/main.js'))) throw new Error(`building the controller failed:\n${output}`, { cause: error });
      progress(`  tsc reported errors (the build is used anyway):\n${output}`);
      return { main: join(out, 'cli/main.js'), engine: join(out, 'engine/engine.js'), built: 'a private build of src/ WITH TYPE ERRORS (dist/ was stale)' };
    }
  }
  return { main: join(out, 'cli/main.js'), engine: join(out, 'engine/engine.js'), built: 'a private build of src/ (dist/ was stale)' };
}

/**
 * The child's preloaded probe: its memoryUsage every second, and every request that changes
 * something (undici's diagnostics channel, which a bundled undici publishes on too), one stderr
 * line each (epoch ms). With dist/ (`enginePath`) it also times Engine.setWorld and Engine.plan;
 * the bundle's Engine is not reachable from outside, so those figures are n/a there. (The
 * controller shares one connection pool itself: PooledKubeConfig in src/kube/client.ts.)
 */
function probe(enginePath: string | undefined): string {
  // The probe also ends the controller when this process dies (its stdin, a pipe from here, closes).
  const common = `
process.stdin.on('end', () => process.exit(70));
process.stdin.on('error', () => process.exit(70));
process.stdin.resume();
process.stdin.unref?.();
const at = () => performance.timeOrigin + performance.now();
// Lines carry their own time and go out every 100 ms: a write to a pipe blocks the controller
// while this bench is slow to read (one line per request cost it ~10 s of a cold start).
let lines = '';
const emit = (line) => void (lines += line + '\\n');
const flush = () => { if (lines !== '') { process.stderr.write(lines); lines = ''; } };
setInterval(flush, 100).unref();
process.on('exit', flush);
setInterval(() => { const m = process.memoryUsage(); emit('HSBENCH memory ' + at() + ' 0 ' + [m.rss, m.heapTotal, m.heapUsed, m.external, m.arrayBuffers].map((b) => Math.round(b / 1048576)).join(',')); }, 1000).unref();
// Every request that changes something (not GET, not a watch): the steady state's figure.
const { subscribe } = await import('node:diagnostics_channel');
subscribe('undici:request:create', ({ request }) => {
  if (request.method !== 'GET') emit('HSBENCH write ' + at() + ' 0 ' + request.method + ' ' + String(request.path).split('?')[0]);
});
// Every status write the API server accepted, when its answer came: when the last first status was
// written, without scraping /metrics (a scrape every 200 ms cost the controller ~1.6 CPU s).
subscribe('undici:request:headers', ({ request, response }) => {
  const path = String(request.path).split('?')[0];
  if (request.method === 'PUT' && path.endsWith('/status') && response.statusCode < 300) emit('HSBENCH written ' + at() + ' 0 ' + path);
});
${allocationProfile()}
`;
  const hooks =
    enginePath === undefined
      ? ''
      : `
const { Engine } = await import(${JSON.stringify(pathToFileURL(enginePath).href)});
const plan = Engine.prototype.plan, setWorldSteps = Engine.prototype.setWorldSteps;
Engine.prototype.plan = function (now) { const s = at(); const r = plan.call(this, now); emit('HSBENCH plan ' + s + ' ' + (at() - s) + ' ' + r.checks.length); return r; };
// The controller compiles in slices (setWorldSteps, yielding to the event loop): wall time from the first slice to the last.
Engine.prototype.setWorldSteps = function* (w, now) { const s = at(); yield* setWorldSteps.call(this, w, now); emit('HSBENCH setWorld ' + s + ' ' + (at() - s) + ' ' + w.expectations.length); };
`;
  return `data:text/javascript,${encodeURIComponent(common + hooks)}`;
}

/**
 * Stops the controller and starts another over the same objects, as a rolling update does: how
 * soon its first pass is done, and what it writes (nothing changed: ideally nothing).
 * BENCH_RESTART=0 skips it.
 */
async function startedAgain(first: Child, spawnAgain: () => Child, children: Child[], deadline: Deadline, dead: (c: Child) => string | undefined, progress: (line: string) => void): Promise<MemoryFigures['restart']> {
  await first.stop();
  const t0 = Date.now();
  const child = spawnAgain();
  children.push(child);
  progress('  the controller stopped and started again over the same objects');
  try {
    await until('the restarted controller to start', () => dead(child) ?? (child.url() !== undefined ? true : undefined), 120_000, deadline, 50);
    const url = child.url() as string;
    await until("the restarted controller's first pass", async () => dead(child) ?? ((await metric(url, 'homeostat_reconcile_passes_total')) >= 1 ? true : undefined), 120_000, deadline, 100);
    const firstPassMs = Date.now() - t0;
    const others = () => child.writes.filter((w) => !w.path.includes('/leases/'));
    await until('the restarted controller to be quiet', () => (Date.now() - Math.max(t0 + firstPassMs, others().at(-1)?.at ?? 0) > 5_000 ? true : undefined), Math.min(120_000, Math.max(1_000, deadline.left - 10_000)), deadline, 500);
    const byKind = new Map<string, number>();
    for (const w of others()) byKind.set(writeKind(w), (byKind.get(writeKind(w)) ?? 0) + 1);
    return { firstPassMs, writes: others().length, byKind: [...byKind.entries()].sort((a, b) => b[1] - a[1]), rssMB: procStatus(child.proc.pid as number)?.rssMB ?? NaN };
  } finally {
    await child.stop();
  }
}

/**
 * BENCH_ALLOC_PROFILE=FILE: the child samples every allocation (those the GC collected too: the
 * first pass's garbage is what grows the heap) and writes the profile (.heapprofile, open it in
 * Chrome DevTools) to FILE every 5 s, the last one covering the first pass.
 */
function allocationProfile(): string {
  const file = process.env.BENCH_ALLOC_PROFILE;
  if (file === undefined || file === '') return '';
  return `
const { Session } = await import('node:inspector/promises');
const { writeFileSync } = await import('node:fs');
const session = new Session();
session.connect();
await session.post('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
setInterval(async () => { const { profile } = await session.post('HeapProfiler.getSamplingProfile'); writeFileSync(${JSON.stringify(file)}, JSON.stringify(profile)); }, 5000).unref();
`;
}

/** CPU seconds (user + system) a process has used, from /proc (clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

function procStatus(pid: number): { rssMB: number; peakMB: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
    return { rssMB: round(kb('VmRSS') / 1024), peakMB: round(kb('VmHWM') / 1024) };
  } catch {
    return undefined;
  }
}

interface Child {
  proc: ChildProcess;
  /** JSON log lines (stdout) and probe lines (stderr), with when they arrived. */
  logs: { at: number; line: Record<string, unknown> }[];
  probes: { kind: string; start: number; ms: number; n: number }[];
  /** The child's latest process.memoryUsage(), MB: rss, heapTotal, heapUsed, external, arrayBuffers. */
  memory: number[];
  /** The highest of each, sampled every second. */
  memoryPeak: number[];
  snapshotTaken?: boolean;
  /** Every request that changed something (epoch ms, method, path). */
  writes: { at: number; method: string; path: string }[];
  /** Status writes the API server accepted, when each answer came. */
  written: { at: number; path: string }[];
  url: () => string | undefined;
  stop(): Promise<void>;
}

/**
 * The Node flags the controller runs with: those of its image (hack/image/controller-node-flags,
 * which hack/image/build.sh puts in the image's entrypoint), then BENCH_CONTROLLER_NODE_FLAGS
 * (experiments; a later V8 flag wins over an earlier one). Printed in the note.
 */
function controllerNodeFlags(): string[] {
  return [...imageNodeFlags(), ...(process.env.BENCH_CONTROLLER_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '')];
}

/**
 * The environment the controller runs with besides the bench's own: that of its image
 * (hack/image/controller-env: LD_PRELOAD jemalloc, installed here with hack/deps/apt.sh, or left out
 * loudly), then BENCH_CONTROLLER_ENV (experiments: space-separated NAME=value, over the image's;
 * `LD_PRELOAD=` runs with glibc's malloc). Printed in the note.
 */
function controllerEnv(): Record<string, string> {
  const extra = (process.env.BENCH_CONTROLLER_ENV ?? '').split(' ').filter((e) => e.includes('='));
  return { ...hostImageEnv().env, ...Object.fromEntries(extra.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])) };
}

/** How the controller runs, for the progress lines and the note. */
function controllerCommand(): string {
  const env = Object.entries(controllerEnv()).map(([k, v]) => `${k}=${v}`);
  return `${env.join(' ') || '(no env)'} node ${controllerNodeFlags().join(' ') || '(no flags)'}${hostImageEnv().warning === undefined ? '' : ` ${hostImageEnv().warning}`}`;
}

function spawnController(entry: Entry, kubeconfig: string, namespace: string): Child {
  // BENCH_HEAP_SNAPSHOT=1: the controller writes a heap snapshot (cwd) when the figures are read;
  // BENCH_HEAP_SNAPSHOT=pass: when its first pass is done;
  // BENCH_HEAP_SNAPSHOT_AT_MB=N: when its heapUsed first passes N MB.
  const snapshot = process.env.BENCH_HEAP_SNAPSHOT === '1' || process.env.BENCH_HEAP_SNAPSHOT === 'pass' || process.env.BENCH_HEAP_SNAPSHOT_AT_MB !== undefined ? ['--heapsnapshot-signal=SIGUSR2'] : [];
  const proc = spawn(process.execPath, [...controllerNodeFlags(), ...snapshot, '--import', probe(entry.engine), entry.main, 'controller', '--kubeconfig', kubeconfig, '--namespace', namespace, '--metrics-addr', '127.0.0.1:0', '--log-level', 'info'], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...controllerEnv() },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const child: Child = {
    proc,
    logs: [],
    probes: [],
    memory: [],
    memoryPeak: [],
    writes: [],
    written: [],
    url: () => child.logs.map((l) => l.line.url).find((u): u is string => typeof u === 'string'),
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
  const lines = (stream: NodeJS.ReadableStream, onLine: (line: string) => void) => {
    let buffer = '';
    stream.on('data', (d: Buffer) => {
      buffer += d.toString();
      let i: number;
      while ((i = buffer.indexOf('\n')) >= 0) {
        onLine(buffer.slice(0, i));
        buffer = buffer.slice(i + 1);
      }
    });
  };
  lines(proc.stdout as NodeJS.ReadableStream, (line) => {
    if (!line.startsWith('{')) return;
    try {
      child.logs.push({ at: Date.now(), line: JSON.parse(line) as Record<string, unknown> });
    } catch {
      // not a log line
    }
  });
  lines(proc.stderr as NodeJS.ReadableStream, (line) => {
    const write = /^HSBENCH write ([\d.]+) 0 (\S+) (\S+)$/.exec(line);
    if (write !== null) {
      child.writes.push({ at: Number(write[1]), method: write[2] as string, path: write[3] as string });
      return;
    }
    const done = /^HSBENCH written ([\d.]+) 0 (\S+)$/.exec(line);
    if (done !== null) {
      child.written.push({ at: Number(done[1]), path: done[2] as string });
      return;
    }
    const mem = /^HSBENCH memory [\d.]+ 0 ([\d,]+)$/.exec(line);
    const m = /^HSBENCH (\w+) ([\d.]+) ([\d.]+) (\d+)$/.exec(line);
    if (mem !== null) {
      child.memory = (mem[1] as string).split(',').map(Number);
      // BENCH_MEMORY_TIMELINE=1: every second's sample, to see when a peak happens.
      if (process.env.BENCH_MEMORY_TIMELINE === '1') process.stderr.write(`  memory at ${line.split(' ')[2]} s: rss,heapTotal,heapUsed,external,arrayBuffers MB ${mem[1]}\n`);
      child.memoryPeak = child.memory.map((v, i) => Math.max(v, child.memoryPeak[i] ?? 0));
      // BENCH_HEAP_SNAPSHOT_AT_MB=N: one heap snapshot when heapUsed first passes N MB (where a peak comes from).
      const at = Number(process.env.BENCH_HEAP_SNAPSHOT_AT_MB ?? NaN);
      if (snapshot.length > 0 && !child.snapshotTaken && (child.memory[2] ?? 0) >= at) {
        child.snapshotTaken = true;
        proc.kill('SIGUSR2');
      }
    }
    else if (m !== null) child.probes.push({ kind: m[1] as string, start: Number(m[2]), ms: Number(m[3]), n: Number(m[4]) });
    else if (line.trim() !== '') child.logs.push({ at: Date.now(), line: { msg: line, stderr: true } });
  });
  return child;
}

/** The memory settler's collections: when (ms from start) and RSS before -> after, or why none. */
function settles(child: Child, t0: number): string {
  const done = child.logs.filter((l) => typeof l.line.msg === 'string' && l.line.msg.startsWith('idle after a burst of work'));
  if (done.length === 0) return 'none';
  return done.map((l) => `at ${l.at - t0} ms, RSS ${(l.line.rssMB as number[]).join(' -> ')} MB in ${String(l.line.ms)} ms`).join('; ');
}

const logTime = (child: Child, msg: string): number | undefined => {
  const entry = child.logs.find((l) => l.line.msg === msg);
  return entry === undefined ? undefined : Date.parse(String(entry.line.time)) || entry.at;
};

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(name)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

/** `_reuseConnections` is ignored: the controller child shares one connection pool itself (PooledKubeConfig). */
export async function runMemory(plane: ControlPlane, options: MemoryOptions, deadline: Deadline, progress: (line: string) => void, _reuseConnections = false): Promise<MemoryFigures> {
  const count = options.expectations;
  const entry = controllerEntry(progress);
  const warning = hostImageEnv().warning;
  if (warning !== undefined) progress(`\n${warning}\n`);
  progress(`  controller: ${entry.built}, ${controllerCommand()}${entry.engine === undefined ? ' (compile and plan times n/a: the probe reaches no Engine in a bundle)' : ''}`);
  const api = new RawApi(plane.kubeConfig);
  const children: Child[] = [];
  const dead = (child: Child) => (child.proc.exitCode !== null ? `the controller exited (${child.proc.exitCode}): ${child.logs.slice(-5).map((l) => JSON.stringify(l.line)).join('\n')}` : undefined);
  try {
    // ---- idle, nothing to watch ----
    await api.createNamespace(EMPTY_NS);
    const idle = spawnController(entry, plane.kubeconfigPath, EMPTY_NS);
    children.push(idle);
    await until('the idle controller to start', () => dead(idle) ?? (logTime(idle, 'controller started') !== undefined ? true : undefined), 30_000, deadline, 50);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const idleRss = procStatus(idle.proc.pid as number)?.rssMB ?? NaN;
    await idle.stop();

    // ---- N Expectations, created before the controller starts (server-side apply) ----
    await api.createNamespace(NS);
    await api.apply('statecheckers', NS, stateChecker('table', { mode: 'Push', timeout: '1h' }));
    const createStart = Date.now();
    // Creating must leave time for the controller's run: at most half of what is left.
    const createBudget = Math.max(10_000, deadline.left / 2 - 30_000);
    let created = 0;
    const names = Array.from({ length: count }, (_, i) => `exp-${String(i).padStart(5, '0')}`);
    await parallel(names, 16, async (name) => {
      if (Date.now() - createStart > createBudget) return;
      await api.apply('expectations', NS, expectationObject(name, { checker: { ref: 'table' }, action: ACTION }));
      created++;
    });
    let dagsCreated = 0;
    const dagNames = Array.from({ length: options.dags }, (_, i) => `dag-${String(i).padStart(4, '0')}`);
    await parallel(dagNames, 16, async (name) => {
      if (Date.now() - createStart > createBudget) return;
      await api.apply('dags', NS, memoryDag(name));
      dagsCreated++;
    });
    const createSeconds = (Date.now() - createStart) / 1000;
    progress(`  ${created} Expectations and ${dagsCreated} Dags created in ${round(createSeconds)} s (server-side apply, 16 at a time)`);

    // ---- the controller's start: sync, load, first plan, first status writes ----
    const t0 = Date.now();
    const child = spawnController(entry, plane.kubeconfigPath, NS);
    children.push(child);
    let peak = 0;
    // A process that has exited (the restart part stops it) has no VmRSS line: such a sample is skipped, not NaN.
    const sampler = setInterval(() => {
      const rss = procStatus(child.proc.pid as number)?.rssMB;
      if (rss !== undefined && Number.isFinite(rss)) peak = Math.max(peak, rss);
    }, 200);
    try {
      await until('the controller to start', () => dead(child) ?? (logTime(child, 'controller started') !== undefined && child.url() !== undefined ? true : undefined), 120_000, deadline, 50);
      const url = child.url() as string;
      const expectationStatuses = () => child.written.filter((w) => w.path.includes('/expectations/'));
      // Every Expectation's first status written: the first pass's work is done. Bounded: what
      // is not written when the time is up is reported as such, and the memory is read anyway.
      const writesBound = Math.max(5_000, Math.min(240_000, deadline.left - 20_000));
      let writtenAt: number | undefined;
      try {
        await until(`${created} status writes`, () => dead(child) ?? (expectationStatuses().length >= created ? true : undefined), writesBound, deadline, 200);
        // The answer's own time (the probe's clock), not when this loop saw it.
        writtenAt = Math.round(expectationStatuses()[created - 1]?.at ?? Date.now());
        // Quiet: nothing written (but the leader election Lease) for 5 s: the first pass is done,
        // the Dags' first Jobs created included.
        const quietFor = (ms: number) => Date.now() - ms > (child.writes.filter((w) => !w.path.includes('/leases/')).at(-1)?.at ?? 0);
        await until('the controller to be quiet', () => (quietFor(5_000) ? true : undefined), Math.min(120_000, Math.max(1_000, deadline.left - 10_000)), deadline, 500);
      } catch (error) {
        if (dead(child) !== undefined) throw error;
        progress(`  stopped waiting: ${(error as Error).message}`);
      }
      const status = procStatus(child.proc.pid as number);
      const cpuAfterPass = cpuSeconds(child.proc.pid as number);
      // The cold start in two parts: up to the first status written (sync, load, first pass), then the writes.
      const firstWritten = child.written[0]?.at;
      const firstWrittenMs = firstWritten === undefined ? NaN : Math.round(firstWritten - t0);
      const writeRate = firstWritten === undefined || writtenAt === undefined ? NaN : Math.round(child.written.filter((w) => w.at <= writtenAt).length / Math.max(0.001, (writtenAt - firstWritten) / 1000));
      const passKinds = new Map<string, number>();
      for (const w of child.writes) if (w.at <= (writtenAt ?? Infinity) && !w.path.includes('/leases/')) passKinds.set(writeKind(w), (passKinds.get(writeKind(w)) ?? 0) + 1);
      const passWrites = [...passKinds.entries()].sort((a, b) => b[1] - a[1]).map(([k, c]) => `${c} ${k}`).join(', ');
      const heapAfterPass = child.memory[2] ?? NaN;
      // BENCH_HEAP_SNAPSHOT=pass: one snapshot now, the first pass done (the soak's figures then include writing it).
      if (process.env.BENCH_HEAP_SNAPSHOT === 'pass') {
        child.proc.kill('SIGUSR2');
        progress('  heap snapshot asked (SIGUSR2), the first pass done');
      }
      // ---- steady state, and the soak: nothing changes; count the writes, sample the RSS ----
      const windowMinutes = Math.max(options.steadyMinutes, options.soakMinutes);
      let steady: MemoryFigures['steady'];
      let soak: MemoryFigures['soak'];
      let duringFailed: { error: unknown } | undefined;
      const during = (options.during?.() ?? Promise.resolve()).catch((error: unknown) => void (duringFailed = { error }));
      if (writtenAt !== undefined && windowMinutes > 0) {
        const windowMs = Math.min(windowMinutes * 60_000, deadline.left - 15_000);
        const from = Date.now();
        let maxRss = status?.rssMB ?? 0;
        progress(`  first pass done; ${round(windowMs / 60_000)} min of steady state (writes counted over the first ${options.steadyMinutes} min${options.soakMinutes > 0 ? `, RSS sampled over ${options.soakMinutes} min` : ''})${options.during !== undefined ? ', the Dags scenario running meanwhile' : ''}`);
        while (Date.now() - from < windowMs && dead(child) === undefined) {
          await new Promise((resolve) => setTimeout(resolve, 2_000));
          maxRss = Math.max(maxRss, procStatus(child.proc.pid as number)?.rssMB ?? 0);
        }
        const steadyEnd = from + Math.min(options.steadyMinutes * 60_000, windowMs);
        const inWindow = child.writes.filter((w) => w.at >= from && w.at < steadyEnd);
        const leases = inWindow.filter((w) => w.path.includes('/leases/'));
        const others = inWindow.filter((w) => !w.path.includes('/leases/'));
        const byKind = new Map<string, number>();
        for (const w of others) byKind.set(writeKind(w), (byKind.get(writeKind(w)) ?? 0) + 1);
        steady = { minutes: round((steadyEnd - from) / 60_000), writes: others.length, byKind: [...byKind.entries()].sort((a, b) => b[1] - a[1]), leaseRenewals: leases.length };
        if (options.soakMinutes > 0) {
          const end = procStatus(child.proc.pid as number)?.rssMB ?? NaN;
          const start = status?.rssMB ?? NaN;
          soak = { minutes: round((Date.now() - from) / 60_000), startRssMB: start, endRssMB: end, maxRssMB: maxRss, growthPct: round(((end - start) / start) * 100), heapUsedStartMB: heapAfterPass, heapUsedEndMB: child.memory[2] ?? NaN };
        }
      }
      await during;
      if (duringFailed !== undefined) throw duringFailed.error;
      // Read before the snapshot: writing one can take the controller's memory (or the controller) down.
      const heapUsed = await metric(url, 'nodejs_heap_size_used_bytes');
      const statusWrites = await metric(url, 'homeostat_status_writes_total');
      if (process.env.BENCH_HEAP_SNAPSHOT === '1') {
        child.proc.kill('SIGUSR2');
        progress('  heap snapshot asked (SIGUSR2); waiting 60 s for it');
        await new Promise((resolve) => setTimeout(resolve, 60_000));
        const gone = dead(child);
        if (gone !== undefined) progress(`  after the heap snapshot: ${gone}`);
      }
      const restart = writtenAt !== undefined && process.env.BENCH_RESTART !== '0' ? await startedAgain(child, () => spawnController(entry, plane.kubeconfigPath, NS), children, deadline, dead, progress) : undefined;
      const firstWorld = child.probes.find((p) => p.kind === 'setWorld' && p.n > 0);
      const firstPlan = child.probes.find((p) => p.kind === 'plan' && firstWorld !== undefined && p.start >= firstWorld.start);
      const synced = logTime(child, 'caches synced; loading the saved leases') ?? NaN;
      const startedAt = logTime(child, 'controller started') ?? NaN;
      return {
        expectations: created,
        rssMB: status?.rssMB ?? NaN,
        peakRssMB: Math.max(status?.peakMB ?? 0, peak),
        idleRssMB: idleRss,
        heapUsedMB: round(heapUsed / 2 ** 20),
        syncMs: synced - t0,
        startedMs: startedAt - t0,
        firstCompileMs: round(firstWorld?.ms ?? NaN),
        firstPlanMs: round(firstPlan?.ms ?? NaN),
        firstPlanDoneMs: firstPlan === undefined ? NaN : Math.round(firstPlan.start + firstPlan.ms - t0),
        allWrittenMs: writtenAt === undefined ? NaN : writtenAt - t0,
        statusWrites,
        createSeconds: round(createSeconds),
        dags: dagsCreated,
        steady,
        soak,
        restart,
        note: [
          `${created}${created < count ? ` of the ${count} asked (creation stopped at its time budget)` : ''} Expectations and ${dagsCreated} Dags (two tasks, one period: 1 Job each at a time, left running) created in ${round(createSeconds)} s; a Push StateChecker (no checker Jobs);`,
          `controller from ${entry.built} as ${controllerCommand()};`,
          `its writes up to every first status written: ${passWrites};`,
          `the controller used ${round(cpuAfterPass)} CPU s from its start to the first pass done; caches synced at ${synced - t0} ms, started (saved leases loaded: a second list) at ${startedAt - t0} ms; first status answered at ${firstWrittenMs} ms (then ${writeRate} status writes/s); heap used ${round(heapUsed / 2 ** 20)} MB; memoryUsage MB: ${['rss', 'heapTotal', 'heapUsed', 'external', 'arrayBuffers'].map((k, i) => `${k} ${child.memory[i] ?? '?'} (peak ${child.memoryPeak[i] ?? '?'})`).join(', ')}`,
          writtenAt === undefined ? `; only ${statusWrites} statuses written when the time bound was reached` : '',
          `; memory settles (src/cli/memorySettler.ts): ${settles(child, t0)}`,
        ].join(' '),
      };
    } finally {
      clearInterval(sampler);
    }
  } finally {
    for (const c of children) await c.stop().catch(() => undefined);
    api.close();
  }
}
