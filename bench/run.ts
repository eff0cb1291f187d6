// `make bench`: runs each benchmark in its own process and prints the figures with their goals.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const here = import.meta.dirname;
const tsx = join(here, '..', 'node_modules', '.bin', 'tsx');

interface EngineFigures {
  nodes: number;
  compileMs: number;
  fullPlanMs: number;
  planAfterVerdictsMs: number;
  peakRssMB: number;
  oneEventP50Ms: number;
  oneEventP99Ms: number;
}

function engineRun(size: number): EngineFigures {
  const out = execFileSync(tsx, [join(here, 'engine.ts'), String(size)], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=4096' } });
  return JSON.parse(out.trim().split('\n').pop() as string) as EngineFigures;
}

console.log('Engine (pure, in-process): full plan = compile + first plan; one event = observe + plan');
console.log('goals: 365k nodes in <= 1000 ms and <= 300 MB; one event <= 1 ms p99 on 100k nodes\n');
console.log(['nodes', 'full plan ms', 'plan after verdicts ms', 'peak RSS MB', 'one event p50 ms', 'one event p99 ms'].join('\t'));
for (const size of [100_000, 365_000]) {
  const f = engineRun(size);
  console.log([f.nodes, f.fullPlanMs, f.planAfterVerdictsMs, f.peakRssMB, f.oneEventP50Ms, f.oneEventP99Ms].join('\t'));
}

// Compile caps: refusals over the caps, and the event-loop stall while compiling just below them.
try {
  execFileSync(tsx, [join(here, 'compileCap.ts')], { stdio: 'inherit', timeout: 300_000, env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=4096' } });
} catch (error) {
  console.log(`compile caps benchmark failed: ${(error as Error).message.split('\n')[0]}`);
  process.exitCode = 1;
}

// The controller against a real kube-apiserver + etcd (the integration tests' harness): it prints
// its own table, says so and exits 0 when the envtest binaries are not built, and stops by itself
// (its budget is BENCH_CONTROLLER_BUDGET_S, 450 s by default plus the steady state or the soak,
// the Dags part included). `make bench` soaks the controller for BENCH_SOAK_MINUTES, 30 by default.
try {
  const soakMinutes = process.env.BENCH_SOAK_MINUTES ?? '30';
  const windowMinutes = Math.max(Number(soakMinutes), Number(process.env.BENCH_STEADY_MINUTES ?? 5));
  const budgetS = Number(process.env.BENCH_CONTROLLER_BUDGET_S ?? 450 + 60 * windowMinutes);
  execFileSync(tsx, [join(here, 'controller.ts')], { stdio: 'inherit', timeout: (budgetS + 90) * 1000, env: { ...process.env, BENCH_SOAK_MINUTES: soakMinutes } });
} catch (error) {
  console.log(`controller benchmark failed: ${(error as Error).message.split('\n')[0]}`);
  process.exitCode = 1;
}

// From `helm install` to the first Expectation Satisfied: the chart on a real API server, the
// controller image run as one Pod of its Deployment (bench/install.ts). It prints its own figures,
// says why and exits 0 when not root or the envtest binaries or helm are not cached, and stops by
// itself (BENCH_INSTALL_BUDGET_S, 240 s by default).
try {
  execFileSync(tsx, [join(here, 'install.ts')], { stdio: 'inherit', timeout: 330_000 });
} catch (error) {
  console.log(`install benchmark failed: ${(error as Error).message.split('\n')[0]}`);
  process.exitCode = 1;
}

// Definition sources: 1,000 files from a directory and from a local S3 server (bench/sources.ts).
try {
  execFileSync(tsx, [join(here, 'sources.ts')], { stdio: 'inherit', timeout: 180_000 });
} catch (error) {
  console.log(`sources benchmark failed: ${(error as Error).message.split('\n')[0]}`);
  process.exitCode = 1;
}
