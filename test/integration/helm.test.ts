// The chart on a real API server: `helm install` renders and creates what manifests/ describes (CRDs
// adopted from kubectl, RBAC identical to manifests/rbac.yaml, the Deployment), `helm upgrade`
// upgrades the CRDs (which Helm never does for a chart's crds/ dir, hence CRDs as templates), and
// `helm uninstall` removes everything but the CRDs (crds.keep). No kubelet: Pods never run, so
// nothing waits for the Deployment.
//
// The CRDs are cluster-wide and shared with every other test file (installCrds, in parallel
// workers): this file adopts them into its release, only ever ADDS an optional field to one of them
// (in a temp copy of the chart, never in src/api/schema), and never deletes them.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { cluster, createNamespace, CRD_DIR, describeIntegration, eventually, installCrds, must } from './harness/cluster.js';
import { REPO_ROOT } from './harness/controlPlane.js';
import { CHART, findHelm, Helm } from './harness/helm.js';

const helmPath = findHelm();
const describeHelm = helmPath === undefined ? describe.skip : describeIntegration;

interface Crd {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { versions: { name: string; schema: { openAPIV3Schema: Record<string, unknown> } }[] };
}
const crdFiles = (dir: string): Crd[] => execFileSync('ls', [dir], { encoding: 'utf8' }).split('\n').filter((f) => f.endsWith('.yaml')).map((f) => parse(readFileSync(join(dir, f), 'utf8')) as Crd);
const CRDS = crdFiles(CRD_DIR);
const CRD_NAMES = CRDS.map((c) => c.metadata.name);
const UPGRADED_CRD = 'dagdependencies.homeostat.dev';
const NEW_FIELD = 'helmUpgradeProbe';

