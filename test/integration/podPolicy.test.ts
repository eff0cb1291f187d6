// Creating an Expectation, a Dag or a StateChecker means running Pods with the controller's
// `jobs create`: what those Pods may ask for is the administrator's pod policy. In a namespace
// whose Pod Security admission enforces `restricted` (the real API server's PodSecurity plugin),
// the Jobs of checkers and actions are admitted and the Pods a kubelet would create from them
// pass a server-side dry-run; a template asking for a hostPath, a privileged container, host
// networking or another service account is Valid=False with the field's path, and no Job is
// created for it; objects in the controller's own namespace are refused. A checker's credential
// comes from a Secret by reference: its value appears in no object, status, Event or log line.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { V1Job, V1PodSpec } from '@kubernetes/client-node';
import { statusOf } from '../../src/kube/client.js';
import type { Controller } from '../../src/kube/controller.js';
import { cluster, createNamespace, describeIntegration, eventually, installCrds, must } from './harness/cluster.js';
import { conditionsOf, Scene } from './controllerFixtures.js';

const SECRET_VALUE = 'pa55-w0rd-never-in-a-cr';

const OBJECTS = `apiVersion: homeostat.dev/v1alpha1
kind: StateChecker
metadata: {name: files}
spec:
  mode: Job
  image: example/check-files:1
  timeout: 1m
  env:
    - {name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: db, key: password}}}
    - {name: DB_HOST, value: db.example}
  envFrom:
    - {configMapRef: {name: db-settings}, prefix: DB_}
---
apiVersion: homeostat.dev/v1alpha1
kind: Expectation
metadata: {name: good}
spec:
  checker: {ref: files}
  action: {job: {template: {spec: {containers: [{name: build, image: example/build:1, env: [{name: TOKEN, valueFrom: {secretKeyRef: {name: db, key: password}}}]}]}}}}
---
apiVersion: homeostat.dev/v1alpha1
kind: Dag
metadata: {name: etl}
spec:
  periods: {from: "2026-10-01", to: "2026-10-01", every: P1D, timeZone: UTC}
  tasks:
  - {name: extract, job: {template: {spec: {containers: [{name: main, image: example/extract:1}]}}}}
---
apiVersion: homeostat.dev/v1alpha1
kind: Expectation
metadata: {name: host-files}
spec:
  checker: {ref: files}
  action: {job: {template: {spec: {containers: [{name: build, image: example/build:1}], volumes: [{name: root, hostPath: {path: /}}]}}}}
---
apiVersion: homeostat.dev/v1alpha1
kind: Expectation
metadata: {name: borrowed}
spec:
  checker: {ref: files}
  action: {job: {template: {spec: {serviceAccountName: deployer, containers: [{name: build, image: example/build:1}]}}}}
---
apiVersion: homeostat.dev/v1alpha1
kind: Dag
metadata: {name: privileged}
spec:
  periods: {from: "2026-10-01", to: "2026-10-01", every: P1D, timeZone: UTC}
  tasks:
  - {name: root, job: {template: {spec: {hostNetwork: true, containers: [{name: main, image: example/root:1, securityContext: {privileged: true}}]}}}}
---
apiVersion: homeostat.dev/v1alpha1
kind: StateChecker
metadata: {name: admin-checker}
spec: {mode: Job, image: example/check:1, serviceAccountName: cluster-admin-sa}
---
apiVersion: homeostat.dev/v1alpha1
kind: Expectation
metadata: {name: admin-checked}
spec:
  checker: {ref: admin-checker}
`;

const OWN_NAMESPACE_OBJECTS = `apiVersion: homeostat.dev/v1alpha1
kind: Dag
metadata: {name: etl}
spec:
  periods: {from: "2026-10-01", to: "2026-10-01", every: P1D, timeZone: UTC}
  tasks:
  - {name: extract, job: {template: {spec: {containers: [{name: main, image: example/extract:1}]}}}}
`;

const condition = (status: Record<string, unknown>, type: string) => ((status.conditions ?? []) as { type: string; status: string; reason: string; message: string }[]).find((c) => c.type === type);

