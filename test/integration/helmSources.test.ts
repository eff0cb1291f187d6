// Definition sources as the chart installs them (issue 11), on a real API server that authorizes
// with RBAC: `helm install` with sources.enabled and a ConfigMap-backed directory root renders a
// Deployment that mounts the ConfigMap read-only and passes --definition-sources and
// --source-directory-root; the controller, run with the chart's RBAC as its ServiceAccount (a token
// the API server issued), loads a DefinitionSource reading that directory: it applies a Dag and an
// Expectation, writes the source's status and Events, and deletes an object whose file is gone,
// never refused. Secrets stay out of its reach unless sources.credentialsFromSecrets, and then only
// `get`. No kubelet: the ConfigMap's files are written to a local directory standing in for the mount.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cluster, createNamespace, describeIntegration, eventually, installCrds, must } from './harness/cluster.js';
import { CHART, findHelm, Helm } from './harness/helm.js';
import { clientsOf } from './harness/serviceAccountClients.js';
import { CHECKER, COMPACT_ETL, conditionsOf, expectation, Scene } from './controllerFixtures.js';

const helmPath = findHelm();
const describeHelm = helmPath === undefined ? describe.skip : describeIntegration;

/** Where the chart mounts the ConfigMap in the controller container. */
const MOUNT = '/sources/team';

/** The files of the ConfigMap team-dags, by key. */
const FILES: Record<string, string> = {
  'checkers.yaml': CHECKER,
  'sales.yaml': expectation('sales', '  suspend: true\n'),
  'etl.json': COMPACT_ETL,
};

/**
 * What the kubelet does with a ConfigMap volume (its atomic writer): the keys as files of a
 * timestamped directory, `..data` a link to it swapped in one rename, and each key a link into
 * `..data`; a key gone from the ConfigMap loses its link.
 */
