/**
 * A Dag's latest periods x tasks: one row per period (newest first) with its phase and its latest
 * run, one cell per task with the task's phase in that period (symbol and colour, words in the
 * title and aria-label), and a Re-run button per period (rerun.ts).
 */
import type { DagRunsTable } from './api.js';
import { badge, h, legend, PHASE_SYMBOL, section } from './dom.js';
import { rerunButton, showOutcome } from './rerun.js';

export function runsTable(dag: { namespace: string; name: string }, runs: DagRunsTable, source: string | undefined): HTMLElement {
  const s = section('Periods and tasks', `Periods x tasks (${runs.rows.length}${runs.periodsNotShown > 0 ? ` of ${runs.rows.length + runs.periodsNotShown}` : ''})`);
  if (source === 'status') s.append(h('p', 'from the DagRuns (this replica runs no engine): only periods that had a run', 'hint'));
  if (runs.rows.length === 0) {
    s.append(h('p', 'no period yet', 'hint'));
    return s;
  }
  const table = h('table', undefined, 'runs');
  table.id = 'runs-table';
  table.append(h('caption', `Dag ${dag.name}: each period's tasks and latest run`));
  const head = h('tr');
  // The button beside its period: reachable without scrolling past the tasks.
  for (const title of ['period', 'phase', 're-run', ...runs.tasks, 'run']) {
    const th = h('th', title);
    th.scope = 'col';
    head.append(th);
  }
  table.append(h('thead'), h('tbody'));
  table.tHead?.append(head);
  const body = table.tBodies[0] as HTMLTableSectionElement;
  const status = h('p', undefined, 'rerun-status');
  status.setAttribute('role', 'status');
  status.setAttribute('aria-live', 'polite');
  showOutcome(dag, status);
  for (const row of runs.rows) {
    const tr = h('tr');
    tr.dataset.period = row.period;
    const th = h('th', row.period);
    th.scope = 'row';
    const phase = h('td');
    if (row.phase !== undefined) phase.append(badge(row.phase));
    if (row.reason !== undefined && row.reason !== row.phase) phase.title = row.reason;
    const action = h('td');
    action.append(rerunButton(dag, row.period, status));
    tr.append(th, phase, action);
    row.cells.forEach((cell, i) => {
      const td = h('td');
      const task = runs.tasks[i] ?? '';
      if (cell !== null) {
        td.className = `cell phase-${cell.phase}`;
        td.textContent = PHASE_SYMBOL[cell.phase] ?? '?';
        td.title = `${task} ${row.period}: ${cell.phase}${cell.reason !== undefined && cell.reason !== cell.phase ? ` (${cell.reason})` : ''}`;
        td.setAttribute('aria-label', td.title);
        td.dataset.phase = cell.phase;
      }
      tr.append(td);
    });
    const run = h('td', undefined, 'run');
    if (row.run !== undefined) run.append(h('span', row.run.phase, `run-phase run-${row.run.phase}`), ' ', h('span', row.run.name, 'run-name'));
    tr.append(run);
    body.append(tr);
  }
  const wrap = h('div', undefined, 'grid-wrap');
  wrap.append(table);
  s.append(status, wrap, legend());
  return s;
}
