// CPU seconds and memory of one system's whole process tree, read from /proc while it runs.
//
// CPU: the sum over the live processes of the tree of utime + stime + cutime + cstime. A process
// that exits is reaped by its parent, whose cutime/cstime then carry its CPU, so each second is
// counted once as long as the tree reaps its own children (what is reparented to init is lost:
// both systems here wait for their children). Memory: the sum of RSS over the tree (shared pages
// of forked processes counted in each), and the sum of PSS (/proc/PID/smaps_rollup: shared pages
// divided among their sharers), each at its peak over the samples.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux this runs on
const PAGE_BYTES = 4096;

interface ProcStat {
  pid: number;
  ppid: number;
  cpuTicks: number;
  rssBytes: number;
  /** Clock ticks after boot: with the pid, names one process (pids are reused). */
  startTicks: number;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // gone since the directory was listed
  }
  // The command name (field 2) is in parentheses and may hold spaces: split after its last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): ppid is field 4, utime..cstime 14..17, rss 24.
  const at = (field: number) => Number(fields[field - 3]);
  return { pid, ppid: at(4), cpuTicks: at(14) + at(15) + at(16) + at(17), rssBytes: at(24) * PAGE_BYTES, startTicks: at(22) };
}

function pssBytes(pid: number): number {
  try {
    const match = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return match === null ? 0 : Number(match[1]) * 1024;
  } catch {
    return 0;
  }
}

export interface TreeSample {
  processes: number;
  cpuSeconds: number;
  rssBytes: number;
  pssBytes: number;
  /** pid -> start time (ticks after boot) of each process of the tree. */
  pids: Map<number, number>;
}

/** The processes `roots` and all their descendants now. */
export function sampleTree(roots: readonly number[]): TreeSample {
  const stats = new Map<number, ProcStat>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat !== undefined) stats.set(stat.pid, stat);
  }
  const children = new Map<number, number[]>();
  for (const s of stats.values()) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s.pid]);
  const tree: ProcStat[] = [];
  const queue = roots.filter((root) => stats.has(root));
  while (queue.length > 0) {
    const pid = queue.pop() as number;
    tree.push(stats.get(pid) as ProcStat);
    queue.push(...(children.get(pid) ?? []));
  }
  return {
    processes: tree.length,
    cpuSeconds: tree.reduce((sum, s) => sum + s.cpuTicks, 0) / TICKS_PER_SECOND,
    rssBytes: tree.reduce((sum, s) => sum + s.rssBytes, 0),
    pssBytes: tree.reduce((sum, s) => sum + pssBytes(s.pid), 0),
    pids: new Map(tree.map((s) => [s.pid, s.startTicks])),
  };
}

export interface TreeUsage {
  cpuSeconds: number;
  peakRssMB: number;
  peakPssMB: number;
  peakProcesses: number;
}

/** Samples process trees (one system: Airflow and its database) every `everyMs` until stopped; `now()` is the figures so far. */
export class TreeMonitor {
  private timer: NodeJS.Timeout;
  private usage: TreeUsage = { cpuSeconds: 0, peakRssMB: 0, peakPssMB: 0, peakProcesses: 0 };
  /** Every process seen in the tree (pid -> start ticks), so what outlives its parent can still be stopped. */
  readonly seen = new Map<number, number>();

  constructor(
    private readonly roots: readonly number[],
    everyMs = 250,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  sample(): TreeUsage {
    const s = sampleTree(this.roots);
    if (s.processes === 0) return this.usage;
    for (const [pid, start] of s.pids) this.seen.set(pid, start);
    this.usage = {
      // CPU only grows; a dip means a dead child not yet reaped into its parent's cutime.
      cpuSeconds: Math.max(this.usage.cpuSeconds, s.cpuSeconds),
      peakRssMB: Math.max(this.usage.peakRssMB, s.rssBytes / 2 ** 20),
      peakPssMB: Math.max(this.usage.peakPssMB, s.pssBytes / 2 ** 20),
      peakProcesses: Math.max(this.usage.peakProcesses, s.processes),
    };
    return this.usage;
  }

  now(): TreeUsage {
    return this.usage;
  }

  stop(): TreeUsage {
    clearInterval(this.timer);
    return this.sample();
  }
}

/** Whether `pid` is still the process that started at `startTicks` (not a new one with a reused pid). */
export function sameProcess(pid: number, startTicks: number): boolean {
  return readStat(pid)?.startTicks === startTicks;
}

/** The pid of the process whose command line has every one of `parts` as an argument (e.g. a server by its port). */
export function findProcess(parts: readonly string[]): number | undefined {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (parts.every((p) => argv.includes(p))) return Number(name);
  }
  return undefined;
}
