// `make fuzz`, after the fuzz cases: the same cases again (FUZZ_RUNS, FUZZ_SEED), timed, and the
// slowest reads, validations and compiles printed with a one-line shape of each. The goal (issue
// 10): no object takes more than 1 s to validate or compile. Times are printed, never asserted in
// a test; this exits 1 when the goal is missed or a case has a finding, so `make fuzz` says so.
import fc from 'fast-check';
import { FAMILIES, FUZZ_RUNS, FUZZ_SEED, runsOf, seedOf } from '../test/fuzz/cases.js';
import type { Timing } from '../test/fuzz/pipeline.js';

const SLOWEST = Number(process.env['FUZZ_SLOWEST'] ?? 10);
const GOAL_MS = 1000;

const timings: (Timing & { family: string })[] = [];
let findings = 0;
const started = Date.now();
for (const f of FAMILIES) {
  const name = f.name.replace(/ \(.*/, '');
  for (const input of fc.sample(f.cases, { numRuns: runsOf(f), seed: seedOf(f) })) {
    const report = f.run(input as never);
    findings += report.findings.length;
    for (const t of report.timings) timings.push({ ...t, family: name });
  }
}

const ms = (t: number) => t.toFixed(1).padStart(8);
console.log(`fuzz benchmark: ${FUZZ_RUNS} cases, seed ${FUZZ_SEED}, ${((Date.now() - started) / 1000).toFixed(1)} s; goal: every object validated and compiled in <= ${GOAL_MS} ms`);
for (const what of ['validate', 'compile', 'read'] as const) {
  const mine = timings.filter((t) => t.what === what).sort((a, b) => b.ms - a.ms);
  if (mine.length === 0) continue;
  const p50 = mine[Math.floor(mine.length / 2)]?.ms ?? 0;
  const p99 = mine[Math.floor(mine.length / 100)]?.ms ?? 0;
  console.log(`\n${what}: ${mine.length} timed, p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(1)} ms; the ${Math.min(SLOWEST, mine.length)} slowest (ms, family, shape):`);
  for (const t of mine.slice(0, SLOWEST)) console.log(`${ms(t.ms)}  ${t.family.padEnd(28)} ${t.shape}`);
}
const over = timings.filter((t) => t.what !== 'read' && t.ms > GOAL_MS);
console.log(`\n${findings} findings; ${over.length} objects over ${GOAL_MS} ms to validate or compile${over.length > 0 ? ` (slowest ${Math.max(...over.map((t) => t.ms)).toFixed(0)} ms)` : ''}`);
if (findings > 0 || over.length > 0) process.exitCode = 1;
