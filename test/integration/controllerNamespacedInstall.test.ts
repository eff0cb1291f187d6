// A namespaced install (issue 10 item 9), against a real API server that authorizes with RBAC: the
// chart rendered with watchNamespaces [a, b] (helm template), its RBAC applied, and the controller
// run with the ServiceAccount's token. It reconciles in a and b, is refused everywhere else, and
// holds no cluster-wide right but the two the observation endpoint needs (TokenReview and
// SubjectAccessReview create, through system:auth-delegator), as `kubectl auth can-i --list` says.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type KubeClients, statusOf } from '../../src/kube/client.js';
import { cluster, createNamespace, describeIntegration, installCrds, must } from './harness/cluster.js';
import { CHART, findHelm, Helm } from './harness/helm.js';
import { clientsOf } from './harness/serviceAccountClients.js';
import { CHECKER, expectation, Scene } from './controllerFixtures.js';

const helmPath = findHelm();
const describeHelm = helmPath === undefined ? describe.skip : describeIntegration;

/** `kubectl auth can-i --list` as a user in a namespace: the rows (resource, verbs), without the header. */
async function rulesOf(user: string, namespace: string): Promise<string[]> {
  const out = (await must(cluster().kubectl(['auth', 'can-i', '--list', '-n', namespace, '--as', user]))).stdout;
  return out
    .split('\n')
    .slice(1)
    .map((line) => line.trim().replace(/\s+/g, ' '))
    .filter((line) => line !== '')
    .sort();
}

describeHelm('controller: a namespaced install (watchNamespaces [a, b]) needs and holds Roles in a and b only', () => {
  const release = `hs-${Math.random().toString(36).slice(2, 8)}`;
  const serviceAccount = `${release}-homeostat-controller`;
  let home: string;
  let a: Scene;
  let b: Scene;
  let outside: Scene;
  let asController: KubeClients;
  let runner: Helm;

  beforeAll(async () => {
    await installCrds();
    runner = new Helm(helmPath as string, cluster().kubeconfigPath);
    home = await createNamespace('ns-install');
    [a, b, outside] = await Promise.all([createNamespace('ns-inst-a'), createNamespace('ns-inst-b'), createNamespace('ns-inst-out')]).then((names) => names.map((ns) => new Scene(ns)));
    // What `helm install` would create for the controller's identity: its ServiceAccount and RBAC.
    const rendered = await runner.run(['template', release, CHART, '-n', home, '--set', 'crds.install=false', '--set', `watchNamespaces={${a.ns},${b.ns}}`, '--show-only', 'templates/serviceaccount.yaml', '--show-only', 'templates/rbac.yaml']);
    // Cluster-wide: only the binding to system:auth-delegator, and the observation writers' role (for users, bound to nobody here).
    const clusterWide = rendered
      .split(/^---$/m)
      .map((doc) => ({ kind: /^kind: (\S+)$/m.exec(doc)?.[1], name: /^ {2}name: (\S+)$/m.exec(doc)?.[1] }))
      .filter((d) => d.kind?.startsWith('Cluster') === true);
    expect(clusterWide).toEqual([
      { kind: 'ClusterRole', name: `${release}-homeostat-observation-writer` },
      { kind: 'ClusterRoleBinding', name: `${serviceAccount}-auth-delegator` },
    ]);
    await must(cluster().kubectl(['apply', '-f', '-'], { input: rendered }));
    asController = await clientsOf(serviceAccount, home);
    await a.kubectl(['create', 'configmap', 'days', '--from-literal=list=d1']);
    await a.start({ clients: asController, namespaces: [a.ns, b.ns] });
  });

  afterAll(async () => {
    await a?.stopAll();
    runner?.remove();
  });

  it('reconciles an Expectation in a and in b to Satisfied as the ServiceAccount, never refused', async () => {
    await a.apply(CHECKER + '---\n' + expectation('report', '  partitions: {day: {valuesFrom: {configMap: days, key: list}}}\n'));
    await b.apply(CHECKER + '---\n' + expectation('report'));
    await outside.apply(CHECKER + '---\n' + expectation('report'));
    for (const scene of [a, b]) {
      await scene.answerChecks(() => 'unsatisfied');
      const [job] = await scene.runningActions(1);
      await scene.finishAction(job as never, true);
      await scene.answerChecks(() => 'satisfied');
      await scene.until('report', (s) => expect(s).toMatchObject({ phase: 'Satisfied', satisfied: '1/1' }));
    }
    expect((await a.events('Expectation', 'report')).length).toBeGreaterThan(0);
    expect(readFileSync(a.logFile, 'utf8')).not.toMatch(/HTTP 403|Forbidden|forbidden/);
    // The namespace it does not watch was never part of its World.
    expect((await outside.get('expectations', 'report')).status).toBeUndefined();
    expect(await outside.jobs('action')).toEqual([]);
  });

  it('is refused outside a and b, and for anything cluster-wide', async () => {
    const refused = (call: Promise<unknown>) => call.then(() => 'allowed', (error: unknown) => statusOf(error));
    expect(await refused(asController.custom.listNamespacedCustomObject({ group: 'homeostat.dev', version: 'v1alpha1', plural: 'expectations', namespace: outside.ns }))).toBe(403);
    expect(await refused(asController.custom.listClusterCustomObject({ group: 'homeostat.dev', version: 'v1alpha1', plural: 'expectations' }))).toBe(403);
    expect(await refused(asController.batch.listJobForAllNamespaces({}))).toBe(403);
    expect(await refused(asController.batch.createNamespacedJob({ namespace: outside.ns, body: { metadata: { name: 'x' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'x', image: 'x' }] } } } } }))).toBe(403);
    expect(await refused(asController.core.readNamespacedConfigMap({ name: 'kube-root-ca.crt', namespace: outside.ns }))).toBe(403);
    expect(await refused(asController.core.listNamespace())).toBe(403);
    expect(await refused(asController.core.readNamespacedSecret({ name: 'x', namespace: a.ns }))).toBe(403);
  });

  it('holds no cluster right beyond TokenReview and SubjectAccessReview create (kubectl auth can-i --list)', async () => {
    // A ServiceAccount with no binding of its own: what every authenticated identity may do (discovery, self-reviews).
    await must(cluster().kubectl(['create', 'serviceaccount', 'nobody', '-n', home]));
    const baseline = await rulesOf(`system:serviceaccount:${home}:nobody`, outside.ns);
    const controller = await rulesOf(`system:serviceaccount:${home}:${serviceAccount}`, outside.ns);
    expect(controller.filter((row) => !baseline.includes(row))).toEqual(['subjectaccessreviews.authorization.k8s.io [] [] [create]', 'tokenreviews.authentication.k8s.io [] [] [create]']);
    // In a watched namespace, the Role's rules come on top.
    const inA = await rulesOf(`system:serviceaccount:${home}:${serviceAccount}`, a.ns);
    expect(inA).toEqual(expect.arrayContaining(['jobs.batch [] [] [get list watch create delete patch]', 'configmaps [] [] [get]']));
  });
});
