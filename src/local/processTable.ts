import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomicSync } from './atomicFile.js';

/** A local action process, remembered so that a restart can adopt it instead of launching again. */
export interface ProcessRecord {
  action: string;
  node: string;
  attempt: number;
  pid: number;
  /** The program, to tell our process from another that reused its pid. */
  program: string;
  startedAt: number;
}

/**
 * The processes of running actions, in one small JSON file rewritten (atomically, synchronously)
 * when a process starts or ends. Unreadable content counts as empty: the leases then end as lost
 * and the checker judges them, which is safe.
 */
export class ProcessTable {
  private readonly records = new Map<string, ProcessRecord>();

  constructor(readonly path: string) {
    if (!existsSync(path)) return;
    try {
      const list = JSON.parse(readFileSync(path, 'utf8')) as ProcessRecord[];
      for (const r of Array.isArray(list) ? list : []) if (typeof r?.action === 'string' && Number.isInteger(r.pid)) this.records.set(r.action, r);
    } catch {
      // See the class comment.
    }
  }

  get(action: string): ProcessRecord | undefined {
    return this.records.get(action);
  }

  all(): ProcessRecord[] {
    return [...this.records.values()];
  }

  add(record: ProcessRecord): void {
    this.records.set(record.action, record);
    this.flush();
  }

  remove(action: string): void {
    if (this.records.delete(action)) this.flush();
  }

  private flush(): void {
    writeFileAtomicSync(this.path, `${JSON.stringify(this.all(), null, 1)}\n`);
  }
}

/**
 * Whether `pid` still runs `program`. Where /proc exists the program is compared too, so a pid
 * reused by another program is not mistaken for ours; elsewhere only liveness is known.
 */
export function isRunning(pid: number, program: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (!existsSync('/proc/self')) return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/\) Z /.test(stat)) return false; // a zombie has ended
    const argv0 = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
    return argv0 === program || argv0.endsWith(`/${program}`) || program.endsWith(`/${argv0}`);
  } catch {
    return false;
  }
}
