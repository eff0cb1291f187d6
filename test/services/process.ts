/**
 * Starting a real server for a test: a free loopback port, a child process whose output is kept
 * for the failure message, and waiting until it answers. The child is killed when the test
 * process exits, whatever happened.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root, for its hack/ scripts. */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A port nobody listens on right now, on `host`. Another process may take it before you do. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Runs one of the repository's hack/ scripts; its last stdout line, or why it failed. */
export function runScript(script: string, args: string[] = []): { ok: true; value: string } | { ok: false; error: string } {
  const result = spawnSync(join(repoRoot, script), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 15 * 60_000 });
  if (result.error !== undefined) return { ok: false, error: `${script}: ${result.error.message}` };
  if (result.status !== 0) return { ok: false, error: `${script} failed (exit ${result.status}): ${lastLines(result.stderr, 5)}` };
  const value = result.stdout.trim().split('\n').pop() ?? '';
  return value === '' ? { ok: false, error: `${script} printed nothing` } : { ok: true, value };
}

/** A running child process and what it has printed so far. */
export interface Child {
  process: ChildProcess;
  /** stdout and stderr, interleaved, the last 64 KiB. */
  output(): string;
  /** Resolves when the process has exited (at once if it has). */
  exited: Promise<void>;
  /** Sends `signal`, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export function startChild(command: string, args: string[], env: NodeJS.ProcessEnv = process.env, cwd?: string): Child {
  const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-65536);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let gone = false;
  const exited = new Promise<void>((resolve) => {
    const done = () => {
      gone = true;
      running.delete(child);
      resolve();
    };
    child.once('exit', done);
    child.once('error', (error) => {
      keep(Buffer.from(`\n${error.message}\n`));
      done();
    });
  });
  return {
    process: child,
    output: () => output,
    exited,
    async stop(signal = 'SIGTERM', graceMs = 10_000) {
      if (gone) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Calls `probe` until it returns true, the child exits, or `timeoutMs` passes. Resolves to
 * undefined when ready, else to why not (with the end of the child's output).
 */
export async function waitUntilReady(child: Child, probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void child.exited.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) return `${what} exited (${child.process.exitCode ?? child.process.signalCode}) before it was ready: ${lastLines(child.output(), 8)}`;
    if (await probe().catch(() => false)) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return `${what} was not ready after ${timeoutMs} ms: ${lastLines(child.output(), 8)}`;
}

export function lastLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join(' | ');
}
