// Every status the controller writes says which generation it judged (status.observedGeneration
// and each condition's), invalid objects included: kstatus, Argo CD and Flux read a stale
// observedGeneration as "not reconciled yet". Both kinds of invalid: one the validator rejects
// (a field), one the engine rejects (a reference the graph cannot resolve).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createNamespace, describeIntegration, installCrds } from './harness/cluster.js';
import { CHECKER, conditionsOf, expectation, Scene } from './controllerFixtures.js';

type Status = Record<string, unknown>;

/** `generation/observedGeneration` with every condition's observedGeneration. */
async function generations(scene: Scene, name: string): Promise<{ object: string; conditions: number[] }> {
  const o = await scene.get<{ metadata: { generation: number }; status?: Status }>('exp', name);
  const conditions = ((o.status?.conditions ?? []) as { observedGeneration?: number }[]).map((c) => c.observedGeneration ?? -1);
  return { object: `${o.metadata.generation}/${String(o.status?.observedGeneration)}`, conditions };
}

/** Waits for Valid to be `valid` and every generation to be `generation`. */
async function judged(scene: Scene, name: string, valid: string, generation: number): Promise<void> {
  await scene.until(name, (s) => {
    expect(conditionsOf(s).Valid).toBe(valid);
    expect(s.observedGeneration).toBe(generation);
  });
  const seen = await generations(scene, name);
  expect(seen.object).toBe(`${generation}/${generation}`);
  expect(seen.conditions.length).toBeGreaterThan(0);
  expect(new Set(seen.conditions)).toEqual(new Set([generation]));
}

describeIntegration('controller: observedGeneration of invalid objects', () => {
  let scene: Scene;

  beforeAll(async () => {
    await installCrds();
    scene = new Scene(await createNamespace('ctl-obsgen'));
    await scene.apply(CHECKER);
    await scene.start();
  });

  afterAll(async () => {
    await scene?.stopAll();
  });

  const cases = [
    // The API server accepts "P" (its pattern cannot tell); the controller's validator does not.
    { name: 'a field the validator rejects', prefix: 'field', broken: { workingTimeout: 'P' }, fixed: { workingTimeout: '1h' }, reason: 'False/InvalidSpec' },
    // Valid alone; the engine finds no StateChecker of that name.
    { name: 'a reference the graph cannot resolve', prefix: 'ref', broken: { checker: { ref: 'nobody' } }, fixed: { checker: { ref: 'files' } }, reason: 'False/UnknownReference' },
  ];

  describe.each(cases)('$name', ({ prefix, broken, fixed, reason }) => {
    it('a new invalid Expectation: observedGeneration 1 with Valid=False', async () => {
      const name = `${prefix}-new`;
      const checker = (broken as { checker?: { ref: string } }).checker?.ref ?? 'files';
      const timeout = (broken as { workingTimeout?: string }).workingTimeout;
      await scene.apply(expectation(name, `  suspend: true\n${timeout !== undefined ? `  workingTimeout: ${timeout}\n` : ''}`).replace('{ref: files}', `{ref: ${checker}}`));
      await judged(scene, name, reason, 1);
    });

    it('valid, edited to invalid (2/2), edited back to valid (3/3)', async () => {
      const name = `${prefix}-edit`;
      await scene.apply(expectation(name, '  suspend: true\n'));
      await judged(scene, name, 'True/Valid', 1);
      await scene.kubectl(['patch', 'exp', name, '--type=merge', '-p', JSON.stringify({ spec: broken })]);
      await judged(scene, name, reason, 2);
      await scene.kubectl(['patch', 'exp', name, '--type=merge', '-p', JSON.stringify({ spec: fixed })]);
      await judged(scene, name, 'True/Valid', 3);
    });
  });
});
