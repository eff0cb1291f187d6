/**
 * An Expectation of 365,000 partitions (1,000 campaigns x 365 days) held by a real engine, for the
 * node page's scale test and bench/nodePage.ts. Checking 365k partitions with local processes would
 * take minutes, so the verdicts are handed to the engine directly: most satisfied, campaign 7
 * missing its last 3 days, campaign 13 unrecoverable on one day. The read API then builds the
 * partition summary from this engine exactly as on the leader.
 */
import type { Expectation, StateChecker } from '../../src/api/types.js';
import { Engine } from '../../src/engine/index.js';
import type { ViewSource } from '../../src/server/readApi.js';

const DAY = 86_400_000;
export const BIG_NOW = Date.parse('2026-11-21T12:00:00Z');
const meta = (name: string) => ({ name, namespace: 'scale', generation: 1 });

export function bigExpectation(values = 1000, days = 365): { source: ViewSource; engine: Engine; partitions: number } {
  const from = new Date(BIG_NOW - (days - 1) * DAY).toISOString().slice(0, 10);
  const checker: StateChecker = { apiVersion: 'homeostat.dev/v1alpha1', kind: 'StateChecker', metadata: meta('table'), spec: { mode: 'Job', image: 'example/check:1', batchSize: 5000, timeout: '10m' } };
  const expectation: Expectation = {
    apiVersion: 'homeostat.dev/v1alpha1',
    kind: 'Expectation',
    metadata: meta('campaign-days'),
    spec: { partitions: { date: { from, to: 'today', every: 'P1D' }, campaign: { values: Array.from({ length: values }, (_, i) => String(i + 1)) } }, checker: { ref: 'table' } },
  };
  const engine = new Engine({ holder: 'scale-test' });
  engine.setWorld({ checkers: [checker], expectations: [expectation], dags: [], dagDependencies: [], configMaps: new Map() }, BIG_NOW);
  const plan = engine.plan(BIG_NOW);
  const lastDays = new Set([0, 1, 2].map((d) => new Date(BIG_NOW - d * DAY).toISOString().slice(0, 10)));
  for (const check of plan.checks)
    for (const item of check.items) {
      const campaign = item.values.campaign;
      const date = item.values.date ?? '';
      if (campaign === '7' && lastDays.has(date)) engine.observe(item.node, 'unsatisfied', BIG_NOW + 1);
      else if (campaign === '13' && date === from) engine.observe(item.node, 'unrecoverable', BIG_NOW + 1, `s3://raw/campaign=13/date=${date}.csv does not exist`);
      else engine.observe(item.node, 'satisfied', BIG_NOW + 1);
    }
  engine.plan(BIG_NOW + 2);
  const source: ViewSource = {
    objects: () => ({ checkers: [checker], expectations: [expectation], dags: [], dagDependencies: [] }),
    engine: () => engine,
    subscribe: () => () => undefined,
    now: () => BIG_NOW + 2,
  };
  return { source, engine, partitions: values * days };
}
