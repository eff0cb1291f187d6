import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { parseDuration } from '../api/duration.js';
import { type DevLoop, startDevLoop } from '../local/devLoop.js';
import { progressModel, ProgressDisplay } from '../local/progressDisplay.js';
import { defaultStatePath } from '../local/stateFile.js';
import type { Convergence } from '../runtime/convergence.js';
import { createLogger } from '../runtime/log.js';
import { type NodeCapFlags, nodeCapOptions, nodeCaps } from './nodeCaps.js';
import { parseAddress } from './controller.js';
import { devNodeDetails, devRerun } from './devNodeDetails.js';
import { devViewSource } from './devView.js';
import { createMetrics, type RunningServer, startServer } from '../server/index.js';
import { type CliContext, type CliIo, ExitCode } from './program.js';

export interface DevCommandOptions extends NodeCapFlags {
  state?: string;
  untilConverged?: boolean;
  /** A duration (120s, 2m); only with untilConverged. Defaults to 120s. */
  timeout?: string;
  logLevel?: string;
  /**
   * `[host]:port` to serve the read API on (/api/v1/graph, objects, explain, events) without
   * authentication: bind it to loopback (the default host). Defaults to none.
   */
  uiAddr?: string;
  /** Called once the read API listens (tests). */
  onServing?: (url: string) => void;
  /** A terminal to draw the live table on; without one, log lines go to `io.out`. */
  terminal?: NodeJS.WriteStream;
  /** Resolves when the user asks to stop (Ctrl-C). Defaults to SIGINT or SIGTERM. */
  interrupted?: Promise<void>;
}

/** `homeostat dev DIR [--state FILE] [--until-converged] [--timeout 120s]`. */
export function register(program: Command, cli: CliContext): void {
  const command = program
    .command('dev')
    .description('Reconcile a manifest directory without a cluster (embedded mode): checkers and actions run as local processes, state is kept in a file, manifests are reloaded when they change.')
    .argument('<dir>', 'the manifest directory (read recursively for *.yaml, *.yml and *.json, the compact JSON DAG shape included, as a directory DefinitionSource; S3 DefinitionSources in it are loaded too); actions and checkers run in it')
    .option('--state <file>', 'the state file (default: DIR/.homeostat/state.json)')
    .option('--until-converged', 'exit 0 once every valid Expectation and Dag is Satisfied, every partition checked by this run (exit 1 on timeout)')
    .option('--timeout <duration>', 'with --until-converged: how long to wait', '120s')
    .option('--log-level <level>', 'trace, debug, info, warn or error', 'info')
    .option('--ui-addr <addr>', 'serve the web page (/) and the read API (/api/v1/graph, objects, explain, events) on [host]:port, unauthenticated (host defaults to 127.0.0.1: keep it on loopback)');
  nodeCapOptions(command).action(async (dir: string, options: DevCommandOptions) => {
    const terminal = process.stdout.isTTY === true ? process.stdout : undefined;
    cli.setExitCode(await runDev(dir, { ...options, ...(terminal !== undefined ? { terminal } : {}) }, cli));
  });
}

/**
 * Runs embedded mode until interrupted, or with `untilConverged` until everything valid is
 * Satisfied (Ok) or the timeout passes (Failed, with what is not satisfied). Usage for a bad
 * directory or duration; Failed when the state file cannot be read.
 */
