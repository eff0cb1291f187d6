// A directory DefinitionSource loaded by the controller into a real API server: the objects are
// applied with server-side apply as homeostat-loader and labelled with the source; an unchanged
// scan writes nothing; a bad file is reported and the rest applied; a removed file suspends its
// objects and a restored one resumes them; a source may only read what the administrator allows.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Controller } from '../../src/kube/controller.js';
import { listSources, scanNow as cliScanNow } from '../../src/cli/sources.js';
import { CHECKER, COMPACT_ETL, conditionsOf, expectation, Scene } from './controllerFixtures.js';
import { cluster, createNamespace, describeIntegration, eventually, installCrds } from './harness/cluster.js';

type Obj = { metadata: { resourceVersion: string; labels?: Record<string, string>; annotations?: Record<string, string>; managedFields?: { manager: string; operation: string }[] }; spec: Record<string, unknown>; status?: Record<string, unknown> };

const source = (name: string, path: string, interval = '1h') => `apiVersion: homeostat.dev/v1alpha1
kind: DefinitionSource
metadata: {name: ${name}}
spec:
  directory: {path: ${path}}
  interval: ${interval}
`;

describeIntegration('controller: a directory DefinitionSource', () => {
  let scene: Scene;
  let controller: Controller;
  let root: string;
  let dir: string;

  const write = (file: string, text: string) => writeFileSync(join(dir, file), text);
  /** Asks for a scan now and waits until the loader has done it. */
  const scanNow = async (name = 'defs') => {
    const before = controller.sources?.scans(scene.ns, name) ?? 0;
    await scene.kubectl(['annotate', '--overwrite', 'definitionsources', name, `homeostat.dev/scan-requested-at=${Date.now()}-${Math.random()}`]);
    await eventually(async () => {
      if ((controller.sources?.scans(scene.ns, name) ?? 0) <= before) throw new Error('not scanned yet');
    }, 15_000);
  };

  beforeAll(async () => {
    await installCrds();
    scene = new Scene(await createNamespace('ctl-sources'));
    root = mkdtempSync(join(tmpdir(), 'homeostat-sources-'));
    dir = join(root, 'team-a');
    mkdirSync(dir);
    write('checkers.yaml', CHECKER);
    write('sales.yaml', expectation('sales', '  suspend: true\n'));
    write('etl.json', COMPACT_ETL);
    controller = await scene.start({ sources: { directoryRoots: [root], retryInitialMs: 200 } });
    await scene.apply(source('defs', dir));
  });

  afterAll(async () => {
    await scene?.stopAll();
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });

  it('applies a Dag and an Expectation, as homeostat-loader, labelled with the source, and says so', async () => {
    const status = await scene.until('defs', (s) => {
      expect(conditionsOf(s).Ready).toBe('True/Scanned');
      expect(s.counts).toEqual({ files: 3, objects: 3, problems: 0, suspended: 0 });
    }, 20_000, 'definitionsource');
    expect(conditionsOf(status).Valid).toBe('True/AllFilesValid');
    const dag = JSON.parse((await scene.kubectl(['get', 'dag', 'etl', '-o', 'json', '--show-managed-fields'])).stdout) as Obj;
    expect(dag.metadata.labels?.['homeostat.dev/source']).toBe('defs');
    expect(dag.metadata.annotations?.['homeostat.dev/source-file']).toBe('etl.json');
    expect(dag.metadata.managedFields?.some((f) => f.manager === 'homeostat-loader' && f.operation === 'Apply')).toBe(true);
    expect(dag.spec.tasks).toMatchObject([{ name: 'extract' }, { name: 'load', dependsOn: ['extract'] }]);
    const exp = await scene.get<Obj>('exp', 'sales');
    expect(exp.metadata.labels?.['homeostat.dev/source']).toBe('defs');
    expect((await scene.events('DefinitionSource', 'defs')).join('\n')).toMatch(/Normal Applied: applied 3 objects/);
  });

  it('an unchanged scan writes nothing', async () => {
    const scans = () => controller.sources?.scans(scene.ns, 'defs') ?? 0;
    const generations = async () => (await Promise.all([scene.get<{ metadata: { generation: number } }>('dag', 'etl'), scene.get<{ metadata: { generation: number } }>('exp', 'sales')])).map((o) => o.metadata.generation);
    const before = await generations();
    // Periodic scans, 1 s apart: the spec change is acknowledged once (observedGeneration), then nothing.
    await scene.kubectl(['patch', 'definitionsources', 'defs', '--type', 'merge', '-p', '{"spec":{"interval":"1s"}}']);
    const patched = scans();
    await eventually(async () => {
      if (scans() < patched + 2) throw new Error('fewer than 2 scans');
    }, 20_000);
    const writes = controller.sources?.writes;
    const ds = await scene.get<Obj>('definitionsources', 'defs');
    const settled = scans();
    await eventually(async () => {
      if (scans() < settled + 3) throw new Error('fewer than 3 more scans');
    }, 20_000);
    expect(controller.sources?.writes).toBe(writes);
    expect((await scene.get<Obj>('definitionsources', 'defs')).metadata.resourceVersion).toBe(ds.metadata.resourceVersion);
    expect(await generations()).toEqual(before);
    await scene.kubectl(['patch', 'definitionsources', 'defs', '--type', 'merge', '-p', '{"spec":{"interval":"1h"}}']);
  });

  it('a bad file is reported with its path and field, with an Event; the rest is applied', async () => {
    write('broken.yaml', expectation('broken', "  workingTimeout: 'soon'\n"));
    write('more.yaml', expectation('more', '  suspend: true\n'));
    await scanNow();
    const status = await scene.until('defs', (s) => expect(s.counts).toMatchObject({ files: 5, problems: 1 }), 20_000, 'definitionsource');
    expect(conditionsOf(status).Valid).toBe('False/InvalidFiles');
    expect((status.files as { path: string; problem?: string }[])[0]).toMatchObject({ path: 'broken.yaml', problem: expect.stringContaining('Expectation broken: spec.workingTimeout') });
    await scene.get('exp', 'more');
    await expect(scene.kubectl(['get', 'exp', 'broken'])).rejects.toThrow();
    expect((await scene.events('DefinitionSource', 'defs')).join('\n')).toMatch(/Warning InvalidDefinition: broken.yaml: /);
  });

  it('a removed file suspends its Dag; put back, the Dag resumes', async () => {
    unlinkSync(join(dir, 'etl.json'));
    await scanNow();
    const suspended = JSON.parse((await scene.kubectl(['get', 'dag', 'etl', '-o', 'json', '--show-managed-fields'])).stdout) as Obj;
    expect(suspended.spec.suspend).toBe(true);
    expect(suspended.metadata.annotations?.['homeostat.dev/source-pruned']).toBe('file etl.json is gone');
    expect((await scene.events('DefinitionSource', 'defs')).join('\n')).toMatch(/Normal Suspended: Dag\/etl: file etl.json is gone/);
    // The Dag says why in its status, and `kubectl get dags` shows it suspended.
    const why = await eventually(async () => {
      const condition = ((await scene.get<Obj>('dag', 'etl')).status?.conditions as { type: string }[] | undefined)?.find((c) => c.type === 'Suspended');
      if (condition === undefined) throw new Error('no Suspended condition yet');
      return condition;
    }, 15_000);
    expect(why).toMatchObject({ status: 'True', reason: 'SourceFileRemoved', message: 'suspended by DefinitionSource defs: file etl.json is gone; putting the file back resumes it without re-running what succeeded' });
    expect((await scene.kubectl(['get', 'dags', 'etl', '-o', 'custom-columns=SUSPENDED:.spec.suspend', '--no-headers'])).stdout.trim()).toBe('true');
    // An Expectation its file declares suspended says a person suspended it, not the loader.
    expect(conditionsOf((await scene.get<Obj>('exp', 'sales')).status ?? {}).Suspended).toBe('True/Suspended');
    write('etl.json', COMPACT_ETL);
    await scanNow();
    const resumed = JSON.parse((await scene.kubectl(['get', 'dag', 'etl', '-o', 'json', '--show-managed-fields'])).stdout) as Obj;
    expect(resumed.spec.suspend ?? false).toBe(false);
    expect(resumed.metadata.annotations?.['homeostat.dev/source-pruned']).toBeUndefined();
    await eventually(async () => {
      if (conditionsOf((await scene.get<Obj>('dag', 'etl')).status ?? {}).Suspended !== undefined) throw new Error('still Suspended');
    }, 15_000);
  });

  it('a conflict with a hand edit is reported, not forced', async () => {
    await scene.kubectl(['patch', 'exp', 'more', '--type', 'merge', '-p', '{"spec":{"recheckEvery":"2h"}}']);
    write('more.yaml', expectation('more', '  suspend: true\n  recheckEvery: 3h\n'));
    await scanNow();
    const status = await scene.status('defs', 'definitionsource');
    expect((status.files as { path: string; problem?: string }[]).find((f) => f.path === 'more.yaml')?.problem).toMatch(/Expectation\/more conflicts with a change made by another manager \(not forced\)/);
    expect((await scene.get<Obj>('exp', 'more')).spec.recheckEvery).toBe('2h');
  });

  it('`homeostat sources` lists the sources with their problems; `homeostat sources scan` asks for a scan', async () => {
    let out = '';
    const io = { out: (t: string) => void (out += t), err: (t: string) => void (out += t) };
    const options = { kubeconfig: cluster().kubeconfigPath, namespace: scene.ns };
    expect(await listSources(options, io)).toBe(0);
    const [header, row] = out.split('\n');
    expect(header?.split(/\s{3,}/)).toEqual(['NAME', 'WHERE', 'READY', 'FILES', 'OBJECTS', 'PROBLEMS', 'LAST SCAN', 'AGE']);
    expect(row?.split(/\s{3,}/).slice(0, 6)).toEqual(['defs', dir, 'True', '5', '3', '2']);
    expect(out).toContain('defs: broken.yaml: document 1 (line 1): Expectation broken: spec.workingTimeout');
    const before = controller.sources?.scans(scene.ns, 'defs') ?? 0;
    out = '';
    expect(await cliScanNow('defs', options, io)).toBe(0);
    expect(out).toMatch(/^definitionsource.homeostat.dev\/defs scan requested/);
    await eventually(async () => {
      if ((controller.sources?.scans(scene.ns, 'defs') ?? 0) <= before) throw new Error('not scanned yet');
    }, 15_000);
  });

  describe('what a source may read', () => {
    it('a directory outside the allowed roots is refused: Ready=False, nothing read', async () => {
      await scene.apply(source('sneaky', '/etc'));
      const status = await scene.until('sneaky', (s) => expect(conditionsOf(s).Ready).toBe('False/DirectoryNotAllowed'), 20_000, 'definitionsource');
      expect(status.counts).toBeUndefined();
    });

    it('a directory that does not exist is unreachable: Ready=False, and nothing is suspended', async () => {
      const gone = join(root, 'gone');
      await scene.apply(source('missing', gone));
      await scene.until('missing', (s) => expect(conditionsOf(s).Ready).toBe('False/DirectoryUnreadable'), 20_000, 'definitionsource');
      expect((await scene.get<Obj>('exp', 'sales')).spec.suspend).toBe(true); // as its file says, not pruned
    });
  });
});
