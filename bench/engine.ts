// Engine benchmark: a full plan over N partition-nodes, and the re-plan after one event.
// Run one size per process (`tsx bench/engine.ts 365000`) so peak memory is that size's alone.
// Up to 365,000 nodes: 365 days x N/365 campaigns; from 1,000,000: 1,000 days x N/1,000 campaigns
// (the 1,000-campaign x 1,000-day Expectation), with the node caps raised to fit it.
import type { Expectation, StateChecker } from '../src/api/types.js';
import { Engine, type Plan, type World } from '../src/engine/index.js';

const DAY = 86_400_000;
const now = Date.parse('2026-11-21T12:00:00Z');
const nodes = Number(process.argv[2] ?? 100_000);
const days = nodes >= 1_000_000 ? 1000 : 365;
const campaigns = Math.ceil(nodes / days);
const from = new Date(now - (days - 1) * DAY).toISOString().slice(0, 10);

const meta = (name: string) => ({ name, namespace: 'bench', generation: 1 });
const checker: StateChecker = { apiVersion: 'homeostat.dev/v1alpha1', kind: 'StateChecker', metadata: meta('table'), spec: { mode: 'Job', image: 'x', batchSize: 500, timeout: '10m' } };
const job = { template: { spec: { containers: [{ name: 'load', image: 'example/load:1' }] } } };
const raw: Expectation = {
  apiVersion: 'homeostat.dev/v1alpha1',
  kind: 'Expectation',
  metadata: meta('raw'),
  spec: {
    partitions: { date: { from, to: 'today', every: 'P1D' }, campaign: { values: Array.from({ length: campaigns }, (_, i) => String(i + 1)) } },
    checker: { ref: 'table' },
    action: { job },
    maxConcurrentActions: 10_000,
  },
};
const daily: Expectation = {
  apiVersion: 'homeostat.dev/v1alpha1',
  kind: 'Expectation',
  metadata: meta('daily'),
  spec: { partitions: { date: { from, to: 'today', every: 'P1D' } }, checker: { ref: 'table' }, dependsOn: [{ expectation: 'raw' }], action: { job } },
};
const world: World = { checkers: [checker], expectations: [raw, daily], dags: [], dagDependencies: [], configMaps: new Map() };

const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;
let peakRss = 0;
const sample = (): void => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
};

// The default caps (nodeCount.ts: 400,000 per object, 600,000 in all) refuse the 1M size: raised here, as an administrator would.
const caps = nodes > 400_000 ? { maxNodesPerObject: nodes + days, maxNodesTotal: nodes + 2 * days } : {};
const engine = new Engine({ holder: 'bench', maxLaunchesPerPlan: 1_000_000, ...caps });
let t0 = process.hrtime.bigint();
engine.setWorld(world, now);
const compileMs = ms(t0);
sample();
t0 = process.hrtime.bigint();
let first: Plan | undefined = engine.plan(now);
const firstPlanMs = ms(t0);
sample();
// The verdicts arrive; the plan is then dropped, as the runtime drops it once its checks are sent.
// Only the ids the one-event loop needs are kept: the bench's own arrays are not the engine's memory.
let checkedCount = 0;
const rawIds: string[] = [];
for (const check of first.checks) {
  for (const item of check.items) {
    engine.observe(item.node, 'satisfied', now + 1);
    if (checkedCount++ % 97 === 0 && item.node.startsWith('Expectation/bench/raw|')) rawIds.push(item.node);
  }
}
first = undefined;
t0 = process.hrtime.bigint();
engine.plan(now + 2);
const secondPlanMs = ms(t0);
sample();

// One event at a time on the settled graph: a partition is found deleted, the engine re-plans.
const latencies: number[] = [];
let clock = now + 10;
for (let i = 0; i < 2000; i++) {
  const id = rawIds[(i * 7919) % rawIds.length] as string;
  engine.observe(id, i % 2 === 0 ? 'unsatisfied' : 'satisfied', clock);
  const e0 = process.hrtime.bigint();
  engine.plan(clock);
  latencies.push(ms(e0));
  clock += 1;
}
sample();
latencies.sort((a, b) => a - b);
const pct = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] as number;

console.log(
  JSON.stringify({
    nodes: checkedCount,
    compileMs: Math.round(compileMs),
    fullPlanMs: Math.round(compileMs + firstPlanMs),
    planAfterVerdictsMs: Math.round(secondPlanMs),
    peakRssMB: Math.round(peakRss / 2 ** 20),
    oneEventP50Ms: Number(pct(50).toFixed(3)),
    oneEventP99Ms: Number(pct(99).toFixed(3)),
  }),
);
