// An Expectation deleted and created again under the same name is a new object: its conditions
// start when it was created, not when the deleted one's did (the composer forgets deleted owners).
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Condition, Expectation, StateChecker } from '../../src/api/types.js';
import { emptyWorld } from '../../src/engine/index.js';
import { silentLogger } from '../../src/runtime/log.js';
import { type Clock, systemClock } from '../../src/runtime/ports.js';
import { Reconciler } from '../../src/runtime/reconciler.js';
import { statusPorts, statusUntil } from './statusPorts.js';

const CHECKER: StateChecker = { apiVersion: 'homeostat.dev/v1alpha1', kind: 'StateChecker', metadata: { name: 'files', namespace: 'default', generation: 1 }, spec: { mode: 'Push', timeout: '1h' } };
const expectation = (name: string, uid: string, generation = 1): Expectation => ({
  apiVersion: 'homeostat.dev/v1alpha1',
  kind: 'Expectation',
  metadata: { name, namespace: 'default', uid, generation },
  spec: { checker: { ref: 'files' } },
});
const valid = (status: Record<string, unknown> | undefined) => ((status?.conditions ?? []) as Condition[]).find((c) => c.type === 'Valid');

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

describe('an owner deleted and created again', () => {
  it('has conditions of its own, with the lastTransitionTime of its creation', async () => {
    const { ports, statuses } = statusPorts();
    // A clock an hour can be added to, so the two creations have different times.
    let offset = 0;
    const clock: Clock = { now: () => systemClock.now() + offset, setTimer: (at, fire) => systemClock.setTimer(at - offset, fire) };
    const reconciler = await Reconciler.start({ ...ports, clock }, { holder: 'test', log: silentLogger() });
    stop = () => reconciler.stop();
    // `other` changes generation with every World: its status written says the World was planned.
    const declare = (generation: number, ...expectations: Expectation[]) =>
      reconciler.setDeclared({ world: { ...emptyWorld(), checkers: [CHECKER], expectations: [expectation('other', 'o', generation), ...expectations] }, side: { checkers: [CHECKER], dagDependencies: [], dagRuns: [] } });
    const planned = (generation: number) => statusUntil(() => statuses.get('Expectation/other')?.observedGeneration === generation);

    declare(1, expectation('report', 'first'));
    await planned(1);
    await statusUntil(() => valid(statuses.get('Expectation/report')) !== undefined);
    const first = valid(statuses.get('Expectation/report'))?.lastTransitionTime as string;
    expect(first).toBeDefined();

    declare(2);
    await planned(2);
    offset = 3_600_000;
    statuses.delete('Expectation/report');
    declare(3, expectation('report', 'second'));
    await planned(3);
    await statusUntil(() => valid(statuses.get('Expectation/report')) !== undefined);

    const second = valid(statuses.get('Expectation/report'))?.lastTransitionTime as string;
    expect(Date.parse(second) - Date.parse(first)).toBeGreaterThanOrEqual(3_599_000);
  });
});
