// The controller image (dist/images/homeostat-VERSION.tar, `make image`) run as a Pod of the chart's
// Deployment would be: the chart installed with `helm install` (its ServiceAccount, RBAC and
// Deployment), then the image's entrypoint with the installed Deployment's args and env, as 65532 on
// a read-only root filesystem, in the cluster by the in-cluster config: KUBERNETES_SERVICE_HOST/PORT,
// and the ServiceAccount's token (TokenRequest, the API server's default audience), the cluster CA
// and the namespace at /var/run/secrets/kubernetes.io/serviceaccount. So image, in-cluster config and
// the chart's RBAC are proved together.
//
// Why a release of its own with watchNamespaces: other files run controllers in parallel against this
// API server and two of them hold homeostat-system/homeostat-controller (controllerRbac,
// leaderElection); a cluster-wide controller would act on their objects, and waiting for their Lease
// would make both sides flaky. The release lives in a namespace of its own (its Lease, ServiceAccount
// and leader-election Role there) and watches one other namespace (a Role there, nothing
// cluster-wide). bench/install.ts runs the default, cluster-wide install the same way.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { V1Deployment } from '@kubernetes/client-node';
import { cluster, createNamespace, describeIntegration, eventually, installCrds, must } from './harness/cluster.js';
import { CHART, findHelm, Helm } from './harness/helm.js';
import { imageArchive, imageRuntime, type RunningContainer, runImage, type UnpackedImage, unpackImage } from './harness/runImage.js';
import { freePort, inClusterEnv, podOfDeployment, serviceAccountFiles, type ServiceAccountFiles } from './harness/podOfDeployment.js';
import { CHECKER, expectation, Scene } from './controllerFixtures.js';

/** The container's stdout and stderr, written when the file's tests end. */
const LOG_FILE = join(tmpdir(), 'homeostat-image-controller.log');
const asRoot = process.getuid?.() === 0;
if (!asRoot) console.warn('\n!! IMAGE TESTS SKIPPED: running an image needs root (mount namespaces, chroot)\n');
const helmPath = asRoot ? findHelm() : undefined;
const describeImage = asRoot && helmPath !== undefined ? describeIntegration : describe.skip;

describeImage('the controller image, in-cluster', () => {
  let image: UnpackedImage;
  let scene: Scene;
  let container: RunningContainer;
  let sa: ServiceAccountFiles | undefined;
  let helm: Helm | undefined;
  let releaseNs: string;
  const release = `img-${Math.random().toString(36).slice(2, 8)}`;
  const controller = `${release}-homeostat-controller`;
  const pod = `${controller}-${process.pid}`;

  beforeAll(async () => {
    image = await unpackImage(imageArchive('homeostat'));
    const runtime = await imageRuntime(image);
    if (runtime !== 'crun' && runtime !== 'chroot') throw new Error(runtime);

    await installCrds();
    [releaseNs, scene] = await Promise.all([createNamespace('image-rel'), createNamespace('image-ctl').then((ns) => new Scene(ns))]);
    await scene.kubectl(['create', 'configmap', 'days', '--from-literal=list=d1']);
    await scene.apply(CHECKER);

    // The chart as a user installs it (the CRDs are the harness's, shared with the other files).
    helm = new Helm(helmPath as string, cluster().kubeconfigPath);
    await helm.run(['install', release, CHART, '-n', releaseNs, '--set', 'crds.install=false', '--set', `watchNamespaces={${scene.ns}}`]);
    const deployment = JSON.parse((await must(cluster().kubectl(['get', 'deployment', controller, '-n', releaseNs, '-o', 'json']))).stdout) as V1Deployment;
    const spec = podOfDeployment(deployment, { name: pod, namespace: releaseNs });
    // What the kubelet mounts for the Pod's ServiceAccount: a bound token, the cluster's CA, the namespace.
    sa = await serviceAccountFiles(cluster(), spec.serviceAccountName, releaseNs);

    // The Deployment's args as installed; only the port moves, as the container shares the host's network.
    const port = await freePort();
    const args = (spec.args ?? []).map((a) => (a.startsWith('--metrics-addr=') ? `--metrics-addr=127.0.0.1:${port}` : a));
    expect(args).toEqual(expect.arrayContaining([`--namespace=${scene.ns}`, '--leader-elect=true', `--leader-election-namespace=${releaseNs}`, `--leader-election-id=${controller}`]));
    container = await runImage(image, {
      ...(spec.command !== undefined ? { command: spec.command } : {}),
      args,
      env: { ...inClusterEnv(cluster().kubeConfig), ...spec.env },
      mounts: [sa.mount],
      hostname: pod,
    });
    let exited = false;
    void container.exited.then(() => (exited = true));
    // Ready once it leads and its caches synced (a standby's /readyz is 503).
    await eventually(async () => {
      if (exited) throw new Error('the controller exited');
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (res.status !== 200) throw new Error(`/readyz ${res.status}: ${await res.text()}`);
    }, 45_000).catch((error: unknown) => {
      throw new Error(`${(error as Error).message} (the container's output: ${LOG_FILE})`);
    });
  }, 120_000);

  afterAll(async () => {
    await container?.stop(20_000);
    if (container !== undefined) writeFileSync(LOG_FILE, container.output());
    image?.remove();
    sa?.remove();
    await helm?.run(['uninstall', release, '-n', releaseNs]).catch(() => undefined);
    helm?.remove();
  });

  it('wins the leader election Lease as its Pod', async () => {
    const lease = await scene.clients.coordination.readNamespacedLease({ name: controller, namespace: releaseNs });
    expect(lease.spec?.holderIdentity).toMatch(new RegExp(`^${pod}_[0-9a-f]+$`));
  });

  it('reconciles an Expectation to Satisfied through its checker and action Jobs, never refused', async () => {
    await scene.apply(expectation('report', '  partitions: {day: {valuesFrom: {configMap: days, key: list}}}\n'));
    await scene.answerChecks(() => 'unsatisfied', 30_000);
    const [job] = await scene.runningActions(1, 30_000);
    await scene.until('report', (s) => expect(s.phase).toBe('WorkingOnIt'), 30_000);
    await scene.finishAction(job as never, true);
    await scene.answerChecks(() => 'satisfied', 30_000);
    const status = await scene.until('report', (s) => expect(s).toMatchObject({ phase: 'Satisfied', satisfied: '1/1' }), 30_000);
    expect(status.phase).toBe('Satisfied');
    expect(container.output()).not.toMatch(/HTTP 403|Forbidden|forbidden/);
    // pino's JSON lines: the controller logged as itself, from inside the image.
    expect(container.output()).toMatch(/"logger":"homeostat-controller"/);
  }, 120_000);

  it('stops on SIGTERM with exit 0 and releases the Lease', async () => {
    const exit = await container.stop(30_000);
    expect(exit).toEqual({ code: 0, signal: null });
    const lease = await scene.clients.coordination.readNamespacedLease({ name: controller, namespace: releaseNs });
    expect(lease.spec?.holderIdentity).toBeUndefined();
  }, 60_000);
});