function project(data: Record<string, string>, dir: string): void {
  const version = `..${new Date().toISOString().replace(/[-:.]/g, '_')}${Math.random().toString(36).slice(2, 6)}`;
  mkdirSync(join(dir, version));
  for (const [key, text] of Object.entries(data)) writeFileSync(join(dir, version, key), text);
  const previous = readdirSync(dir).filter((name) => name.startsWith('..') && name !== '..data' && name !== version);
  symlinkSync(version, join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  for (const name of readdirSync(dir).filter((n) => !n.startsWith('.'))) if (!(name in data)) unlinkSync(join(dir, name));
  for (const key of Object.keys(data)) if (!readdirSync(dir).includes(key)) symlinkSync(join('..data', key), join(dir, key));
  for (const name of previous) rmSync(join(dir, name), { recursive: true, force: true });
}

/** The ConfigMap's data, as the API server has it. */
async function configMapData(name: string, namespace: string): Promise<Record<string, string>> {
  return (JSON.parse((await must(cluster().kubectl(['get', 'configmap', name, '-n', namespace, '-o', 'json']))).stdout) as { data: Record<string, string> }).data;
}

interface Deployment {
  spec: {
    template: {
      spec: {
        containers: { name: string; args: string[]; volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[] }[];
        volumes?: ({ name: string } & Record<string, unknown>)[];
      };
    };
  };
}

describeHelm('helm: definition sources (sources.enabled, a ConfigMap directory root), loaded as the chart\'s ServiceAccount', () => {
  const release = `hs-${Math.random().toString(36).slice(2, 8)}`;
  const serviceAccount = `${release}-homeostat-controller`;
  let home: string;
  let team: Scene;
  let runner: Helm;
  let temp: string;
  /** The local directory standing in for the ConfigMap's mount. */
  let root: string;
  const canI = async (verb: string, resource: string, namespace: string, ...more: string[]) =>
    (await cluster().kubectl(['auth', 'can-i', verb, resource, '-n', namespace, '--as', `system:serviceaccount:${home}:${serviceAccount}`, ...more])).stdout.trim();

  beforeAll(async () => {
    await installCrds();
    runner = new Helm(helmPath as string, cluster().kubeconfigPath);
    home = await createNamespace('helm-src');
    team = new Scene(await createNamespace('helm-src-team'));
    temp = mkdtempSync(join(tmpdir(), 'homeostat-helm-sources-'));
    root = join(temp, 'team');
    mkdirSync(root);
    await must(cluster().kubectl(['create', 'configmap', 'team-dags', '-n', home, ...Object.entries(FILES).map(([key, text]) => `--from-literal=${key}=${text}`)]));
    const values = join(temp, 'values.yaml');
    writeFileSync(
      values,
      `crds: {install: false}
watchNamespaces: [${team.ns}]
sources:
  enabled: true
  directoryRoots:
    - {name: team, mountPath: ${MOUNT}, volume: {configMap: {name: team-dags}}}
`,
    );
    await runner.run(['install', release, CHART, '-n', home, '-f', values]);
  });

  afterAll(async () => {
    await team?.stopAll();
    runner?.remove();
    if (temp !== undefined) rmSync(temp, { recursive: true, force: true });
  });

  it('the Deployment mounts the ConfigMap read-only at the root and passes it as --source-directory-root', async () => {
    const deployment = JSON.parse((await must(cluster().kubectl(['get', 'deployment', serviceAccount, '-n', home, '-o', 'json']))).stdout) as Deployment;
    const pod = deployment.spec.template.spec;
    const controller = pod.containers.find((c) => c.name === 'controller');
    expect(controller?.args).toEqual(expect.arrayContaining(['--definition-sources=true', `--source-directory-root=${MOUNT}`]));
    expect(controller?.volumeMounts).toContainEqual({ name: 'source-team', mountPath: MOUNT, readOnly: true });
    expect(pod.volumes).toContainEqual({ name: 'source-team', configMap: { name: 'team-dags', defaultMode: 420 } });
  });

  it('as the ServiceAccount, a DefinitionSource reading the directory applies a Dag and an Expectation, and deletes what is gone; never refused', async () => {
    // The kubelet's part: the ConfigMap's keys as the files of the mounted directory.
    project(await configMapData('team-dags', home), root);
    const asController = await clientsOf(serviceAccount, home);
    const controller = await team.start({ clients: asController, sources: { directoryRoots: [root], retryInitialMs: 200 } });
    await team.apply(`apiVersion: homeostat.dev/v1alpha1
kind: DefinitionSource
metadata: {name: team}
spec:
  directory: {path: ${root}}
  interval: 1h
  prune: Delete
`);
    const status = await team.until('team', (s) => {
      expect(conditionsOf(s).Ready).toBe('True/Scanned');
      expect(s.counts).toEqual({ files: 3, objects: 3, problems: 0, suspended: 0 });
    }, 30_000, 'definitionsource');
    expect(conditionsOf(status).Valid).toBe('True/AllFilesValid');
    const dag = await team.get<{ metadata: { labels?: Record<string, string> }; spec: { tasks: unknown[] } }>('dag', 'etl');
    expect(dag.metadata.labels?.['homeostat.dev/source']).toBe('team');
    expect(dag.spec.tasks).toMatchObject([{ name: 'extract' }, { name: 'load', dependsOn: ['extract'] }]);
    await team.get('exp', 'sales');
    expect((await team.events('DefinitionSource', 'team')).join('\n')).toMatch(/Normal Applied: applied 3 objects/);

    // A key removed from the ConfigMap: its file goes, and prune: Delete needs the delete verb.
    await must(cluster().kubectl(['patch', 'configmap', 'team-dags', '-n', home, '--type', 'json', '-p', '[{"op":"remove","path":"/data/sales.yaml"}]']));
    project(await configMapData('team-dags', home), root);
    const before = controller.sources?.scans(team.ns, 'team') ?? 0;
    await team.kubectl(['annotate', '--overwrite', 'definitionsources', 'team', `homeostat.dev/scan-requested-at=${Date.now()}`]);
    await eventually(async () => {
      if ((controller.sources?.scans(team.ns, 'team') ?? 0) <= before) throw new Error('not scanned yet');
    }, 15_000);
    await eventually(async () => {
      const got = await cluster().kubectl(['get', 'exp', 'sales', '-n', team.ns]);
      if (got.code === 0) throw new Error('Expectation sales still there');
    }, 15_000);
    expect((await team.events('DefinitionSource', 'team')).join('\n')).toMatch(/Normal Deleted: Expectation\/sales: file sales.yaml is gone/);
    expect(readFileSync(team.logFile, 'utf8')).not.toMatch(/HTTP 403|Forbidden|forbidden/);
  });

  it('Secrets: no right without sources.credentialsFromSecrets; with it, get only (no list, no watch)', async () => {
    expect(await canI('patch', 'definitionsources.homeostat.dev', team.ns, '--subresource=status')).toBe('yes');
    expect(await canI('get', 'secrets', team.ns)).toBe('no');
    await runner.run(['upgrade', release, CHART, '-n', home, '--reuse-values', '--set', 'sources.credentialsFromSecrets=true']);
    expect(await canI('get', 'secrets', team.ns)).toBe('yes');
    expect(await canI('list', 'secrets', team.ns)).toBe('no');
    expect(await canI('watch', 'secrets', team.ns)).toBe('no');
    // Only in the watched namespaces: not the controller's own, nor any other.
    expect(await canI('get', 'secrets', home)).toBe('no');
    expect(await canI('get', 'secrets', 'default')).toBe('no');
  });
});
