import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DevLoop, startDevLoop } from '../../src/local/devLoop.js';
import { createLogger, type Logger } from '../../src/runtime/log.js';

export const EXAMPLES = join(import.meta.dirname, '../../examples');
export const QUICKSTART = join(EXAMPLES, 'quickstart');

/** A scratch directory with a copy of an example (the quickstart unless told) and an empty data directory. */
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
  start(options?: { statePath?: string; maxNodesPerObject?: number; maxNodesTotal?: number }): Promise<DevLoop>;
  /** Stops every loop started here, kills their actions, removes the directory. */
  cleanup(): Promise<void>;
}

/**
 * The examples' windows roll with the clock (today-P2D); the tests pin them to fixed days so the
 * files they expect do not depend on the day the tests run: the quickstart and the mediator's
 * daily Dags to 2026-11-18..20, the mediator's hourly clicks to the 48 hours of 2026-11-19..20.
 * Each pattern must match as often as told, so a changed example fails here, not in a test.
 */
function pinDates(dir: string, example: 'quickstart' | 'mediator'): void {
  const days = 'from: "2026-11-18", to: "2026-11-20",';
  const pins: Record<typeof example, (readonly [string, RegExp, string, number])[]> = {
    quickstart: [
      ['clicks.yaml', /from: today-P2D, to: today/g, 'from: "2026-11-18", to: "2026-11-20"', 2],
      ['report.yaml', /from: today-P3D,/g, days, 1],
    ],
    mediator: [
      ['sold.yaml', /from: today-P3D,/g, days, 1],
      ['ads.yaml', /from: today-P3D,/g, days, 1],
      ['enrich.yaml', /from: today-P3D,/g, days, 1],
      ['clicks.yaml', /from: today-P2D, every: PT1H,/g, 'from: "2026-11-19", to: "2026-11-20T23:00", every: PT1H,', 1],
      ['clicks.yaml', /from: today-P2D, every: P1D,/g, 'from: "2026-11-19", to: "2026-11-20", every: P1D,', 1],
    ],
  };
  for (const [file, from, to, count] of pins[example]) {
    const path = join(dir, file);
    const text = readFileSync(path, 'utf8');
    const found = text.match(from)?.length ?? 0;
    if (found !== count) throw new Error(`${file} no longer has the rolling window the tests pin (${String(from)}: ${found} matches, not ${count})`);
    writeFileSync(path, text.replace(from, to));
  }
}

/** `quickstart: false` starts from an empty manifest directory; `example` picks the example to copy. */
export function sandbox(options: { quickstart?: boolean; example?: 'quickstart' | 'mediator' } = {}): Sandbox {
  const root = mkdtempSync(join(tmpdir(), 'homeostat-test-'));
  const dir = join(root, 'manifests');
  const data = join(root, 'data');
  if (options.quickstart !== false) {
    const example = options.example ?? 'quickstart';
    cpSync(join(EXAMPLES, example), dir, { recursive: true, filter: (src) => !src.includes('.homeostat') });
    pinDates(dir, example);
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
