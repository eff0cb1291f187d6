import { afterEach, expect, it } from '@jest/globals';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sandbox, type Sandbox, waitFor } from './fixtures.js';

let box: Sandbox;
afterEach(() => box.cleanup());

it('a DagRun in the directory re-runs its period, and the Dags that depend on it run again for that period', async () => {
  box = sandbox();
  const loop = await box.start();
  expect((await loop.untilConverged(20_000)).converged).toBe(true);
  const published = join(box.data, 'published/2026-11-19.txt');
  const before = statSync(published).mtimeMs;

  box.write('rerun.yaml', 'apiVersion: homeostat.dev/v1alpha1\nkind: DagRun\nmetadata: {name: ingest-again}\nspec: {dag: ingest, period: "2026-11-19"}\n');
  await waitFor('the re-run and its dependents', () => statSync(published).mtimeMs > before && loop.convergence().converged && loop.reconciler.idle());
  await loop.stop();

  const doc = JSON.parse(readFileSync(join(box.dir, '.homeostat/status.json'), 'utf8')) as { objects: { kind: string; metadata: { name: string }; spec: Record<string, unknown>; status?: Record<string, unknown> }[] };
  const runs = doc.objects.filter((o) => o.kind === 'DagRun' && o.spec.period === '2026-11-19');
  expect(runs.map((r) => [r.metadata.name, r.spec.reason, r.status?.phase])).toEqual([
    ['ingest-again', 'Manual', 'Succeeded'],
    ['ingest-2026-11-19-1', 'Schedule', 'Succeeded'],
    ['report-2026-11-19-1', 'Schedule', 'Succeeded'],
    ['report-2026-11-19-2', 'Dependency', 'Succeeded'],
  ]);
});

it('a DagRun for a Dag that does not exist is Valid=False with the reason, and says so in the log, instead of Pending in silence', async () => {
  box = sandbox();
  box.write('orphan.yaml', 'apiVersion: homeostat.dev/v1alpha1\nkind: DagRun\nmetadata: {name: orphan}\nspec: {dag: no-such-dag, period: "2026-11-19"}\n');
  const loop = await box.start();
  expect((await loop.untilConverged(20_000)).converged).toBe(true);
  await loop.stop();

  const doc = JSON.parse(readFileSync(join(box.dir, '.homeostat/status.json'), 'utf8')) as { objects: { kind: string; metadata: { name: string }; status?: { conditions?: { type: string; status: string; reason: string; message: string }[] } }[] };
  const orphan = doc.objects.find((o) => o.kind === 'DagRun' && o.metadata.name === 'orphan');
  expect(orphan?.status?.conditions).toEqual([
    expect.objectContaining({ type: 'Valid', status: 'False', reason: 'UnknownReference', message: 'spec.dag: Dag no-such-dag not found in namespace default' }),
  ]);
  expect(loop.objectProblems()).toEqual([expect.objectContaining({ kind: 'DagRun', name: 'orphan', reason: 'UnknownReference' })]);
  const warnings = box.lines.filter((l) => l.level === 40 && l.msg.includes('orphan'));
  expect(warnings.map((w) => w.msg)).toEqual(['DagRun/orphan is not valid: spec.dag: Dag no-such-dag not found in namespace default (UnknownReference)']);
});
