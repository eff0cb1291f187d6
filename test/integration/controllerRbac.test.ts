// The controller with exactly the permissions of manifests/rbac.yaml (the API server authorizes
// with RBAC): the ServiceAccount's token, a whole scenario, and not one request forbidden.
// manifests/rbac.yaml is the Helm chart's rendering for release homeostat in homeostat-system
// (charts/homeostat, `make generate`; test/api/generated.test.ts fails when it is out of date), so
// this proves the chart's RBAC; helm.test.ts checks a `helm install` grants the same rules. As in
// the Deployment, it acts only once it holds the leader election Lease (homeostat-system/
// homeostat-controller, granted by the Role there), and releases it at the end.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { fromConfig, type KubeClients, statusOf } from '../../src/kube/client.js';
import type { Controller } from '../../src/kube/controller.js';
import { kubeLeaseApi, LeaderElector } from '../../src/kube/leaderElection.js';
import { fenceWrites } from '../../src/kube/leaderFence.js';
import { createLogger } from '../../src/runtime/log.js';
import { cluster, createNamespace, describeIntegration, eventually, installCrds, must } from './harness/cluster.js';
import { REPO_ROOT } from './harness/controlPlane.js';
import { CHECKER, conditionsOf, expectation, Scene } from './controllerFixtures.js';

describeIntegration('controller: least privilege (manifests/rbac.yaml, rendered from charts/homeostat)', () => {
  let scene: Scene;
  let asController: KubeClients;
  let elector: LeaderElector;
  let controller: Promise<Controller> | undefined;

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
    asController = fromConfig(config);
    elector = new LeaderElector({
      api: kubeLeaseApi(asController.coordination),
      namespace: 'homeostat-system',
      name: 'homeostat-controller',
      identity: 'rbac-test',
      timings: { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 500 },
      log: createLogger({ level: 'debug', destination: scene.logFile, name: 'leader-election' }),
      onStartedLeading: () => void (controller = scene.start({ clients: fenceWrites(asController, () => elector.isLeader()) })),
    });
    void elector.run();
    await eventually(async () => expect(controller).toBeDefined(), 15_000);
    await controller;
  });

  afterAll(async () => {
    await scene?.stopAll();
    await elector?.stop();
  });

  it('holds, renews and releases its Lease with the Role, and may touch no other Lease', async () => {
    const read = () => scene.clients.coordination.readNamespacedLease({ name: 'homeostat-controller', namespace: 'homeostat-system' });
    const held = await read();
    expect(held.spec?.holderIdentity).toBe('rbac-test');
    await eventually(async () => expect(String((await read()).spec?.renewTime)).not.toBe(String(held.spec?.renewTime)), 5_000);
    const other = await asController.coordination.readNamespacedLease({ name: 'someone-else', namespace: 'homeostat-system' }).catch((error: unknown) => statusOf(error));
    expect(other).toBe(403);
    const elsewhere = await asController.coordination.readNamespacedLease({ name: 'homeostat-controller', namespace: scene.ns }).catch((error: unknown) => statusOf(error));
    expect(elsewhere).toBe(403);
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

  it('releases the Lease on stop (update is granted)', async () => {
    await scene.stopAll();
    await elector.stop();
    const lease = await scene.clients.coordination.readNamespacedLease({ name: 'homeostat-controller', namespace: 'homeostat-system' });
    expect(lease.spec?.holderIdentity).toBeUndefined();
    expect(lease.spec?.leaseDurationSeconds).toBe(1);
    expect(readFileSync(scene.logFile, 'utf8')).not.toMatch(/HTTP 403|Forbidden|forbidden|releasing the Lease failed/);
  });
});
