// The graph of `homeostat controller --definition-sources` against a real API server: the
// DefinitionSource is a node of /api/v1/graph, scanned (Satisfied) or not, with an edge to each
// object it loaded (their label homeostat.dev/source names it), from the controller's own watch.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runController } from '../../src/cli/controller.js';
import type { Graph } from '../../src/view/graph.js';
import { CHECKER, expectation, Scene } from './controllerFixtures.js';
import { cluster, createNamespace, describeIntegration, eventually, installCrds } from './harness/cluster.js';

describeIntegration('the read API graph shows DefinitionSources and what they loaded', () => {
  let scene: Scene;
  let root: string;
  let url: string;
  let interrupt = () => undefined as void;
  let exit: Promise<number> | undefined;

  beforeAll(async () => {
    await installCrds();
    scene = new Scene(await createNamespace('read-sources'));
    root = mkdtempSync(join(tmpdir(), 'homeostat-read-sources-'));
    mkdirSync(join(root, 'team-a'));
    writeFileSync(join(root, 'team-a', 'checkers.yaml'), CHECKER);
    writeFileSync(join(root, 'team-a', 'sales.yaml'), expectation('sales', '  suspend: true\n'));
    const interrupted = new Promise<void>((resolve) => (interrupt = resolve));
    let serving = (_url: string) => undefined as void;
    const served = new Promise<string>((resolve) => (serving = resolve));
    exit = runController(
      { kubeconfig: cluster().kubeconfigPath, namespace: [scene.ns], metricsAddr: '127.0.0.1:0', logLevel: 'silent', interrupted, uiAuth: 'none', definitionSources: true, sourceDirectoryRoot: [root], onServing: (server) => serving(server.url) },
      { out: () => undefined, err: () => undefined },
    );
    url = await served;
    await scene.apply(`apiVersion: homeostat.dev/v1alpha1
kind: DefinitionSource
metadata: {name: defs}
spec: {directory: {path: ${join(root, 'team-a')}}, interval: 1h}
`);
  }, 120_000);

  afterAll(async () => {
    interrupt();
    await exit;
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });

  it('a scanned source is Satisfied, with an edge to the StateChecker and the Expectation it applied', async () => {
    await eventually(async () => {
      const graph = (await (await fetch(`${url}/api/v1/graph?namespace=${scene.ns}`)).json()) as Graph;
      expect(graph.nodes.find((n) => n.kind === 'DefinitionSource')).toMatchObject({ id: `DefinitionSource/${scene.ns}/defs`, phase: 'Satisfied', reason: 'Scanned', counts: { files: 2, objects: 2 } });
      expect(graph.edges.filter((e) => e.kind === 'source').map((e) => `${e.from} -> ${e.to}`).sort()).toEqual([
        `DefinitionSource/${scene.ns}/defs -> Expectation/${scene.ns}/sales`,
        `DefinitionSource/${scene.ns}/defs -> StateChecker/${scene.ns}/files`,
      ]);
    }, 30_000);
  });
});
