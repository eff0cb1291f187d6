// Bounded compile cost (issue 10 item 1): how fast objects over the node caps are refused, and how
// long the event loop stalls while the reconciler compiles objects just below them (the longest
// stall must stay well under the leader's 10 s renew deadline). Prints figures; asserts nothing.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Dag, Expectation, StateChecker } from '../src/api/types.js';
import { enumeratedTicks } from '../src/engine/calendar.js';
import { emptyWorld, Engine, type World } from '../src/engine/index.js';
import { DEFAULT_MAX_NODES_PER_OBJECT, DEFAULT_MAX_NODES_TOTAL } from '../src/engine/nodeCount.js';
import { silentLogger } from '../src/runtime/log.js';
import { type Ports, systemClock } from '../src/runtime/ports.js';
import { Reconciler } from '../src/runtime/reconciler.js';

const meta = (name: string) => ({ name, namespace: 'bench', generation: 1, creationTimestamp: '2026-01-01T00:00:00Z' });
const CHECKER: StateChecker = { apiVersion: 'homeostat.dev/v1alpha1', kind: 'StateChecker', metadata: meta('files'), spec: { mode: 'Job', command: ['check'], timeout: '1m' } };
const exp = (name: string, partitions: Expectation['spec']['partitions']): Expectation => ({ apiVersion: 'homeostat.dev/v1alpha1', kind: 'Expectation', metadata: meta(name), spec: { checker: { ref: 'files' }, partitions } });
const hourlyDag = (name: string, tasks: number, from: string): Dag => ({
  apiVersion: 'homeostat.dev/v1alpha1',
  kind: 'Dag',
  metadata: meta(name),
  spec: { periods: { from, every: 'PT1H', timeZone: 'UTC' }, tasks: Array.from({ length: tasks }, (_, i) => ({ name: `t${i}`, job: { template: { spec: { containers: [{ name: 't', image: 'x' }] } } } })) },
});
const world = (more: Partial<World>): World => ({ ...emptyWorld(), checkers: [CHECKER], ...more });
const campaigns = (n: number) => Array.from({ length: n }, (_, i) => String(i));
const now = Date.now();
const daysAgo = (days: number) => new Date(Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), new Date(now).getUTCDate()) - days * 86_400_000).toISOString().slice(0, 10);

/** Refusing one object: how long setWorld takes, and how many calendar ticks it ran (0: counted, not enumerated). */
function refusal(label: string, w: World): string[] {
  const engine = new Engine({ holder: 'bench' });
  const ticks = enumeratedTicks();
  const started = performance.now();
  engine.setWorld(w, now);
  const ms = performance.now() - started;
  const problem = engine.problems()[0];
  return [label, ms.toFixed(1), String(enumeratedTicks() - ticks), `${problem?.reason ?? 'admitted'}: ${problem?.message.slice(0, 70) ?? ''}`];
}

/** Ports that accept everything: only compile and plan cost are measured. */
const quiet: Ports = {
  clock: systemClock,
  actions: { onEnded: () => undefined, launch: async () => undefined, cancel: async () => undefined, adopt: async () => undefined },
  checks: { onAnswer: () => undefined, request: async () => undefined },
  state: { load: async () => undefined, save: async () => undefined },
  status: { writeStatus: async () => undefined, writeRun: async () => undefined, removeRun: async () => undefined, recordEvent: () => undefined },
};

/** The reconciler's first pass over a world: its duration, nodes built, and the longest event-loop stall meanwhile. */
async function firstPass(label: string, w: World): Promise<string[]> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  let done = () => undefined as void;
  const passed = new Promise<void>((resolve) => (done = resolve));
  const reconciler = await Reconciler.start(quiet, { holder: 'bench', log: silentLogger(), onPass: () => done() });
  histogram.enable();
  const started = performance.now();
  reconciler.setDeclared({ world: w, side: { checkers: [CHECKER], dagDependencies: [], dagRuns: [] } });
  await passed;
  const ms = performance.now() - started;
  histogram.disable();
  const nodes = reconciler.engine.owners().reduce((n, o) => n + o.nodes.length, 0);
  await reconciler.stop();
  return [label, String(nodes), ms.toFixed(0), (histogram.max / 1e6).toFixed(0), `${(process.memoryUsage().rss / 2 ** 20).toFixed(0)}`];
}

const below = Math.floor(DEFAULT_MAX_NODES_PER_OBJECT / 1000) - 1; // days: 1000 campaigns x this many days, just below the cap
const perOwner = Math.floor(DEFAULT_MAX_NODES_TOTAL / 3 / 1000) - 1;
const scenarios: [string, () => World][] = [
  [`1 Expectation, 1000 campaigns x ${below} days`, () => world({ expectations: [exp('big', { date: { from: daysAgo(below - 1), every: 'P1D' }, campaign: { values: campaigns(1000) } })] })],
  ["1 Expectation, cron '* * * * *' in Europe/Paris for 69 days (just below 100,000 periods, the most one calendar may have)", () => world({ expectations: [exp('minutes', { minute: { from: daysAgo(68), cron: '* * * * *', timeZone: 'Europe/Paris' } })] })],
  [`3 Expectations, 1000 campaigns x ${perOwner} days each (under the total cap)`, () => world({ expectations: Array.from({ length: 3 }, (_, i) => exp(`big-${i}`, { date: { from: daysAgo(perOwner - 1), every: 'P1D' }, campaign: { values: campaigns(1000) } })) })],
];

if (process.argv[2] === 'scenario') {
  // One scenario per process: its RSS is its own.
  const [label, build] = scenarios[Number(process.argv[3])] as [string, () => World];
  console.log((await firstPass(label, build())).join('\t'));
} else {
  console.log('\nCompile caps: refusing objects over the per-object cap (default 400,000 nodes)');
  console.log(['object', 'refused in ms', 'ticks enumerated', 'reason'].join('\t'));
  for (const row of [
    refusal('Dag, 200 tasks, hourly since January', world({ dags: [hourlyDag('hourly-200', 200, `${new Date(now).getUTCFullYear()}-01-01`)] })),
    refusal("Expectation, cron '* * * * *' over a year", world({ expectations: [exp('minutes', { minute: { from: daysAgo(365), cron: '* * * * *' } })] })),
    refusal('Expectation, 10,000 campaigns x 365 days', world({ expectations: [exp('wide', { date: { from: daysAgo(364), every: 'P1D' }, campaign: { values: campaigns(10_000) } })] })),
  ]) console.log(row.join('\t'));

  console.log('\nCompiling objects just below the caps in the reconciler (in slices between owners; the first plan included)');
  console.log(['world', 'nodes', 'first pass ms', 'longest event-loop stall ms', 'RSS MB'].join('\t'));
  const tsx = join(import.meta.dirname, '..', 'node_modules', '.bin', 'tsx');
  for (const i of scenarios.keys()) process.stdout.write(execFileSync(tsx, [import.meta.filename, 'scenario', String(i)], { encoding: 'utf8' }));
}
