import type { FileProblem } from './manifestWatcher.js';
import type { StatusDocument } from './statusFile.js';

/** One line of the live table. */
export interface ProgressRow {
  object: string;
  phase: string;
  satisfied: string;
  working: string;
  failed: string;
  lastEvent: string;
}

export interface ProgressModel {
  rows: ProgressRow[];
  /** Broken files and invalid objects, one line each. */
  problems: string[];
  footer: string;
}

type Num = number | undefined;

/** The table's content from status.json and the watcher's file problems. Pure. */
export function progressModel(doc: StatusDocument, fileProblems: readonly FileProblem[], footer: string): ProgressModel {
  const last = new Map<string, string>();
  for (const e of doc.events) last.set(`${e.owner.kind}/${e.owner.name}`, `${e.reason}${e.partition !== undefined ? ` ${e.partition}` : ''}: ${e.message}`);
  const rows: ProgressRow[] = [];
  const problems = fileProblems.map((p) => `${p.file}: ${p.message.split('\n')[0] ?? ''}${p.kept > 0 ? ` (keeping its last good version)` : ' (skipped)'}`);
  for (const o of doc.objects) {
    const s = (o.status ?? {}) as Record<string, unknown> & { conditions?: { type: string; status: string; reason: string; message: string }[] };
    const valid = s.conditions?.find((c) => c.type === 'Valid');
    if (valid?.status === 'False') problems.push(`${o.kind}/${o.metadata.name}: ${valid.reason}: ${valid.message}`);
    if (o.kind !== 'Expectation' && o.kind !== 'Dag') continue;
    const counts = (o.kind === 'Expectation' ? s.partitions : s.periods) as Record<string, Num> | undefined;
    rows.push({
      object: `${o.kind === 'Expectation' ? 'exp' : 'dag'}/${o.metadata.name}`,
      phase: String(s.phase ?? '-'),
      satisfied: String((o.kind === 'Expectation' ? s.satisfied : s.succeeded) ?? '-'),
      working: String((o.kind === 'Expectation' ? counts?.workingOnIt : counts?.running) ?? 0),
      failed: String(counts?.failed ?? 0),
      lastEvent: last.get(`${o.kind}/${o.metadata.name}`) ?? '',
    });
  }
  return { rows, problems, footer };
}

const HEADERS: ProgressRow = { object: 'OBJECT', phase: 'PHASE', satisfied: 'SATISFIED', working: 'WORKING', failed: 'FAILED', lastEvent: 'LAST EVENT' };

/** The table as lines, each cut to `width` characters. Pure. */
export function renderProgress(model: ProgressModel, width: number): string[] {
  const rows = [HEADERS, ...model.rows];
  const cols: (keyof ProgressRow)[] = ['object', 'phase', 'satisfied', 'working', 'failed'];
  const widths = cols.map((c) => Math.max(...rows.map((r) => r[c].length)));
  const lines = rows.map((r) => [...cols.map((c, i) => r[c].padEnd(widths[i] as number)), r.lastEvent].join('  '));
  if (model.problems.length > 0) lines.push('', 'PROBLEMS', ...model.problems.map((p) => `  ${p}`));
  lines.push('', model.footer);
  return lines.map((l) => (l.length > width ? `${l.slice(0, Math.max(1, width - 1))}…` : l));
}

/**
 * A live table on a terminal, redrawn in place (at most every `intervalMs`): the previous drawing
 * is erased by moving the cursor up over it. Only for TTYs; elsewhere the log lines tell the story.
 */
export class ProgressDisplay {
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly model: () => ProgressModel,
    private readonly intervalMs = 100,
  ) {}

  /** Something changed: redraw soon. */
  update(): void {
    this.dirty = true;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      if (this.dirty) this.draw();
    }, this.intervalMs);
  }

  /** Draws one last time and stops redrawing. */
  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.draw();
  }

  private draw(): void {
    this.dirty = false;
    const lines = renderProgress(this.model(), this.stream.columns || 120);
    const erase = this.drawn > 0 ? `\x1b[${this.drawn}F\x1b[J` : '';
    this.stream.write(`${erase}${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }
}
