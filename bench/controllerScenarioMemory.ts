// Scenario 3: the controller's memory with N unpartitioned Expectations sharing one StateChecker,
// run as its own process (`node <dist>/cli/main.js controller`) so its RSS is its own. The
// Expectations exist before it starts, so its start is the initial sync of all of them; a small
// preloaded probe (a data: URL module, no source change) times Engine.setWorld and Engine.plan.
// "First pass done" is when every Expectation has its status written (homeostat_status_writes_total).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ControlPlane } from '../test/integration/harness/controlPlane.js';
import { REPO_ROOT } from '../test/integration/harness/controlPlane.js';
import { ACTION, type Deadline, expectationObject, parallel, RawApi, round, stateChecker, until } from './controllerScenario.js';

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
  note: string;
}

const NS = 'bench-memory';
const EMPTY_NS = 'bench-empty';

/** The controller's entry point: dist/ when it is fresher than every source file, else a private build. */
function controllerEntry(progress: (line: string) => void): { main: string; engine: string; built: string } {
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((max, e) => {
      const path = join(dir, e.name);
      if (e.isDirectory()) return Math.max(max, newest(path));
      return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? Math.max(max, statSync(path).mtimeMs) : max;
    }, 0);
  const sources = newest(join(REPO_ROOT, 'src'));
  const stamp = join(REPO_ROOT, 'dist/.built');
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= sources) {
    return { main: join(REPO_ROOT, 'dist/cli/main.js'), engine: join(REPO_ROOT, 'dist/engine/engine.js'), built: 'dist/ (up to date)' };
  }
  // dist/ is stale: build into node_modules/.cache (ignored by git), with a package.json that
  // makes it ESM and gives main.js the version it reads from ../../package.json.
  const root = join(REPO_ROOT, 'node_modules/.cache/homeostat-bench');
  const out = join(root, 'dist');
  const own = join(root, '.built');
  if (!existsSync(own) || statSync(own).mtimeMs < sources) {
    progress('  dist/ is older than src/: building the controller into node_modules/.cache/homeostat-bench (tsc, ~10 s)');
    mkdirSync(root, { recursive: true });
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'homeostat-bench-build', version, type: 'module', private: true }));
    try {
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
 * Times Engine.setWorld and Engine.plan in the child, one stderr line each (epoch ms). With
 * `reuseConnections` (an experiment) it also makes client-node send every request through the
 * first request's dispatcher, one keep-alive pool, instead of a new connection per request.
 */
function probe(enginePath: string, reuseConnections: boolean): string {
  const clientNode = pathToFileURL(join(REPO_ROOT, 'node_modules/@kubernetes/client-node/dist/index.js')).href;
  // The probe also ends the controller when this process dies (its stdin, a pipe from here, closes).
  const code = `
process.stdin.on('end', () => process.exit(70));
process.stdin.on('error', () => process.exit(70));
process.stdin.resume();
process.stdin.unref?.();
import { Engine } from ${JSON.stringify(pathToFileURL(enginePath).href)};
const at = () => performance.timeOrigin + performance.now();
const plan = Engine.prototype.plan, setWorld = Engine.prototype.setWorld;
Engine.prototype.plan = function (now) { const s = at(); const r = plan.call(this, now); process.stderr.write('HSBENCH plan ' + s + ' ' + (at() - s) + ' ' + r.checks.length + '\\n'); return r; };
Engine.prototype.setWorld = function (w, now) { const s = at(); setWorld.call(this, w, now); process.stderr.write('HSBENCH setWorld ' + s + ' ' + (at() - s) + ' ' + w.expectations.length + '\\n'); };
${reuseConnections ? `
const { KubeConfig } = await import(${JSON.stringify(clientNode)});
const apply = KubeConfig.prototype.applySecurityAuthentication;
let shared;
KubeConfig.prototype.applySecurityAuthentication = async function (context) { await apply.call(this, context); shared ??= context.getDispatcher(); if (shared !== undefined) context.setDispatcher(shared); };
` : ''}`;
  return `data:text/javascript,${encodeURIComponent(code)}`;
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
  url: () => string | undefined;
  stop(): Promise<void>;
}

function spawnController(entry: { main: string; engine: string }, kubeconfig: string, namespace: string, reuseConnections: boolean): Child {
  const proc = spawn(process.execPath, ['--import', probe(entry.engine, reuseConnections), entry.main, 'controller', '--kubeconfig', kubeconfig, '--namespace', namespace, '--metrics-addr', '127.0.0.1:0', '--log-level', 'info'], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const child: Child = {
    proc,
    logs: [],
    probes: [],
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
    const m = /^HSBENCH (\w+) ([\d.]+) ([\d.]+) (\d+)$/.exec(line);
    if (m !== null) child.probes.push({ kind: m[1] as string, start: Number(m[2]), ms: Number(m[3]), n: Number(m[4]) });
    else if (line.trim() !== '') child.logs.push({ at: Date.now(), line: { msg: line, stderr: true } });
  });
  return child;
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

export async function runMemory(plane: ControlPlane, count: number, deadline: Deadline, progress: (line: string) => void, reuseConnections = false): Promise<MemoryFigures> {
  const entry = controllerEntry(progress);
  const api = new RawApi(plane.kubeConfig);
  const children: Child[] = [];
  const dead = (child: Child) => (child.proc.exitCode !== null ? `the controller exited (${child.proc.exitCode}): ${child.logs.slice(-5).map((l) => JSON.stringify(l.line)).join('\n')}` : undefined);
  try {
    // ---- idle, nothing to watch ----
    await api.createNamespace(EMPTY_NS);
    const idle = spawnController(entry, plane.kubeconfigPath, EMPTY_NS, reuseConnections);
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
    const createSeconds = (Date.now() - createStart) / 1000;
    progress(`  ${created} Expectations created in ${round(createSeconds)} s (server-side apply, 16 at a time)`);

    // ---- the controller's start: sync, load, first plan, first status writes ----
    const t0 = Date.now();
    const child = spawnController(entry, plane.kubeconfigPath, NS, reuseConnections);
    children.push(child);
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, procStatus(child.proc.pid as number)?.rssMB ?? 0)), 200);
    try {
      await until('the controller to start', () => dead(child) ?? (logTime(child, 'controller started') !== undefined && child.url() !== undefined ? true : undefined), 120_000, deadline, 50);
      const url = child.url() as string;
      const writesName = 'homeostat_status_writes_total{kind="Expectation"}';
      // Every Expectation's first status written: the first pass's work is done. Bounded: what
      // is not written when the time is up is reported as such, and the memory is read anyway.
      const writesBound = Math.max(5_000, deadline.left - 20_000);
      let writtenAt: number | undefined;
      try {
        await until(`${created} status writes`, async () => dead(child) ?? ((await metric(url, writesName)) >= created ? true : undefined), writesBound, deadline, 200);
        writtenAt = Date.now();
        // Quiet: no more writes for a second.
        let last = -1;
        await until('the controller to be quiet', async () => {
          const writes = await metric(url, 'homeostat_status_writes_total');
          const same = writes === last;
          last = writes;
          return same ? true : undefined;
        }, Math.min(30_000, Math.max(1_000, deadline.left - 10_000)), deadline, 1_000);
      } catch (error) {
        if (dead(child) !== undefined) throw error;
        progress(`  stopped waiting: ${(error as Error).message}`);
      }
      const status = procStatus(child.proc.pid as number);
      const heapUsed = await metric(url, 'nodejs_heap_size_used_bytes');
      const statusWrites = await metric(url, 'homeostat_status_writes_total');
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
        note: [
          `${created}${created < count ? ` of the ${count} asked (creation stopped at its time budget)` : ''} Expectations created in ${round(createSeconds)} s; a Push StateChecker (no checker Jobs);`,
          `controller from ${entry.built}${reuseConnections ? ', client on ONE connection pool (experiment)' : ''};`,
          `caches synced at ${synced - t0} ms, started (saved leases loaded: a second list) at ${startedAt - t0} ms; heap used ${round(heapUsed / 2 ** 20)} MB`,
          writtenAt === undefined ? `; only ${statusWrites} statuses written when the time bound was reached` : '',
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
