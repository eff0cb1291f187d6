import { afterEach, expect, it } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import { sandbox, type Sandbox, waitFor } from './fixtures.js';

let box: Sandbox;
afterEach(() => box.cleanup());

it('homeostat dev takes the node caps: an object over them is Valid=False with the reason, the rest runs', async () => {
  box = sandbox({ quickstart: false });
  mkdirSync(box.dir, { recursive: true });
  box.write('checker.yaml', 'apiVersion: homeostat.dev/v1alpha1\nkind: StateChecker\nmetadata: {name: files}\nspec: {mode: Job, command: ["true"], timeout: 1m}\n');
  box.write('small.yaml', 'apiVersion: homeostat.dev/v1alpha1\nkind: Expectation\nmetadata: {name: small}\nspec: {checker: {ref: files}, partitions: {day: {values: ["d1", "d2"]}}}\n');
  box.write('wide.yaml', 'apiVersion: homeostat.dev/v1alpha1\nkind: Expectation\nmetadata: {name: wide}\nspec: {checker: {ref: files}, partitions: {day: {from: "2026-01-01", to: "2026-01-31", every: P1D}}}\n');
  const loop = await box.start({ maxNodesPerObject: 10 });
  const owner = (name: string) => loop.reconciler.engine.owner({ kind: 'Expectation', namespace: 'default', name });
  await waitFor('both Expectations compiled', () => owner('small') !== undefined && owner('wide') !== undefined);
  expect(owner('small')?.invalid).toBeUndefined();
  expect(owner('small')?.nodes).toHaveLength(2);
  expect(owner('wide')?.invalidReason).toBe('TooManyNodes');
  expect(owner('wide')?.invalid).toBe('31 nodes (31 periods) is more than the cap of 10 per object; narrow the range, lengthen the step or raise --max-nodes-per-object');
});
