import { afterEach, expect, it } from '@jest/globals';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DevLoop } from '../../src/local/devLoop.js';
import { sandbox, type Sandbox, waitFor } from './fixtures.js';

let box: Sandbox;
const suspendedCondition = (loop: DevLoop, dag: string) => {
  const object = loop.status.document().objects.find((o) => o.kind === 'Dag' && o.metadata.name === dag);
  return ((object?.status?.conditions ?? []) as { type: string }[]).find((c) => c.type === 'Suspended');
};
afterEach(() => box.cleanup());

it('a removed file suspends its Dags (history kept); put back, nothing that succeeded runs again', async () => {
  box = sandbox();
  const loop = await box.start();
  expect((await loop.untilConverged(20_000)).converged).toBe(true);
  const published = join(box.data, 'published/2026-11-19.txt');
  const before = statSync(published).mtimeMs;
  const report = join(box.dir, 'report.yaml');
  const text = readFileSync(report, 'utf8');

  rmSync(report);
  await waitFor('the removed file to be noticed', () => loop.fileProblems().some((p) => p.file === 'report.yaml'));
  expect(loop.fileProblems()).toEqual([{ file: 'report.yaml', kept: 3, message: 'report.yaml is gone: its Dags and Expectations are suspended until it is back' }]);
  expect(loop.reconciler.engine.owner({ kind: 'Dag', namespace: 'default', name: 'ingest' })).toBeDefined();
  // status.json (and `homeostat get`) says why each of its Dags is suspended.
  await waitFor('the Suspended conditions', () => ['ingest', 'report'].every((name) => suspendedCondition(loop, name) !== undefined));
  for (const name of ['ingest', 'report']) {
    expect(suspendedCondition(loop, name)).toMatchObject({ status: 'True', reason: 'SourceFileRemoved', message: expect.stringMatching(/^suspended by the manifest directory: file report.yaml is gone;/) });
  }

  writeFileSync(report, text);
  await waitFor('the file to be back and everything settled', () => loop.fileProblems().length === 0 && loop.convergence().converged && loop.reconciler.idle());
  expect(suspendedCondition(loop, 'report')).toBeUndefined();
  await loop.stop();
  expect(statSync(published).mtimeMs).toBe(before);
});
