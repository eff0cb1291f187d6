// The controller with exactly the permissions of manifests/rbac.yaml (the API server authorizes
// with RBAC): the ServiceAccount's token, a whole scenario, and not one request forbidden.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { fromConfig } from '../../src/kube/client.js';
import { cluster, createNamespace, describeIntegration, installCrds, must } from './harness/cluster.js';
import { REPO_ROOT } from './harness/controlPlane.js';
import { CHECKER, conditionsOf, expectation, Scene } from './controllerFixtures.js';

describeIntegration('controller: least privilege (manifests/rbac.yaml)', () => {
  let scene: Scene;

  beforeAll(async () => {
    await installCrds();
    const manifests = join(REPO_ROOT, 'manifests');
    await must(cluster().kubectl(['apply', '-f', join(manifests, 'namespace.yaml'), '-f', join(manifests, 'rbac.yaml')]));
    const token = (await must(cluster().kubectl(['create', 'token', 'homeostat-controller', '-n', 'homeostat-system', '--duration=1h']))).stdout.trim();
    const admin = cluster().kubeConfig;
    const config = new KubeConfig();
    config.loadFromOptions({
      clusters: admin.clusters,
      users: [{ name: 'controller', token }],
      contexts: [{ name: 'controller', cluster: admin.getCurrentCluster()?.name ?? '', user: 'controller' }],
      currentContext: 'controller',
    });
    scene = new Scene(await createNamespace('ctl-rbac'));
    await scene.kubectl(['create', 'configmap', 'days', '--from-literal=list=d1']);
    await scene.apply(CHECKER);
    await scene.start({ clients: fromConfig(config) });
  });

  afterAll(async () => {
    await scene?.stopAll();
  });

  it('reads, launches, writes status and Events as the ServiceAccount, and is never refused', async () => {
    await scene.apply(expectation('report', '  partitions: {day: {valuesFrom: {configMap: days, key: list}}}\n') + '---\n' + expectation('broken', '  workingTimeout: P\n'));
    await scene.answerChecks(() => 'unsatisfied');
    const [job] = await scene.runningActions(1);
    await scene.until('report', (s) => expect(s.phase).toBe('WorkingOnIt'));
    await scene.finishAction(job as never, true);
    await scene.answerChecks(() => 'satisfied');
    await scene.until('report', (s) => expect(s).toMatchObject({ phase: 'Satisfied', satisfied: '1/1' }));
    await scene.until('broken', (s) => expect(conditionsOf(s).Valid).toBe('False/InvalidSpec'));
    expect((await scene.events('Expectation', 'report')).length).toBeGreaterThan(0);

    const log = readFileSync(scene.logFile, 'utf8');
    expect(log).not.toMatch(/HTTP 403|Forbidden|forbidden/);
  });
});
