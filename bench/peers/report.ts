// The side-by-side table: one row per figure, Homeostat, then each Airflow dependent with the
// ratio Airflow / Homeostat (how many times longer or larger). Pure formatting.
import { ratio } from './figures.js';
import type { DependentResult, SystemResult } from './system.js';

const seconds = (ms: number | undefined) => (ms === undefined || !Number.isFinite(ms) ? '-' : (ms / 1000).toFixed(ms < 10_000 ? 2 : 1));
const times = (r: number | undefined) => (r === undefined ? '-' : `${r >= 100 ? r.toFixed(0) : r.toFixed(1)}x`);

interface Row {
  figure: string;
  value: (system: SystemResult, dependent: DependentResult) => number | undefined;
  show: (value: number | undefined) => string;
}

const ROWS: Row[] = [
  { figure: 'upstreams done -> dependent starts, p50 (s)', value: (_, d) => d.latency.p50Ms, show: seconds },
  { figure: 'upstreams done -> dependent starts, p99 (s)', value: (_, d) => d.latency.p99Ms, show: seconds },
  { figure: `backfill of 30 periods, wall (s)`, value: (_, d) => d.backfillMs, show: seconds },
  { figure: 'dependent runs in the backfill', value: (_, d) => d.runs, show: (v) => String(v ?? '-') },
  { figure: 're-run an old upstream day -> dependent re-ran (s)', value: (_, d) => d.rerun.ms, show: seconds },
  { figure: 'manual steps for that re-run', value: (_, d) => d.rerun.steps.length, show: (v) => String(v ?? '-') },
  { figure: 'CPU seconds, whole scenario incl. start-up', value: (s) => s.usage.cpuSeconds, show: (v) => (v === undefined ? '-' : v.toFixed(1)) },
  { figure: 'CPU seconds from go (start-up left out)', value: (s) => s.usage.cpuSeconds - s.cpuAtGo, show: (v) => (v === undefined ? '-' : v.toFixed(1)) },
  { figure: 'CPU seconds while idle', value: (s) => s.idleCpuSeconds, show: (v) => (v === undefined ? '-' : v.toFixed(2)) },
  { figure: 'peak RSS, sum over the tree (MB)', value: (s) => s.usage.peakRssMB, show: (v) => (v === undefined ? '-' : v.toFixed(0)) },
  { figure: 'peak PSS, sum over the tree (MB)', value: (s) => s.usage.peakPssMB, show: (v) => (v === undefined ? '-' : v.toFixed(0)) },
  { figure: 'peak processes in the tree', value: (s) => s.usage.peakProcesses, show: (v) => String(v ?? '-') },
];

function pad(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
}

/** The table; `peer` undefined prints Homeostat's column alone. */
export function sideBySide(homeostat: SystemResult, peer: SystemResult | undefined): string {
  const home = homeostat.dependents[0] as DependentResult;
  const header = ['figure', `Homeostat (${home.label})`];
  for (const d of peer?.dependents ?? []) header.push(`Airflow (${d.label})`, 'ratio');
  const lines = [header];
  for (const row of ROWS) {
    const mine = row.value(homeostat, home);
    const cells = [row.figure, row.show(mine)];
    for (const d of peer?.dependents ?? []) {
      const theirs = row.value(peer as SystemResult, d);
      cells.push(row.show(theirs), row.figure.startsWith('dependent runs') || row.figure.startsWith('peak processes') ? '' : times(ratio(mine, theirs)));
    }
    lines.push(cells);
  }
  const widths = header.map((_, i) => Math.max(...lines.map((l) => (l[i] ?? '').length)));
  return lines.map((l) => pad(l, widths)).join('\n');
}

/** What each system was set to, the manual steps and the sanity checks, under the table. */
export function details(results: SystemResult[]): string {
  const out: string[] = [];
  for (const s of results) {
    out.push(`${s.system}${s.startupMs !== undefined ? ` (start-up to ready, not in the figures: ${seconds(s.startupMs)} s)` : ''}:`);
    for (const [key, value] of s.settings) out.push(`  ${key}: ${value}`);
    for (const d of s.dependents) {
      out.push(`  ${d.label}: ${d.latency.started}/${d.latency.periods} periods ran, max delay ${seconds(d.latency.maxMs)} s${d.latency.early.length > 0 ? `; STARTED BEFORE ITS UPSTREAMS for ${d.latency.early.join(', ')}` : ''}`);
      if (d.note !== undefined) out.push(`  ${d.label}: ${d.note}`);
      out.push(`  ${d.label}: re-run of ${d.rerun.period}, manual steps: ${d.rerun.steps.map((step, i) => `${i + 1}. ${step}`).join('; ')}`);
    }
    out.push(`  idle CPU measured over ${s.idleSeconds} s after everything was done`);
  }
  return out.join('\n');
}
