/**
 * CPU time of the threads of this process's descendants, by thread name, from /proc (Linux):
 * what the web view benchmark reports beside wall-clock times, because on a shared machine the
 * wall clock mostly measures the other processes. Empty where /proc cannot be read.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
const TICKS = 100;

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** Fields after the `(comm)` of a /proc stat line: [state, ppid, ...]; utime is index 11, stime 12. */
const fieldsOf = (stat: string): string[] => stat.slice(stat.lastIndexOf(')') + 2).split(' ');

function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const stat = read(`/proc/${pid}/stat`);
    if (stat === undefined) continue;
    const ppid = Number(fieldsOf(stat)[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const out: number[] = [];
  const todo = [...(children.get(root) ?? [])];
  while (todo.length > 0) {
    const pid = todo.pop() as number;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** ms of CPU per `pid/tid name`, for every thread of every descendant of this process. */
export function threadCpu(): Map<string, { name: string; ms: number }> {
  const out = new Map<string, { name: string; ms: number }>();
  try {
    for (const pid of descendants(process.pid)) {
      let tasks: string[];
      try {
        tasks = readdirSync(`/proc/${pid}/task`);
      } catch {
        continue;
      }
      for (const tid of tasks) {
        const stat = read(`/proc/${pid}/task/${tid}/stat`);
        if (stat === undefined) continue;
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const f = fieldsOf(stat);
        out.set(`${pid}/${tid}`, { name, ms: ((Number(f[11]) + Number(f[12])) * 1000) / TICKS });
      }
    }
  } catch {
    // Not Linux: no figures.
  }
  return out;
}

/** The CPU each thread used between two snapshots, summed by thread name, biggest first. */
export function cpuSince(before: Map<string, { name: string; ms: number }>, after: Map<string, { name: string; ms: number }>): [string, number][] {
  const byName = new Map<string, number>();
  for (const [key, { name, ms }] of after) byName.set(name, (byName.get(name) ?? 0) + ms - (before.get(key)?.ms ?? 0));
  return [...byName].filter(([, ms]) => ms > 0).sort((a, b) => b[1] - a[1]);
}