describeHelm('helm: the chart on a real API server', () => {
  const release = `hs-${Math.random().toString(36).slice(2, 8)}`;
  const fullname = `${release}-homeostat`;
  const controller = `${fullname}-controller`;
  let ns: string;
  let watched: string;
  let runner: Helm;
  const helm = (args: string[]) => runner.run(args);
  const getJson = async (args: string[]) => JSON.parse((await must(cluster().kubectl(['get', ...args, '-o', 'json']))).stdout) as Record<string, unknown> & Crd;
  const absent = async (args: string[]) => {
    const got = await cluster().kubectl(['get', ...args]);
    expect({ args, code: got.code, notFound: /NotFound|not found/.test(got.stderr) }).toEqual({ args, code: 1, notFound: true });
  };
  const canI = async (verb: string, resource: string, namespace: string, ...more: string[]) =>
    (await cluster().kubectl(['auth', 'can-i', verb, resource, '-n', namespace, '--as', `system:serviceaccount:${ns}:${controller}`, ...more])).stdout.trim();

  beforeAll(async () => {
    runner = new Helm(helmPath as string, cluster().kubeconfigPath);
    ns = await createNamespace('helm');
    watched = await createNamespace('helm-watched');
    // Other files install the CRDs with kubectl. Helm installs only what it owns, so the CRDs are
    // adopted the documented way: Helm's ownership label and annotations.
    await installCrds();
    await must(cluster().kubectl(['label', 'crd', ...CRD_NAMES, 'app.kubernetes.io/managed-by=Helm', '--overwrite']));
    await must(cluster().kubectl(['annotate', 'crd', ...CRD_NAMES, `meta.helm.sh/release-name=${release}`, `meta.helm.sh/release-namespace=${ns}`, '--overwrite']));
  });

  afterAll(() => runner?.remove());

  it('installs: the CRDs (schema as in crds/, kept on uninstall), the Deployment, Service and ServiceAccount as rendered', async () => {
    const out = await helm(['install', release, CHART, '-n', ns]);
    expect(out).toMatch(/STATUS: deployed/);
    for (const file of CRDS) {
      const live = await getJson(['crd', file.metadata.name]);
      expect(live.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
      expect(live.metadata.labels?.['app.kubernetes.io/part-of']).toBe('homeostat');
      expect(live.spec.versions.map((v) => v.schema.openAPIV3Schema)).toEqual(file.spec.versions.map((v) => v.schema.openAPIV3Schema));
    }
    const deployment = (await getJson(['deployment', controller, '-n', ns])) as unknown as {
      spec: { replicas: number; template: { spec: { serviceAccountName: string; securityContext: Record<string, unknown>; containers: { image: string; args: string[] }[] } } };
    };
    expect(deployment.spec.replicas).toBe(2);
    const pod = deployment.spec.template.spec;
    expect(pod.serviceAccountName).toBe(controller);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.containers[0]?.image).toBe('ghcr.io/homeostat/homeostat:0.1.0');
    expect(pod.containers[0]?.args).toEqual(expect.arrayContaining(['--leader-elect=true', `--leader-election-id=${controller}`, `--leader-election-namespace=${ns}`, `--advertise-url=https://${controller}.${ns}.svc:8080`]));
    await must(cluster().kubectl(['get', 'serviceaccount', controller, '-n', ns]));
    await must(cluster().kubectl(['get', 'service', controller, '-n', ns]));
  });

  it('grants exactly the rules of manifests/rbac.yaml, under release-aware names', async () => {
    const reference = Object.fromEntries(
      parseAllDocuments(readFileSync(join(REPO_ROOT, 'manifests/rbac.yaml'), 'utf8'))
        .map((d) => d.toJS() as { kind: string; metadata: { name: string }; rules?: unknown[] })
        // Release homeostat's names, e.g. the Lease homeostat-controller, are this release's <fullname>-...
        .map((o) => [`${o.kind}/${o.metadata.name.replace(/^homeostat/, fullname)}`, JSON.parse(JSON.stringify(o.rules ?? null).replaceAll('"homeostat-', `"${fullname}-`)) as unknown]),
    );
    const rulesOf = async (kind: string, name: string, namespace?: string) =>
      ((await getJson([kind.toLowerCase(), name, ...(namespace ? ['-n', namespace] : [])])) as { rules?: unknown[] }).rules;
    expect(await rulesOf('ClusterRole', controller)).toEqual(reference[`ClusterRole/${controller}`]);
    expect(await rulesOf('Role', `${fullname}-leader-election`, ns)).toEqual(reference[`Role/${fullname}-leader-election`]);
    expect(await rulesOf('ClusterRole', `${fullname}-observation-writer`)).toEqual(reference[`ClusterRole/${fullname}-observation-writer`]);
    await must(cluster().kubectl(['get', 'clusterrolebinding', controller, `${controller}-auth-delegator`]));
    // The API server's own verdict for the ServiceAccount.
    expect(await canI('create', 'jobs.batch', watched)).toBe('yes');
    expect(await canI('update', 'expectations.homeostat.dev', watched, '--subresource=status')).toBe('yes');
    expect(await canI('create', 'leases.coordination.k8s.io', ns)).toBe('yes');
    expect(await canI('create', 'leases.coordination.k8s.io', watched)).toBe('no');
    expect(await canI('delete', 'pods', watched)).toBe('no');
    expect(await canI('get', 'secrets', ns)).toBe('no');
  });

  it('watchNamespaces: [a, b] grants the controller rules in those namespaces only, nothing cluster-wide', async () => {
    const other = `${release}-two`;
    const second = await createNamespace('helm-watched-2');
    await helm(['install', other, CHART, '-n', ns, '--set', 'crds.install=false', '--set', `watchNamespaces={${watched},${second}}`]);
    const sa = `system:serviceaccount:${ns}:${other}-homeostat-controller`;
    const can = async (verb: string, resource: string, namespace: string, ...more: string[]) => (await cluster().kubectl(['auth', 'can-i', verb, resource, '-n', namespace, '--as', sa, ...more])).stdout.trim();
    expect(await can('create', 'jobs.batch', watched)).toBe('yes');
    expect(await can('create', 'jobs.batch', second)).toBe('yes');
    expect(await can('update', 'dags.homeostat.dev', second, '--subresource=status')).toBe('yes');
    expect(await can('create', 'jobs.batch', ns)).toBe('no');
    expect(await can('list', 'expectations.homeostat.dev', 'default')).toBe('no');
    await absent(['clusterrole', `${other}-homeostat-controller`]);
    const deployment = JSON.stringify(await getJson(['deployment', `${other}-homeostat-controller`, '-n', ns]));
    expect(deployment).toContain(`--namespace=${watched},${second}`);
    await helm(['uninstall', other, '-n', ns]);
    await absent(['role', `${other}-homeostat-controller`, '-n', watched]);
    await absent(['role', `${other}-homeostat-controller`, '-n', second]);
  });

  it('upgrades the CRDs with the release: a field added to a CRD in the chart reaches the API server', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'homeostat-chart-'));
    try {
      cpSync(CHART, copy, { recursive: true });
      const file = join(copy, 'files/crds', `homeostat.dev_${UPGRADED_CRD.split('.')[0]}.yaml`);
      const crd = parse(readFileSync(file, 'utf8')) as Crd;
      const spec = (crd.spec.versions[0]?.schema.openAPIV3Schema.properties as Record<string, { properties: Record<string, unknown> }>).spec;
      (spec as { properties: Record<string, unknown> }).properties[NEW_FIELD] = {
        type: 'string',
        maxLength: 16,
        description: 'Added by test/integration/helm.test.ts to prove that helm upgrade upgrades the CRDs. Unused.',
      };
      writeFileSync(file, stringify(crd, { lineWidth: 0 }));
      // Another file's installCrds may update the same CRD at the same moment: retry a conflict.
      await eventually(() => helm(['upgrade', release, copy, '-n', ns]), 20_000);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
    const live = await getJson(['crd', UPGRADED_CRD]);
    const props = (live.spec.versions[0]?.schema.openAPIV3Schema.properties as Record<string, { properties: Record<string, unknown> }>).spec?.properties;
    expect(props?.[NEW_FIELD]).toMatchObject({ type: 'string' });
    expect(await helm(['history', release, '-n', ns, '-o', 'json'])).toMatch(/"revision":2,[^}]*"status":"deployed"/);
  });

  it('uninstalls everything but the CRDs (crds.keep), which still serve', async () => {
    const out = await helm(['uninstall', release, '-n', ns]);
    expect(out).toMatch(/kept due to the resource policy/);
    for (const name of CRD_NAMES) await must(cluster().kubectl(['get', 'crd', name]));
    await must(cluster().kubectl(['get', 'expectations', '-A']));
    await eventually(async () => {
      await absent(['deployment', controller, '-n', ns]);
      await absent(['service', controller, '-n', ns]);
      await absent(['serviceaccount', controller, '-n', ns]);
      await absent(['role', `${fullname}-leader-election`, '-n', ns]);
      await absent(['clusterrole', controller]);
      await absent(['clusterrolebinding', controller]);
      await absent(['clusterrolebinding', `${controller}-auth-delegator`]);
      await absent(['clusterrole', `${fullname}-observation-writer`]);
    }, 15_000);
  });
});
