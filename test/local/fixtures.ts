import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DevLoop, startDevLoop } from '../../src/local/devLoop.js';
import { createLogger, type Logger } from '../../src/runtime/log.js';

export const QUICKSTART = join(import.meta.dirname, '../../examples/quickstart');

/** A scratch directory with a copy of the quickstart and an empty data directory. */
export interface Sandbox {
  root: string;
  /** The manifest directory. */
  dir: string;
  /** HOMEOSTAT_DATA of the actions and checkers. */
  data: string;
  /** Everything logged, as parsed pino lines. */
  lines: { level: number; msg: string; [key: string]: unknown }[];
  log: Logger;
  /** Replaces text in a manifest of the copy. */
  edit(file: string, from: string | RegExp, to: string): void;
  write(file: string, text: string): void;
  start(options?: { statePath?: string }): Promise<DevLoop>;
  /** Stops every loop started here, kills their actions, removes the directory. */
  cleanup(): Promise<void>;
}

/**
 * The quickstart's windows roll with the clock (today-P2D); the tests pin them to three fixed days
 * so the files they expect do not depend on the day the tests run.
 */
function pinDates(dir: string): void {
  for (const [file, from, to] of [
    ['clicks.yaml', /from: today-P2D, to: today/g, 'from: "2026-11-18", to: "2026-11-20"'],
    ['report.yaml', /from: today-P3D,/g, 'from: "2026-11-18", to: "2026-11-20",'],
  ] as const) {
    const path = join(dir, file);
    const text = readFileSync(path, 'utf8');
    if (!from.test(text)) throw new Error(`${file} no longer has the rolling window the tests pin`);
    writeFileSync(path, text.replace(from, to));
  }
}

export function sandbox(options: { quickstart?: boolean } = {}): Sandbox {
  const root = mkdtempSync(join(tmpdir(), 'homeostat-test-'));
  const dir = join(root, 'manifests');
  const data = join(root, 'data');
  if (options.quickstart !== false) {
    cpSync(QUICKSTART, dir, { recursive: true, filter: (src) => !src.includes('.homeostat') });
    pinDates(dir);
  }
  // The actions and checkers inherit the environment of the process that runs them.
  process.env.HOMEOSTAT_DATA = data;
  const lines: Sandbox['lines'] = [];
  const log = createLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(JSON.parse(line) as Sandbox['lines'][number]) } });
  const loops: DevLoop[] = [];
  return {
    root,
    dir,
    data,
    lines,
    log,
    edit(file, from, to) {
      const path = join(dir, file);
      writeFileSync(path, readFileSync(path, 'utf8').replace(from, to));
    },
    write(file, text) {
      writeFileSync(join(dir, file), text);
    },
    async start(startOptions = {}) {
      const loop = await startDevLoop({ dir, log, pollMs: 50, ...startOptions });
      loops.push(loop);
      return loop;
    },
    async cleanup() {
      for (const loop of loops) {
        await loop.stop({ killActions: true });
        await waitFor('the actions to be stopped', () => loop.runner.runningActions().length === 0);
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Resolves once `predicate` holds, polling; rejects after `timeoutMs` with `what`. */
export async function waitFor(what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