export async function runDev(dir: string, options: DevCommandOptions, io: CliIo): Promise<ExitCode> {
  if (!isDirectory(dir)) {
    io.err(`error: ${dir}: not a directory\n`);
    return ExitCode.Usage;
  }
  const timeout = parseDuration(options.timeout ?? '120s');
  if (!timeout.ok) {
    io.err(`error: --timeout: ${timeout.error}\n`);
    return ExitCode.Usage;
  }
  const uiAddress = options.uiAddr !== undefined ? parseAddress(options.uiAddr) : undefined;
  if (options.uiAddr !== undefined && uiAddress === undefined) {
    io.err(`error: --ui-addr: ${JSON.stringify(options.uiAddr)} is not [host]:port\n`);
    return ExitCode.Usage;
  }
  const statePath = resolve(options.state ?? defaultStatePath(dir));
  const terminal = options.terminal;
  // On a terminal the table is the output; the log goes to a file beside the state.
  const log = createLogger({ level: options.logLevel ?? 'info', destination: terminal !== undefined ? join(dirname(statePath), 'homeostat.log') : { write: (line: string) => io.out(line) } });

  let loop: DevLoop;
  try {
    loop = await startDevLoop({ dir, statePath, log, ...nodeCaps(options) });
  } catch (error) {
    io.err(`error: ${(error as Error).message}\n`);
    return ExitCode.Failed;
  }
  let ui: RunningServer | undefined;
  if (uiAddress !== undefined) {
    try {
      ui = await startServer({ host: '127.0.0.1', ...uiAddress, metrics: createMetrics({ processMetrics: false }), health: { watchesFresh: () => ({ ok: true, stale: [] }), synced: () => true }, log, readApi: devReadApi(loop) });
    } catch (error) {
      await loop.stop();
      io.err(`error: --ui-addr: cannot serve on ${options.uiAddr ?? ''}: ${(error as Error).message}\n`);
      return ExitCode.Failed;
    }
    if (terminal === undefined) io.out(`web page: ${ui.url}/\nread API: ${ui.url}/api/v1/graph\n`);
    options.onServing?.(ui.url);
  }
  let display: ProgressDisplay | undefined;
  if (terminal !== undefined) {
    const page = ui !== undefined ? ` · web page ${ui.url}/` : '';
    const footer = () => `${options.untilConverged === true ? 'until converged' : 'Ctrl-C to stop'}${page} · state ${statePath} · log ${join(dirname(statePath), 'homeostat.log')}`;
    const shown = display = new ProgressDisplay(terminal, () => progressModel(loop.status.document(), loop.fileProblems(), footer()));
    loop.onUpdate(() => shown.update());
    shown.update();
  }

  const signals = options.interrupted === undefined ? watchSignals() : undefined;
  const interrupted = options.interrupted ?? (signals as { received: Promise<void> }).received;
  try {
    return await runUntilDone(loop, options, timeout.value, interrupted, display, io);
  } finally {
    await ui?.close();
    signals?.dispose();
  }
}

/** The read API of embedded mode: no auth (loopback), its Events, and re-runs added to its world. */
function devReadApi(loop: DevLoop) {
  const source = devViewSource(loop);
  return { source, auth: 'none' as const, details: devNodeDetails(loop), rerun: devRerun(loop, source) };
}

async function runUntilDone(loop: DevLoop, options: DevCommandOptions, timeoutMs: number, interrupted: Promise<void>, display: ProgressDisplay | undefined, io: CliIo): Promise<ExitCode> {
  let code: ExitCode = ExitCode.Ok;
  if (options.untilConverged === true) {
    const result = await Promise.race([loop.untilConverged(timeoutMs), interrupted.then(() => undefined)]);
    await loop.stop();
    display?.stop();
    if (result === undefined) return ExitCode.Ok;
    const seconds = (result.afterMs / 1000).toFixed(1);
    if (result.converged) io.out(`converged in ${seconds}s: ${result.summary.owners} Expectations and Dags satisfied\n`);
    else io.out(`not converged after ${seconds}s:\n`);
    io.out(describe(result.summary, loop));
    code = result.converged ? ExitCode.Ok : ExitCode.Failed;
  } else {
    await interrupted;
    await loop.stop();
    display?.stop();
    const running = loop.runner.runningActions().length;
    if (running > 0) io.err(`${running} actions still running; the next \`homeostat dev\` adopts them\n`);
  }
  return code;
}

/** What is not satisfied, and every problem that was reported, one line each. */
function describe(summary: Convergence, loop: DevLoop): string {
  const lines: string[] = [];
  for (const u of summary.unsatisfied) lines.push(`  ${u.kind}/${u.name}: ${u.phase} (${u.satisfied} satisfied)${u.example !== '' ? `; e.g. ${u.example}` : ''}`);
  for (const p of [...summary.invalid, ...loop.objectProblems()]) lines.push(`  invalid: ${p.kind}/${p.name}: ${p.reason}: ${p.message}`);
  for (const p of loop.fileProblems()) lines.push(`  ${p.kept > 0 ? 'broken (last good version kept)' : 'skipped'}: ${p.message.replace(/\n/g, '\n    ')}`);
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

/** SIGINT and SIGTERM ask to stop; `dispose` gives them back their default meaning. */
function watchSignals(): { received: Promise<void>; dispose: () => void } {
  let stop = () => undefined as void;
  const received = new Promise<void>((done) => (stop = () => done()));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return { received, dispose: () => void (process.off('SIGINT', stop), process.off('SIGTERM', stop)) };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
