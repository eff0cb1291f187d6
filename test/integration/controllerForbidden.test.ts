// A permanent API error, as a cluster user sees it: the controller's ServiceAccount may do
// everything but create Jobs (a Role without that verb; the API server really answers 403).
// The Expectation says so (Degraded=True, reason Forbidden, with the verb and the resource) and
// gets one Event; the controller backs off for minutes instead of retrying every second and
// keeps its log short. Once the verb is granted, the action Job is created and Degraded clears.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { type BatchV1Api, KubeConfig } from '@kubernetes/client-node';
import { fromConfig, type KubeClients } from '../../src/kube/client.js';
import type { Controller } from '../../src/kube/controller.js';
import { cluster, createNamespace, describeIntegration, eventually, installCrds } from './harness/cluster.js';
import { conditionsOf, Scene } from './controllerFixtures.js';

/** What the controller needs in one namespace (manifests/rbac.yaml), with `jobs` verbs given apart. */
const role = (ns: string, jobVerbs: string[]) => `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: limited, namespace: ${ns}}
rules:
  - {apiGroups: [homeostat.dev], resources: [statecheckers, expectations, dags, dagruns, dagdependencies], verbs: [get, list, watch]}
  - {apiGroups: [homeostat.dev], resources: [statecheckers/status, expectations/status, dags/status, dagruns/status, dagdependencies/status], verbs: [update]}
  - {apiGroups: [homeostat.dev], resources: [dagruns], verbs: [create, delete, patch]}
  - {apiGroups: [batch], resources: [jobs], verbs: [${jobVerbs.join(', ')}]}
  - {apiGroups: [""], resources: [pods], verbs: [list, watch]}
  - {apiGroups: [""], resources: [configmaps], verbs: [get]}
  - {apiGroups: [events.k8s.io], resources: [events], verbs: [create, patch]}
`;

const PUSH_CHECKER = `apiVersion: homeostat.dev/v1alpha1
kind: StateChecker
metadata: {name: pushed}
spec: {mode: Push, timeout: 1h}
`;

const REPORT = `apiVersion: homeostat.dev/v1alpha1
kind: Expectation
metadata: {name: report}
spec:
  checker: {ref: pushed}
  action: {job: {template: {spec: {containers: [{name: build, image: example/build:1}]}}}}
  workingTimeout: 1h
`;

/** The clients, with every Job create counted (the calls go to the real API server). */
function counting(clients: KubeClients): { clients: KubeClients; creates: () => number } {
  let creates = 0;
  const batch = new Proxy(clients.batch, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (property !== 'createNamespacedJob' || typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        creates++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as BatchV1Api;
  return { clients: { ...clients, batch }, creates: () => creates };
}

const degraded = (status: Record<string, unknown>) => ((status.conditions ?? []) as { type: string; status: string; reason: string; message: string }[]).find((c) => c.type === 'Degraded');

describeIntegration('controller: a permanent API error (Jobs may not be created)', () => {
  let scene: Scene;
  let controller: Controller;
  let creates: () => number;

  beforeAll(async () => {
    await installCrds();
    scene = new Scene(await createNamespace('ctl-forbidden'));
    await scene.kubectl(['create', 'serviceaccount', 'limited']);
    await scene.apply(role(scene.ns, ['get', 'list', 'watch', 'delete', 'patch']));
    await scene.kubectl(['create', 'rolebinding', 'limited', '--role=limited', `--serviceaccount=${scene.ns}:limited`]);
    const token = (await scene.kubectl(['create', 'token', 'limited', '--duration=1h'])).stdout.trim();
    const admin = cluster().kubeConfig;
    const config = new KubeConfig();
    config.loadFromOptions({
      clusters: admin.clusters,
      users: [{ name: 'limited', token }],
      contexts: [{ name: 'limited', cluster: admin.getCurrentCluster()?.name ?? '', user: 'limited' }],
      currentContext: 'limited',
    });
    const counted = counting(fromConfig(config));
    creates = counted.creates;
    await scene.apply(PUSH_CHECKER + '---\n' + REPORT);
    // The permanent class backs off from 5 s doubling to 10 s here (minutes by default).
    controller = await scene.start({ clients: counted.clients, refusalInitialMs: 5_000, refusalMaxMs: 10_000 });
  });

  afterAll(async () => {
    await scene?.stopAll();
  });

  it('says Degraded=True/Forbidden with the verb and resource, once as an Event, and backs off', async () => {
    await eventually(async () => expect(await controller.deliver({ namespace: scene.ns, expectation: 'report' }, [{ key: '', state: 'unsatisfied' }])).toMatchObject({ status: 'accepted', accepted: 1 }));
    const status = await scene.until('report', (s) => expect(degraded(s)).toMatchObject({ status: 'True', reason: 'Forbidden' }));
    expect(degraded(status)?.message).toContain(`create jobs.batch in namespace ${scene.ns} is forbidden: `);
    const firstAt = Date.now();
    expect(creates()).toBeGreaterThan(0);

    // About 20 s: tried at 0, 5 and 15 s, not every second.
    await new Promise((resolve) => setTimeout(resolve, 20_000 - (Date.now() - firstAt)));
    expect(creates()).toBeLessThanOrEqual(4);
    const forbidden = (await scene.events('Expectation', 'report')).filter((e) => e.startsWith('Warning Forbidden: '));
    expect(forbidden).toHaveLength(1);
    expect(forbidden[0]).toContain(`create jobs.batch in namespace ${scene.ns} is forbidden: `);
    const lines = readFileSync(scene.logFile, 'utf8').split('\n').filter((l) => /forbidden/i.test(l) && !/"level":20/.test(l));
    expect(lines.length).toBeLessThanOrEqual(4);
  }, 60_000);

  it('once the verb is granted, the action Job is created and Degraded clears', async () => {
    await scene.apply(role(scene.ns, ['get', 'list', 'watch', 'create', 'delete', 'patch']));
    await scene.runningActions(1, 30_000);
    await scene.until('report', (s) => {
      expect(degraded(s)).toMatchObject({ status: 'False' });
      expect(conditionsOf(s).Progressing).toBe('True/WorkingOnIt');
    });
  }, 60_000);
});
