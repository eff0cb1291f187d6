// Every owner status says the generation it judged, an owner the engine rejects included
// (status.observedGeneration and each condition's): a stale one reads as "never reconciled".
import { describe, expect, it } from '@jest/globals';
import type { Expectation, StateChecker } from '../../src/api/types.js';
import { emptyWorld } from '../../src/engine/index.js';
import { silentLogger } from '../../src/runtime/log.js';
import { Reconciler } from '../../src/runtime/reconciler.js';
import { statusPorts } from './statusPorts.js';

const CHECKER: StateChecker = { apiVersion: 'homeostat.dev/v1alpha1', kind: 'StateChecker', metadata: { name: 'files', namespace: 'default', generation: 1 }, spec: { mode: 'Push', timeout: '1h' } };
const report = (generation: number, checker: string): Expectation => ({
  apiVersion: 'homeostat.dev/v1alpha1',
  kind: 'Expectation',
  metadata: { name: 'report', namespace: 'default', generation },
  spec: { checker: { ref: checker } },
});

const generations = (status: Record<string, unknown> | undefined) => ({
  observedGeneration: status?.observedGeneration,
  conditions: [...new Set(((status?.conditions ?? []) as { observedGeneration: number }[]).map((c) => c.observedGeneration))],
  valid: ((status?.conditions ?? []) as { type: string; status: string }[]).find((c) => c.type === 'Valid')?.status,
});

async function until<T>(read: () => T, check: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 2_000;
  for (;;) {
    const value = read();
    if (check(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('the reconciler: the generation a status judged', () => {
  it.each([
    ['a new Expectation the engine rejects (an unknown checker)', [[1, 'nobody']], { observedGeneration: 1, conditions: [1], valid: 'False' }],
    ['a valid one edited to invalid', [[1, 'files'], [2, 'nobody']], { observedGeneration: 2, conditions: [2], valid: 'False' }],
    ['an invalid one edited back to valid', [[1, 'files'], [2, 'nobody'], [3, 'files']], { observedGeneration: 3, conditions: [3], valid: 'True' }],
  ] as const)('%s', async (_name, edits, expected) => {
    const { ports: p, statuses } = statusPorts();
    const reconciler = await Reconciler.start(p, { holder: 'test', log: silentLogger() });
    for (const [generation, checker] of edits) {
      reconciler.setDeclared({ world: { ...emptyWorld(), checkers: [CHECKER], expectations: [report(generation, checker)] }, side: { checkers: [CHECKER], dagDependencies: [], dagRuns: [] } });
      await until(() => generations(statuses.get('Expectation/report')), (g) => g.observedGeneration === generation);
    }
    await reconciler.stop();
    expect(generations(statuses.get('Expectation/report'))).toEqual(expected);
  });
});