describeIntegration('controller: the pod policy, under Pod Security admission `restricted`', () => {
  let scene: Scene;
  let own: Scene;
  let controller: Controller;

  beforeAll(async () => {
    await installCrds();
    scene = new Scene(await createNamespace('pod-policy'));
    own = new Scene(await createNamespace('pod-policy-own'));
    await must(cluster().kubectl(['label', 'namespace', scene.ns, 'pod-security.kubernetes.io/enforce=restricted']));
    await scene.kubectl(['create', 'secret', 'generic', 'db', `--from-literal=password=${SECRET_VALUE}`]);
    await scene.kubectl(['create', 'configmap', 'db-settings', '--from-literal=PORT=5432']);
    await scene.apply(OBJECTS);
    await own.apply(OWN_NAMESPACE_OBJECTS);
    controller = await scene.start({
      namespaces: [scene.ns, own.ns],
      podPolicy: { protectedNamespaces: [own.ns], serviceAccounts: [], allow: [], capabilities: [] },
    });
    expect(controller.synced()).toBe(true);
  });

  afterAll(async () => {
    await scene?.stopAll();
  });

  /** A server-side dry-run create of the Pod the Job's controller would make; the error's text, or '' when admitted. */
  const dryRunPod = async (name: string, spec: V1PodSpec): Promise<string> => {
    try {
      await scene.clients.core.createNamespacedPod({ namespace: scene.ns, body: { metadata: { name }, spec }, dryRun: 'All' });
      return '';
    } catch (error) {
      expect(statusOf(error)).toBe(403);
      const body = (error as { body?: unknown }).body;
      return typeof body === 'string' ? (JSON.parse(body) as { message: string }).message : String(error);
    }
  };

  it('admits the Jobs of checkers and actions, and the Pods of their templates pass a dry-run', async () => {
    // The namespace enforces `restricted`: a bare Pod is refused (so the plugin is on).
    expect(await dryRunPod('bare', { containers: [{ name: 'main', image: 'example/bare:1' }] })).toContain('violates PodSecurity "restricted:latest"');

    const checker = (await eventually(async () => {
      const jobs = await scene.pendingChecks();
      if (jobs.length === 0) throw new Error('no checker Job yet');
      return jobs;
    })) as V1Job[];
    await scene.answerChecks(() => 'unsatisfied');
    const actions = await scene.runningActions(2, 20_000);
    const jobs = [checker[0] as V1Job, ...actions];
    expect(jobs.map((j) => j.metadata?.annotations?.['homeostat.dev/owner']).sort()).toEqual(['etl', 'good', 'good']);
    for (const job of jobs) {
      expect(await dryRunPod(`dry-run-${job.metadata?.name ?? ''}`.slice(0, 63), job.spec?.template.spec as V1PodSpec)).toBe('');
    }

    // The checker's Pod: no API token, the Secret by reference only.
    const pod = checker[0]?.spec?.template.spec;
    expect(pod?.automountServiceAccountToken).toBe(false);
    expect(pod?.containers[0]?.env).toContainEqual({ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } });
    expect(pod?.containers[0]?.envFrom).toEqual([{ configMapRef: { name: 'db-settings' }, prefix: 'DB_' }]);
  }, 60_000);

  it('refuses templates that break the policy with the field path, and creates no Job for them', async () => {
    const refused = async (name: string, kind: string, reason: string) => {
      const status = await scene.until(name, (s) => expect(condition(s, 'Valid')).toMatchObject({ status: 'False', reason }), 20_000, kind);
      return condition(status, 'Valid')?.message ?? '';
    };
    expect(await refused('host-files', 'exp', 'PodPolicyViolation')).toContain('spec.action.job.template.spec.volumes[0].hostPath: a hostPath volume is not allowed');
    expect(await refused('borrowed', 'exp', 'PodPolicyViolation')).toContain('spec.action.job.template.spec.serviceAccountName: service account "deployer" is not allowed');
    const dag = await refused('privileged', 'dag', 'PodPolicyViolation');
    expect(dag).toContain('spec.tasks[0].job.template.spec.hostNetwork: hostNetwork is not allowed');
    expect(dag).toContain('spec.tasks[0].job.template.spec.containers[0].securityContext.privileged: a privileged container is not allowed');
    expect(await refused('admin-checker', 'hsc', 'PodPolicyViolation')).toContain('spec.serviceAccountName: service account "cluster-admin-sa" is not allowed');
    expect(await refused('admin-checked', 'exp', 'CheckerRefused')).toContain('StateChecker admin-checker: spec.serviceAccountName');
    expect((await scene.events('Expectation', 'host-files')).join('\n')).toContain('Warning PodPolicyViolation: spec.action.job.template.spec.volumes[0].hostPath');

    // The valid objects of the same world have their Jobs (the previous test): the refused ones never got one.
    const owners = new Set((await scene.clients.batch.listNamespacedJob({ namespace: scene.ns })).items.map((j) => j.metadata?.annotations?.['homeostat.dev/owner']));
    expect([...owners].sort()).toEqual(['etl', 'good']);
  }, 60_000);

  it("refuses objects in the controller's own namespace", async () => {
    const status = await own.until('etl', (s) => expect(conditionsOf(s).Valid).toBe('False/ProtectedNamespace'), 20_000, 'dag');
    expect(condition(status, 'Valid')?.message).toContain(`namespace ${own.ns} is the controller's own`);
    expect((await own.clients.batch.listNamespacedJob({ namespace: own.ns })).items).toEqual([]);
  }, 30_000);

  it("never shows the Secret's value: not in the objects, their status, Events or the controller's log", async () => {
    const everything = [
      (await scene.kubectl(['get', 'hsc,exp,dag,jobs', '-o', 'json'])).stdout,
      (await scene.kubectl(['get', 'events.events.k8s.io', '-o', 'json'])).stdout,
      readFileSync(scene.logFile, 'utf8'),
    ].join('\n');
    expect(everything).not.toContain(SECRET_VALUE);
    // The checker Job names the Secret: the kubelet, not the controller, reads the value.
    expect((await scene.kubectl(['get', 'jobs', '-l', 'homeostat.dev/role=checker', '-o', 'json'])).stdout).toContain('"secretKeyRef"');
  });
});
