// Controller benchmark: the controller against a real kube-apiserver + etcd on loopback (the
// integration tests' harness, test/integration/harness/controlPlane.ts), the bench playing the
// kubelet. Prints a table with the goals.
//
//   tsx bench/controller.ts [--pairs 210] [--expectations 10000] [--dags 1000] [--only latency|memory|dags] [--json FILE]
//                           [--fresh-connections]  (client-node's default: a new connection per request, as before PooledKubeConfig)
//                           [--dag-periods 110] [--rate-periods 4344] [--rate-active 200] [--rate-window 40]
//                           [--dag-phase chain|dependency|rate]  (with --only dags: one phase only)
//
// 1. latency from a dependency's verdict (Satisfied) to the dependent's action Job (controller in-process);
// 2. API requests the controller makes per action launched (the same run);
// 3. the controller's RSS with N unpartitioned Expectations and M Dags, as a child process
//    (`node dist/cli/main.js controller`), how long its start takes to every first status
//    written, the API writes it makes over BENCH_STEADY_MINUTES (default 5) of nothing changing,
//    and its RSS over a soak of BENCH_SOAK_MINUTES (default 0 here; `make bench` runs 30);
// 4. Dags (controller in-process): task -> task latency within a Dag, latency across a
//    DagDependency, and Jobs launched per minute (bench/controllerScenarioDags.ts). Run during
//    3.'s steady state (in its own namespaces: 3.'s controller counts only its own writes), so
//    the default run stays near 10 minutes.
// Bounded: the whole run stops by itself (BENCH_CONTROLLER_BUDGET_S, default 450 s plus the steady
// state or soak, whichever is longer; the Dags part
// at most BENCH_DAGS_BUDGET_S of it, default 180 s); skipped (exit 0) when the envtest binaries
// are not built.
import { rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { startControlPlane } from '../test/integration/harness/controlPlane.js';
import { cachedBinaries, Deadline, installCrds, now, RawApi, round } from './controllerScenario.js';
import { type LatencyFigures, runLatency } from './controllerScenarioLatency.js';
import { type MemoryFigures, runMemory } from './controllerScenarioMemory.js';
import { type DagsFigures, type DagsOptions, runDags } from './controllerScenarioDags.js';

const { values: args } = parseArgs({
  options: {
    pairs: { type: 'string', default: '210' },
    expectations: { type: 'string', default: '10000' },
    dags: { type: 'string', default: '1000' },
    only: { type: 'string' },
    json: { type: 'string' },
    'fresh-connections': { type: 'boolean', default: false },
    'dag-periods': { type: 'string', default: '110' },
    'rate-periods': { type: 'string', default: '4344' },
    'rate-active': { type: 'string', default: '200' },
    'rate-window': { type: 'string', default: '40' },
    'dag-phase': { type: 'string' },
  },
});
const steadyMinutes = Number(process.env.BENCH_STEADY_MINUTES ?? 5);
const soakMinutes = Number(process.env.BENCH_SOAK_MINUTES ?? 0);
const budgetS = Number(process.env.BENCH_CONTROLLER_BUDGET_S ?? 450 + 60 * Math.max(steadyMinutes, soakMinutes));
const dagsBudgetS = Number(process.env.BENCH_DAGS_BUDGET_S ?? 180);
const deadline = new Deadline(budgetS * 1000);
const progress = (line: string) => process.stderr.write(`${line}\n`);
// The controller shares one connection pool (PooledKubeConfig); --fresh-connections measures without.
const reuse = !args['fresh-connections'];

const binaries = cachedBinaries();
if ('skip' in binaries) {
  console.log(`\ncontroller benchmark skipped: ${binaries.skip}`);
  process.exit(0);
}

// A backstop in case a stop() itself hangs: the harness's reaper then kills kube-apiserver and
// etcd, and the controller child ends when its stdin closes.
setTimeout(() => {
  progress('controller benchmark: still running 30 s past its budget; exiting');
  process.exit(3);
}, (budgetS + 30) * 1000).unref();

let latency: LatencyFigures | undefined;
let memory: MemoryFigures | undefined;
let memorySkipped: string | undefined;
let dags: DagsFigures | undefined;
let dagsSkipped: string | undefined;
let failure: string | undefined;
const started = now();
const plane = await startControlPlane({ binDir: binaries.dir });
const api = new RawApi(plane.kubeConfig);
try {
  progress(`controller bench: kube-apiserver on ${plane.server} (${round((now() - started) / 1000)} s)`);
  await installCrds(api, deadline);
  if (args.only === undefined || args.only === 'latency') {
    progress(`controller bench: latency, ${args.pairs} pairs up-i -> down-i, controller in-process${reuse ? '' : ', a new connection per request (--fresh-connections)'}`);
    latency = await runLatency(plane, Number(args.pairs), deadline, progress, reuse);
  }
  // The Dags scenario, in its own namespaces: run during the memory scenario's steady state when
  // both run (its writes and RSS are the memory controller's own), else on its own.
  const runDagsPhase = async () => {
    if (deadline.left < 60_000) {
      dagsSkipped = `only ${Math.round(deadline.left / 1000)} s of the ${budgetS} s budget left`;
      return;
    }
    const options: DagsOptions = {
      periods: Number(args['dag-periods']),
      ratePeriods: Number(args['rate-periods']),
      rateActive: Number(args['rate-active']),
      rateWindowS: Number(args['rate-window']),
      ...(args['dag-phase'] !== undefined ? { only: args['dag-phase'] as DagsOptions['only'] } : {}),
    };
    progress(`controller bench: dags (${round((now() - started) / 1000)} s so far; at most ${dagsBudgetS} s)`);
    dags = await runDags(plane, options, new Deadline(Math.min(deadline.left, dagsBudgetS * 1000)), progress, reuse);
  };
  let dagsDone = false;
  if (args.only === undefined || args.only === 'memory') {
    if (deadline.left < 60_000) {
      memorySkipped = `only ${Math.round(deadline.left / 1000)} s of the ${budgetS} s budget left`;
    } else {
      progress(`controller bench: memory, ${args.expectations} Expectations and ${args.dags} Dags, controller as a child process (${round((now() - started) / 1000)} s so far)`);
      const during = args.only === undefined && Math.max(steadyMinutes, soakMinutes) > 0 ? { during: async () => ((dagsDone = true), await runDagsPhase()) } : {};
      memory = await runMemory(plane, { expectations: Number(args.expectations), dags: Number(args.dags), steadyMinutes, soakMinutes, ...during }, deadline, progress, reuse);
    }
  }
  if ((args.only === undefined || args.only === 'dags') && !dagsDone) await runDagsPhase();
} catch (error) {
  failure = (error as Error).stack ?? String(error);
} finally {
  api.close();
  await plane.stop();
}
if (failure === undefined && latency !== undefined && process.env.BENCH_KEEP_LOG !== '1') rmSync(latency.logFile, { force: true });
const dagsClean = dags !== undefined && dags.failures.length === 0 && dags.anomalies.length === 0;
if (dags !== undefined && dagsClean && process.env.BENCH_KEEP_LOG !== '1') for (const file of dags.logFiles) rmSync(file, { force: true });

// ---- the table ----------------------------------------------------------------------------------
const lines: string[] = [];
const row = (figure: string, value: string, goal: string) => lines.push(`${figure.padEnd(64)}${value.padEnd(26)}${goal}`);
lines.push('', `Controller (real kube-apiserver + etcd on loopback, the bench playing the kubelet; ${availableParallelism()} cores shared by all; ${round((now() - started) / 1000)} s)${reuse ? '' : ' -- a new connection per request (--fresh-connections)'}`, '');
row('figure', 'measured', 'goal');
if (latency !== undefined) {
  row(`dependency Satisfied -> dependent's Job created, p50 (n=${latency.samples})`, `${latency.p50Ms} ms`, '<= 50 ms');
  row(`dependency Satisfied -> dependent's Job created, p99`, `${latency.p99Ms} ms (max ${latency.maxMs})`, '<= 250 ms');
  row('API requests per action launched, whole scenario', `${latency.requests.perAction} (${latency.requests.total}/${latency.requests.actions})`, '-');
  row('API requests per action launched, verdict -> launch only', `${latency.requests.measuredPerAction} (${latency.requests.measuredTotal}/${latency.requests.measuredActions})`, '-');
}
if (memory !== undefined) {
  const n = memory.expectations;
  const what = `${n} Expectations + ${memory.dags} Dags`;
  row(`controller RSS with ${what}, first pass done`, `${memory.rssMB} MB (peak ${memory.peakRssMB})`, '<= 200 MB');
  row('controller RSS with no Expectations, idle', `${memory.idleRssMB} MB`, '-');
  row(`start -> caches synced (${what})`, `${memory.syncMs} ms`, '-');
  // The bundle's Engine is out of the probe's reach: timed with BENCH_CONTROLLER_ENTRY=dist only.
  if (Number.isFinite(memory.firstPlanDoneMs)) row('start -> first plan done (compile + plan)', `${memory.firstPlanDoneMs} ms (${memory.firstCompileMs} + ${memory.firstPlanMs})`, '-');
  else row('start -> first plan done (compile + plan)', 'n/a with the bundle (BENCH_CONTROLLER_ENTRY=dist times it)', '-');
  row(`start -> every first status written (${memory.statusWrites} writes)`, `${memory.allWrittenMs} ms`, '<= 20,000 ms');
  const st = memory.steady;
  if (st !== undefined) row(`API writes over ${st.minutes} min of steady state (+ ${st.leaseRenewals} leader Lease renewals)`, `${st.writes}${st.writes > 0 ? ` (${st.byKind.map(([k, c]) => `${c} ${k}`).join(', ')})` : ''}`, '0');
  else row('API writes in steady state', `not measured (BENCH_STEADY_MINUTES=${steadyMinutes}, or the first pass did not finish)`, '0');
  const soak = memory.soak;
  if (soak !== undefined) row(`soak, ${soak.minutes} min: RSS at start -> end (max)`, `${soak.startRssMB} -> ${soak.endRssMB} MB (${soak.growthPct >= 0 ? '+' : ''}${soak.growthPct} %, max ${soak.maxRssMB})`, '<= +10 %');
  else row('soak', `not run (BENCH_SOAK_MINUTES=${soakMinutes}; \`make bench\` runs 30)`, '<= +10 %');
  const again = memory.restart;
  if (again !== undefined) {
    row('started again over the same objects: start -> first pass done', `${again.firstPassMs} ms`, '-');
    row('started again: writes up to 5 s of quiet (no lease)', `${again.writes}${again.writes > 0 ? ` (${again.byKind.map(([k, c]) => `${c} ${k}`).join(', ')})` : ''}, RSS ${again.rssMB} MB`, '0');
  }
} else if (memorySkipped !== undefined) {
  row('controller RSS', `skipped: ${memorySkipped}`, '-');
}
if (dags !== undefined) {
  for (const [figures, label] of [[dags.chain, 'Dag a -> b: a Complete -> b\'s Job created'], [dags.dependency, 'DagDependency: up Complete -> down\'s Job created']] as const) {
    if (figures === undefined) continue;
    row(`${label}, p50 (n=${figures.samples})`, `${figures.p50Ms} ms`, '<= 50 ms');
    row(`${label}, p99`, `${figures.p99Ms} ms (max ${figures.maxMs})`, '<= 250 ms');
  }
  const r = dags.rate;
  if (r !== undefined) {
    row(`Dag Jobs launched per minute, one controller (${r.windowSeconds} s window)`, `${r.perMinute}/min (${r.windowJobs} Jobs)`, '>= 1,000/min');
    row('API requests per Dag Job launched (whole passes in the window)', `${r.requestsPerJob} (${r.requestsPerJobOver[0]}/${r.requestsPerJobOver[1]})`, '-');
    row(`first ${r.burstJobs} Jobs of a new Dag (maxActiveRuns ${r.maxActiveRuns})`, `${r.burstSeconds} s`, '-');
  }
} else if (dagsSkipped !== undefined) {
  row('Dags', `skipped: ${dagsSkipped}`, '-');
}
if (latency !== undefined) {
  lines.push('', `where one sample's time goes, p50 / p99 ms (${latency.stepSamples} samples; setup ${latency.setupSeconds} s, samples ${latency.measureSeconds} s):`);
  for (const [step, q] of Object.entries(latency.steps)) lines.push(`  ${step.padEnd(40)}${String(q.p50).padStart(8)} /${String(q.p99).padStart(8)}`);
  lines.push(`  (requests the controller sends from the plan's end to the lease write's end, median: ${latency.duringLeaseWrite.map(([k, c]) => `${c} ${k}`).join(', ')})`);
  lines.push('', 'controller requests, verdict -> launch phase, by kind: count, median ms');
  const medians = new Map(latency.requests.medianMsByKind);
  for (const [kind, count] of latency.requests.measuredByKind) if (!kind.startsWith('watch ')) lines.push(`  ${kind.padEnd(40)}${String(count).padStart(8)}${String(medians.get(kind) ?? '-').padStart(9)}`);
  lines.push('', 'controller requests, whole scenario, by kind:');
  lines.push(`  ${latency.requests.byKind.map(([k, c]) => `${k} ${c}`).join(', ')}`);
}
if (memory !== undefined) lines.push('', `memory run: ${memory.note}`);
if (dags !== undefined) {
  for (const f of [dags.chain, dags.dependency]) {
    if (f === undefined) continue;
    lines.push('', `Dags, ${f.what}: where one sample's time goes, p50 / p99 ms (${f.stepSamples} samples; setup ${f.setupSeconds} s, samples ${f.measureSeconds} s):`);
    for (const [step, q] of Object.entries(f.steps)) lines.push(`  ${step.padEnd(40)}${String(q.p50).padStart(8)} /${String(q.p99).padStart(8)}`);
    lines.push(`  controller requests per sample (Complete -> quiet after the launch): ${f.requestsPerSample}: ${f.requestsByKind.map(([k, c]) => `${c} ${k}`).join(', ')}`);
    lines.push(`  median ms by kind: ${f.medianMsByKind.map(([k, ms]) => `${k} ${ms}`).join(', ')}`);
    lines.push(`  the Dag object at the end: ${Math.round(f.dagBytes / 1024)} KiB of JSON (status ${Math.round(f.statusBytes / 1024)} KiB); PUT of that status alone, controller stopped, bench client, p50 / p99: ${f.statusPutMs.p50} / ${f.statusPutMs.p99} ms`);
  }
  const r = dags.rate;
  if (r !== undefined) {
    lines.push('', `Dags, Jobs per minute: Dag rate, one task, ${r.periods} hourly periods, maxActiveRuns ${r.maxActiveRuns}; ${r.totalJobs} Jobs created in all, ${r.completed} completed by the bench (its patch: ${r.completePatchMs} ms median)`);
    lines.push(`  counted pass to pass (one burst of launches per pass): ${r.perMinuteByPasses}/min; machine load average (1 min) at the window's end: ${r.loadAverage}`);
    lines.push(`  ${r.passes} reconcile passes in the window, launches per pass p50 / p99: ${r.launchesPerPass.p50} / ${r.launchesPerPass.p99}; a pass, p50 / p99 ms:`);
    for (const [step, q] of Object.entries(r.passMs)) lines.push(`    ${step.padEnd(48)}${String(q.p50).padStart(8)} /${String(q.p99).padStart(8)}`);
    lines.push(`  controller requests per Job: ${r.requestsByKindPerJob.map(([k, c]) => `${c} ${k}`).join(', ')}`);
    lines.push(`  median ms by kind: ${r.medianMsByKind.map(([k, ms]) => `${k} ${ms}`).join(', ')}`);
    const cpu = (c: Record<string, number>) => Object.entries(c).map(([k, v]) => `${k} ${v}%`).join(', ');
    lines.push(`  CPU in the window, % of one core (${availableParallelism()} cores): ${cpu(r.cpuPercent)}`);
    lines.push(`    during the passes' launches: ${cpu(r.cpuPercentDuringLaunches)}; during the rest of the passes: ${cpu(r.cpuPercentDuringRest)}`);
    lines.push(`  this process's event loop delay in the window, p50 / p99 / max: ${r.eventLoopDelayMs.p50} / ${r.eventLoopDelayMs.p99} / ${r.eventLoopDelayMs.max} ms`);
    lines.push(`  the Dag object at the window's end: ${Math.round(r.dagBytes / 1024)} KiB of JSON; status lists: ${Object.entries(r.dagStatusCounts).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    lines.push(`  status.successes of the Dag every 2 s in the window: ${r.successRecords.join(' ')}`);
  }
  for (const note of dags.notes) lines.push(`  note: ${note}`);
  if (dags.anomalies.length > 0) lines.push('', 'Dags, SUSPICIOUS (the controller did what it should not):', ...dags.anomalies.map((a) => `  - ${a}`));
  if (dags.failures.length > 0) lines.push('', 'Dags benchmark FAILED:', ...dags.failures.map((f) => `  - ${f}`));
  if (!dagsClean) lines.push(`  (controller logs: ${dags.logFiles.join(', ')})`);
}
if (failure !== undefined) lines.push('', `controller benchmark FAILED: ${failure}${latency === undefined ? '' : `\n(controller log: ${latency.logFile})`}`);
console.log(lines.join('\n'));
if (args.json !== undefined) writeFileSync(args.json, JSON.stringify({ latency, memory, memorySkipped, dags, dagsSkipped, failure }, null, 2));
process.exitCode = failure === undefined && (dags === undefined || dags.failures.length === 0) ? 0 : 1;
