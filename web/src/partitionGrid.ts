/**
 * An Expectation's partitions as a grid: time buckets across, the other keys' values down, each
 * cell coloured by its most urgent phase with a symbol, and its counts in words (title and
 * aria-label). The summary is already small whatever the number of partitions (at most 120
 * buckets x 50 values: src/view/partitionSummary.ts), so 365k partitions draw as fast as 30.
 */
import type { PartitionSummary } from './api.js';
import { h, legend, PHASE_ORDER, PHASE_SYMBOL, section } from './dom.js';

export function partitionGrid(p: PartitionSummary): HTMLElement {
  const s = section('Partition grid', `Partitions: ${p.total.toLocaleString('en-US')}`);
  s.append(countsLine(p.counts));
  if (p.cells.length === 0) return s;
  const grouped = p.buckets.some((b) => b.periods > 1);
  if (grouped) s.append(h('p', `each column groups ${Math.max(...p.buckets.map((b) => b.periods))} periods (${p.buckets.length} columns)`, 'hint'));
  const byKey = new Map(p.cells.map((c) => [c.bucket * p.values.length + c.value, c]));
  const table = h('table', undefined, 'grid');
  table.id = 'partition-grid';
  // Focusable so the keyboard can scroll a grid wider than the panel.
  table.tabIndex = 0;
  table.append(h('caption', `${p.timeKey ?? 'time'} across, ${p.values.length > 1 || p.values[0] !== '' ? 'values down' : 'one row'}`));
  const head = h('tr');
  head.append(h('th', p.timeKey ?? ''));
  for (const b of p.buckets) {
    const th = h('th', shortTime(b.from));
    th.scope = 'col';
    th.title = b.from === b.to ? b.from : `${b.from} .. ${b.to} (${b.periods} periods)`;
    head.append(th);
  }
  table.append(h('thead'), h('tbody'));
  table.tHead?.append(head);
  const body = table.tBodies[0] as HTMLTableSectionElement;
  p.values.forEach((value, v) => {
    const row = h('tr');
    const th = h('th', value === '' ? '(all)' : value);
    th.scope = 'row';
    row.append(th);
    p.buckets.forEach((bucket, b) => {
      const cell = byKey.get(b * p.values.length + v);
      const td = h('td');
      if (cell !== undefined) {
        const worst = PHASE_ORDER.find((phase) => (cell.counts[phase as keyof typeof cell.counts] ?? 0) > 0) ?? 'Unknown';
        td.className = `cell phase-${worst}`;
        td.textContent = PHASE_SYMBOL[worst] ?? '?';
        const words = Object.entries(cell.counts).map(([phase, n]) => `${n} ${phase}`).join(', ');
        const when = bucket.from === bucket.to ? bucket.from : `${bucket.from}..${bucket.to}`;
        td.title = `${value === '' ? '' : `${value} `}${when}: ${words}`;
        td.setAttribute('aria-label', td.title);
        td.dataset.phase = worst;
      }
      row.append(td);
    });
    body.append(row);
  });
  const wrap = h('div', undefined, 'grid-wrap');
  wrap.append(table);
  s.append(wrap, legend());
  return s;
}

function countsLine(counts: Record<string, number>): HTMLElement {
  const p = h('p', undefined, 'counts-line');
  for (const phase of PHASE_ORDER) {
    const n = counts[phase] ?? 0;
    if (n === 0) continue;
    p.append(h('span', `${n.toLocaleString('en-US')} ${phase}`, `badge phase-${phase}`), ' ');
  }
  return p;
}

/** A column heading: days as MM-DD, times as MM-DD HH:mm, the rest as they are. */
function shortTime(key: string): string {
  const m = /^\d{4}-(\d{2}-\d{2})(?:T(\d{2}:\d{2}))?/.exec(key);
  return m === null ? key : m[2] !== undefined ? `${m[1]} ${m[2]}` : (m[1] as string);
}

/** The failures and their reasons, with "and N more" when the status keeps fewer than there are. */
export function failuresList(p: PartitionSummary): HTMLElement | undefined {
  if (p.failures.length === 0) return undefined;
  const s = section('Failures', `Failures: ${p.failures.length + p.failuresNotShown}`);
  const ul = h('ul', undefined, 'failures');
  for (const f of p.failures) {
    const li = h('li');
    li.append(h('strong', f.partition), ` ${f.reason} (${f.attempts} attempt${f.attempts === 1 ? '' : 's'}) `, h('span', f.message, 'message'));
    ul.append(li);
  }
  if (p.failuresNotShown > 0) ul.append(h('li', `and ${p.failuresNotShown} more`));
  s.append(ul);
  return s;
}
