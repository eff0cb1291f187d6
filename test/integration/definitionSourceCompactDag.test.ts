// The compact JSON DAG shape end to end on a real API server: a file of nodes and depends_on is
// loaded by a directory DefinitionSource, runs its tasks as Jobs in order, an edit adds a task
// that runs alone, removing the file suspends the Dag, and putting it back resumes it without
// re-running anything that already succeeded.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DagScene } from './mediatorFixtures.js';
import { createNamespace, describeIntegration, eventually, installCrds } from './harness/cluster.js';

const YESTERDAY = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);

/** Yesterday's period only: one run to watch, not a year of them. */
const compact = (extra: object[] = []) =>
  JSON.stringify({
    description: 'nightly load',
    every: 'P1D',
    start_date: YESTERDAY,
    nodes: [
      { id: 'extract', type: 'container', config: { image: 'example/extract:1', args: ['--day', '{{period}}'] } },
      { id: 'load', type: 'container', config: { image: 'example/load:1' }, depends_on: ['extract'] },
      ...extra,
    ],
    edges: [],
  });

describeIntegration('controller: a Dag in the compact JSON shape, loaded, run, edited, removed and restored', () => {
  let scene: DagScene;
  let root: string;
  let dir: string;
  const file = () => join(dir, 'etl.json');

  /** Asks for a scan now and waits until the loader has done it. */
  const scanNow = async () => {
    const before = scene.controller?.sources?.scans(scene.ns, 'defs') ?? 0;
    await scene.kubectl(['annotate', '--overwrite', 'definitionsources', 'defs', `homeostat.dev/scan-requested-at=${Date.now()}-${Math.random()}`]);
    await eventually(async () => {
      if ((scene.controller?.sources?.scans(scene.ns, 'defs') ?? 0) <= before) throw new Error('not scanned yet');
    }, 15_000);
  };

  beforeAll(async () => {
    await installCrds();
    scene = new DagScene(await createNamespace('ctl-compact'));
    root = mkdtempSync(join(tmpdir(), 'homeostat-compact-'));
    dir = join(root, 'team');
    mkdirSync(dir);
    writeFileSync(file(), compact());
    await scene.start({ sources: { directoryRoots: [root], retryInitialMs: 200 } });
    await scene.apply(`apiVersion: homeostat.dev/v1alpha1\nkind: DefinitionSource\nmetadata: {name: defs}\nspec: {directory: {path: ${dir}}, interval: 1h}\n`);
  });

  afterAll(async () => {
    await scene?.stopAll();
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });

  it('runs its tasks as Jobs in the order depends_on gives', async () => {
    await scene.runAndFinish([`etl/extract@${YESTERDAY}`]);
    await scene.runAndFinish([`etl/load@${YESTERDAY}`]);
    const extract = (await scene.actionJobs()).find((j) => j.metadata?.labels?.['homeostat.dev/task'] === 'extract');
    expect(extract?.spec?.template.spec?.containers[0]).toMatchObject({ image: 'example/extract:1', args: ['--day', YESTERDAY] });
    await scene.untilDag('etl', (s) => expect(s.phase).toBe('Satisfied'));
  });

  it('an edit that adds a task runs that task alone', async () => {
    writeFileSync(file(), compact([{ id: 'report', type: 'container', config: { image: 'example/report:1' }, depends_on: ['load'] }]));
    await scanNow();
    await scene.runAndFinish([`etl/report@${YESTERDAY}`]);
    await scene.untilDag('etl', (s) => expect(s.phase).toBe('Satisfied'));
    expect(await scene.launched('etl')).toEqual([`etl/extract@${YESTERDAY}`, `etl/load@${YESTERDAY}`, `etl/report@${YESTERDAY}`]);
  });

  it('removed, the Dag is suspended and keeps its history; put back, it resumes and re-runs nothing', async () => {
    unlinkSync(file());
    await scanNow();
    await eventually(async () => expect((await scene.get<{ spec: { suspend?: boolean } }>('dag', 'etl')).spec.suspend).toBe(true), 10_000);
    writeFileSync(file(), compact([{ id: 'report', type: 'container', config: { image: 'example/report:1' }, depends_on: ['load'] }]));
    await scanNow();
    await eventually(async () => expect((await scene.get<{ spec: { suspend?: boolean } }>('dag', 'etl')).spec.suspend ?? false).toBe(false), 10_000);
    // A fixed point: the controller idle after the resume, with the same three Jobs ever created.
    await scene.settle();
    expect(await scene.launched('etl')).toEqual([`etl/extract@${YESTERDAY}`, `etl/load@${YESTERDAY}`, `etl/report@${YESTERDAY}`]);
    await scene.untilDag('etl', (s) => expect(s.phase).toBe('Satisfied'));
  });
});
