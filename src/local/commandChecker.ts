import { spawn } from 'node:child_process';
import { renderList } from '../api/template.js';
import type { StateChecker } from '../api/types.js';
import { CheckFailure, commandLineValues, MAX_VERDICT_BYTES, parseVerdict, PER_PARTITION_HINT, requestBody, tail } from '../checkers/protocol.js';
import type { CheckRequest } from '../engine/index.js';
import type { Logger } from '../runtime/log.js';
import type { CheckAnswer, CheckRunner } from '../runtime/ports.js';
import { answerFor } from '../runtime/checkAnswer.js';

export interface CommandCheckerOptions {
  /** The working directory of every checker: the manifest directory. */
  cwd: string;
  /** The StateCheckers declared now, by `namespace/name`. */
  checkers: () => ReadonlyMap<string, StateChecker>;
  log: Logger;
  /** Checker processes running at once; more requests wait. Defaults to 4. */
  maxConcurrent?: number;
}

/**
 * Runs a StateChecker's `command` + `args` as a local process per batch (no shell): the request
 * JSON on stdin, the verdict JSON on stdout (src/checkers/protocol.ts). A non-zero exit fails the
 * batch as CheckerFailed with the tail of stderr; the checker's timeout kills it (CheckerTimeout);
 * more than 1 MiB of output kills it (CheckerFailed). Partitions it leaves out stay unknown.
 * Each checker runs in its own process group, and killing it kills the whole group, so what it
 * started (a `sleep`, a client's helper) does not outlive it. `killAll` does the same to every
 * checker still running (a stopping `homeostat dev` leaves none behind).
 */
export class LocalCommandChecker implements CheckRunner {
  private listener: (answer: CheckAnswer) => void = () => undefined;
  private readonly waiting: CheckRequest[] = [];
  private active = 0;
  /** Process groups of the checkers running now. */
  private readonly groups = new Set<number>();

  constructor(private readonly options: CommandCheckerOptions) {}

  onAnswer(listener: (answer: CheckAnswer) => void): void {
    this.listener = listener;
  }

  async request(request: CheckRequest): Promise<void> {
    this.waiting.push(request);
    this.pump();
  }

  /** Kills every checker running now, with its process group; their batches answer CheckerFailed. */
  killAll(): void {
    for (const pid of this.groups) killGroup(pid);
  }

  private pump(): void {
    while (this.active < (this.options.maxConcurrent ?? 4) && this.waiting.length > 0) {
      const request = this.waiting.shift() as CheckRequest;
      this.active++;
      this.run(request, (answer) => {
        this.active--;
        this.listener(answer);
        this.pump();
      });
    }
  }

  private run(request: CheckRequest, answer: (a: CheckAnswer) => void): void {
    const failed = (reason: CheckFailure, message: string) => answer({ request, failure: { reason, message } });
    const checker = this.options.checkers().get(`${request.checker.namespace}/${request.checker.name}`);
    if (checker === undefined) return failed(CheckFailure.CheckerFailed, `StateChecker ${request.checker.name} does not exist`);
    const spec = checker.spec;
    if ((spec.mode ?? 'Job') !== 'Job' || spec.command === undefined || spec.command.length === 0) {
      return failed(CheckFailure.CheckerFailed, `embedded mode runs checkers as local commands: StateChecker ${checker.metadata.name} needs mode Job and a command`);
    }
    const argv = renderList([...spec.command, ...(spec.args ?? [])], commandLineValues(request), 'command+args');
    if (!argv.ok) return failed(CheckFailure.CheckerFailed, request.items.length > 1 ? `${argv.error}; ${PER_PARTITION_HINT}` : argv.error);
    const body = requestBody(request);
    if (!body.ok) return failed(CheckFailure.CheckerFailed, body.error);

    const [program, ...args] = argv.value as [string, ...string[]];
    const env: Record<string, string | undefined> = { ...process.env, HOMEOSTAT_EXPECTATION: `${request.owner.namespace}/${request.owner.name}` };
    // A valueFrom variable (a Secret or ConfigMap key) cannot be read here: the one in homeostat dev's own environment, if any, is kept.
    for (const e of spec.env ?? []) if (e.valueFrom === undefined) env[e.name] = e.value ?? '';
    // detached: its own process group, so a kill reaches what the checker started too.
    const child = spawn(program === 'node' ? process.execPath : program, args, { cwd: this.options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const group = child.pid;
    if (group !== undefined) this.groups.add(group);
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    let settled = false;
    const settle = (a: CheckAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (group !== undefined) this.groups.delete(group);
      answer(a);
    };
    const stop = (reason: CheckFailure, message: string) => {
      if (group !== undefined) killGroup(group);
      else child.kill('SIGKILL');
      settle({ request, failure: { reason, message } });
    };
    const timer = setTimeout(() => stop(CheckFailure.CheckerTimeout, `the checker did not answer within ${Math.round(request.timeoutMs / 1000)}s`), request.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > MAX_VERDICT_BYTES) return stop(CheckFailure.CheckerFailed, `the checker printed more than ${MAX_VERDICT_BYTES} bytes`);
      out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => void (err = (err + chunk.toString('utf8')).slice(-4096)));
    child.stdin.on('error', () => undefined); // a checker may exit without reading its request
    child.on('error', (error) => settle({ request, failure: { reason: CheckFailure.CheckerFailed, message: `cannot start ${program}: ${error.message}` } }));
    child.on('close', (code, signal) => {
      // The checker has answered or died; whatever it left running in its group goes with it.
      // Only the group: the checker's own pid is free for reuse once it has been reaped.
      if (group !== undefined) killGroup(group, { groupOnly: true });
      if (code !== 0) {
        const why = signal !== null ? `killed by ${signal}` : `exit code ${String(code)}`;
        const detail = tail(err, 1024);
        return settle({ request, failure: { reason: CheckFailure.CheckerFailed, message: `the checker failed (${why})${detail === '' ? '' : `: ${detail}`}` } });
      }
      const parsed = parseVerdict(Buffer.concat(out), request.items.map((i) => i.partition));
      if (!parsed.ok) return settle({ request, failure: { reason: parsed.reason, message: parsed.message } });
      if (parsed.unexpected.length > 0) this.options.log.debug({ checker: checker.metadata.name, keys: parsed.unexpected.slice(0, 5) }, 'the checker answered partitions it was not asked about');
      settle(answerFor(request, parsed));
    });
    child.stdin.end(JSON.stringify(body.value));
  }
}

/**
 * SIGKILL to a checker's process group (its pid), or, unless `groupOnly`, to the process alone
 * when the group cannot be signalled.
 */
function killGroup(pid: number, options: { groupOnly?: boolean } = {}): void {
  if (!Number.isInteger(pid) || pid <= 1) return; // never signal init or "every process"
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    if (options.groupOnly === true) return;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}
