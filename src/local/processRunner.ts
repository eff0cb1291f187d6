import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { ActionCancel, ActionLaunch, Lease } from '../engine/index.js';
import type { Logger } from '../runtime/log.js';
import type { ActionEnd, ActionRunner } from '../runtime/ports.js';
import { jobCommand } from './jobCommand.js';
import { isRunning, ProcessTable } from './processTable.js';

export interface ProcessRunnerOptions {
  /** The working directory of every action: the manifest directory. */
  cwd: string;
  /** Where each action's stdout and stderr go, one `<action>.log` file each. */
  logDir: string;
  /** The process records used to adopt actions after a restart. */
  table: ProcessTable;
  log: Logger;
  /** Between SIGTERM and SIGKILL. Defaults to 5 s. */
  killGraceMs?: number;
  /** How often an adopted process is looked at. Defaults to 500 ms. */
  adoptPollMs?: number;
}

interface Running {
  pid: number;
  child?: ChildProcess;
  stop(reason: string): void;
  cleanup(): void;
}

const MAX_REMEMBERED = 10_000;

/**
 * Runs each action as a local process: the Job template's first container command and args
 * (never through a shell), in the manifest directory, with its env. Exit 0 is `succeeded`; any
 * other end, or the lease length passing (the process group is killed), is `failed` with the tail
 * of its output. `node` as the program means the Node running Homeostat. Each process runs in
 * its own process group, so it survives a restart of Homeostat and is adopted by the next one.
 */
export class LocalActionRunner implements ActionRunner {
  private listener: (end: ActionEnd) => void = () => undefined;
  private readonly running = new Map<string, Running>();
  /** Actions that ended here, so a repeated launch does nothing (idempotent by name). */
  private readonly ended = new Set<string>();

  constructor(private readonly options: ProcessRunnerOptions) {}

  onEnded(listener: (end: ActionEnd) => void): void {
    this.listener = listener;
  }

  /** Names of the actions running now. */
  runningActions(): string[] {
    return [...this.running.keys()];
  }

  async launch(launch: ActionLaunch): Promise<void> {
    const { lease } = launch;
    if (this.running.has(lease.action) || this.ended.has(lease.action)) return;
    if (launch.action.kind !== 'job') return this.end(lease, 'failed', `embedded mode cannot launch a ${launch.action.kind} action`);
    const command = jobCommand(launch.action.template, launch.values, { partition: launch.partition, node: launch.node, attempt: lease.attempt, action: lease.action });
    if (!command.ok) return this.end(lease, 'failed', `TemplateError: ${command.error}`);
    const [program, ...args] = command.value.argv as [string, ...string[]];
    const executable = program === 'node' ? process.execPath : program;
    mkdirSync(this.options.logDir, { recursive: true });
    const logPath = join(this.options.logDir, `${lease.action}.log`);
    const out = openSync(logPath, 'a');
    let child: ChildProcess;
    try {
      child = spawn(executable, args, { cwd: this.options.cwd, env: { ...process.env, ...command.value.env }, stdio: ['ignore', out, out], detached: true });
    } finally {
      closeSync(out);
    }
    let stopReason: string | undefined;
    const finish = (outcome: 'succeeded' | 'failed', message: string) => {
      if (!this.running.has(lease.action)) return;
      entry.cleanup();
      this.end(lease, outcome, message);
    };
    const entry: Running = {
      pid: child.pid ?? -1,
      child,
      stop: (reason) => {
        stopReason ??= reason;
        this.terminate(entry.pid, () => this.running.get(lease.action) === entry);
      },
      cleanup: () => {
        clearTimeout(deadline);
        this.running.delete(lease.action);
        this.options.table.remove(lease.action);
      },
    };
    const deadline = setTimeout(() => entry.stop(`killed after its deadline of ${launch.deadlineSeconds}s`), launch.deadlineSeconds * 1000);
    // Neither keeps Homeostat alive: an action outlives a restart and is adopted by the next one.
    deadline.unref();
    child.unref();
    this.running.set(lease.action, entry);
    child.on('error', (error) => finish('failed', `cannot start ${program}: ${error.message}`));
    child.on('exit', (code, signal) => {
      if (code === 0 && stopReason === undefined) return finish('succeeded', 'exit code 0');
      const why = stopReason ?? (signal !== null ? `killed by ${signal}` : `exit code ${String(code)}`);
      finish('failed', `${why}${outputTail(logPath)}`);
    });
    if (child.pid !== undefined) this.options.table.add({ action: lease.action, node: launch.node, attempt: lease.attempt, pid: child.pid, program: executable, startedAt: Date.now() });
    this.options.log.debug({ action: lease.action, pid: child.pid, argv: command.value.argv }, 'action started');
  }

  async cancel(cancel: ActionCancel): Promise<void> {
    this.running.get(cancel.action)?.stop(`cancelled: ${cancel.reason}`);
  }

  async adopt(leases: readonly Lease[]): Promise<void> {
    const held = new Set(leases.map((l) => l.action));
    for (const record of this.options.table.all()) if (!held.has(record.action)) this.options.table.remove(record.action);
    for (const lease of leases) {
      if (this.running.has(lease.action)) continue;
      const record = this.options.table.get(lease.action);
      // The log file is opened just before the process is spawned: without it (and without a
      // record) Homeostat stopped after taking the lease and before starting the action, so no
      // attempt ran. A record can be gone for an action that did run (it is removed at its end).
      if (record === undefined && !existsSync(join(this.options.logDir, `${lease.action}.log`))) {
        this.end(lease, 'notStarted', 'Homeostat stopped after taking the lease and before starting the process');
        continue;
      }
      if (record === undefined || !isRunning(record.pid, record.program)) {
        this.options.table.remove(lease.action);
        this.end(lease, 'lost', 'the action ended while Homeostat was not running; its exit status is unknown');
        continue;
      }
      this.follow(lease, record.pid, record.program);
    }
  }

  /** Stops every running action (tests, or a shutdown that must not leave processes behind). */
  killAll(): void {
    for (const entry of this.running.values()) entry.stop('stopped with Homeostat');
  }

  /** Watches a process that is not our child: its exit status cannot be known, only its end. */
  private follow(lease: Lease, pid: number, program: string): void {
    this.options.log.info({ action: lease.action, pid }, 'adopted a running action');
    const deadline = setTimeout(() => entry.stop('killed after its lease expired'), Math.max(0, lease.expiresAt - Date.now()));
    deadline.unref();
    const poll = setInterval(() => {
      if (isRunning(pid, program)) return;
      entry.cleanup();
      this.end(lease, 'lost', 'the adopted process ended; its exit status is unknown');
    }, this.options.adoptPollMs ?? 500);
    poll.unref();
    const entry: Running = {
      pid,
      stop: () => this.terminate(pid, () => this.running.get(lease.action) === entry),
      cleanup: () => {
        clearTimeout(deadline);
        clearInterval(poll);
        this.running.delete(lease.action);
        this.options.table.remove(lease.action);
      },
    };
    this.running.set(lease.action, entry);
  }

  /** SIGTERM to the process group, SIGKILL after the grace period if it still runs. */
  private terminate(pid: number, stillRunning: () => boolean): void {
    if (!Number.isInteger(pid) || pid <= 1) return; // never signal init or "every process"
    const signal = (sig: NodeJS.Signals) => {
      try {
        process.kill(-pid, sig);
      } catch {
        try {
          process.kill(pid, sig);
        } catch {
          // Already gone.
        }
      }
    };
    signal('SIGTERM');
    setTimeout(() => stillRunning() && signal('SIGKILL'), this.options.killGraceMs ?? 5000).unref();
  }

  private end(lease: Lease, outcome: ActionEnd['outcome'], message: string): void {
    this.ended.add(lease.action);
    if (this.ended.size > MAX_REMEMBERED) this.ended.delete(this.ended.values().next().value as string);
    const end: ActionEnd = { node: lease.node, attempt: lease.attempt, action: lease.action, outcome, message };
    this.options.log.debug({ action: lease.action, outcome }, message);
    queueMicrotask(() => this.listener(end));
  }
}

/** The last lines of an action's output, for its failure message. */
function outputTail(path: string, max = 800): string {
  try {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      const length = Math.min(size, max);
      const buffer = Buffer.alloc(length);
      readSync(fd, buffer, 0, length, size - length);
      const text = buffer.toString('utf8').trim();
      return text === '' ? '' : `: ${size > max ? '…' : ''}${text}`;
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
}
