// The controller image (dist/images/homeostat-VERSION.tar, `make image`) run as the Deployment's Pod
// would be: its entrypoint with the Deployment's args, as 65532 on a read-only root filesystem, in
// the cluster by the in-cluster config: KUBERNETES_SERVICE_HOST/PORT, and the ServiceAccount's token
// (TokenRequest, the API server's default audience), the cluster CA and the namespace at
// /var/run/secrets/kubernetes.io/serviceaccount. Its RBAC is manifests/rbac.yaml (rendered from
// charts/homeostat by `make generate`; helm.test.ts checks the two agree).
//
// Why its own namespace, for the objects AND the Lease: other files run controllers in parallel
// against this API server and two of them hold homeostat-system/homeostat-controller
// (controllerRbac, leaderElection); a cluster-wide controller would act on their objects, and
// waiting for their Lease would make both sides flaky. So it runs with --namespace NS and
// --leader-election-namespace NS, where the chart's leader-election Role (taken from rbac.yaml,
// only its namespace changed) is bound to the same ServiceAccount: the Lease NS/homeostat-controller.
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseAllDocuments, stringify } from 'yaml';
import { cluster, createNamespace, describeIntegration, eventually, installCrds, must } from './harness/cluster.js';
import { REPO_ROOT } from './harness/controlPlane.js';
import { imageArchive, imageRuntime, type RunningContainer, runImage, type UnpackedImage, unpackImage } from './harness/runImage.js';
import { freePort, inClusterEnv, serviceAccountFiles, type ServiceAccountFiles } from './harness/podOfDeployment.js';
import { CHECKER, expectation, Scene } from './controllerFixtures.js';

/** The container's stdout and stderr, written when the file's tests end. */
const LOG_FILE = join(tmpdir(), 'homeostat-image-controller.log');
const describeImage = process.getuid?.() === 0 ? describeIntegration : describe.skip;
if (process.getuid?.() !== 0) console.warn('\n!! IMAGE TESTS SKIPPED: running an image needs root (mount namespaces, chroot)\n');

describeImage('the controller image, in-cluster', () => {
  let image: UnpackedImage;
  let scene: Scene;
  let container: RunningContainer;
  let sa: ServiceAccountFiles | undefined;
  const pod = `homeostat-controller-image-${process.pid}`;

  beforeAll(async () => {
    image = await unpackImage(imageArchive('homeostat'));
    const runtime = await imageRuntime(image);
    if (runtime !== 'crun' && runtime !== 'chroot') throw new Error(runtime);

    await installCrds();
    const manifests = join(REPO_ROOT, 'manifests');
    await must(cluster().kubectl(['apply', '-f', join(manifests, 'namespace.yaml'), '-f', join(manifests, 'rbac.yaml')]));
    scene = new Scene(await createNamespace('image-ctl'));
    await scene.apply(leaderElectionRbacIn(scene.ns));
    await scene.kubectl(['create', 'configmap', 'days', '--from-literal=list=d1']);
    await scene.apply(CHECKER);

    // What the kubelet mounts for the Pod's ServiceAccount: a bound token, the cluster's CA, the namespace.
    sa = await serviceAccountFiles(cluster(), 'homeostat-controller', 'homeostat-system');

    const port = await freePort();
    container = await runImage(image, {
      // The Deployment's args, scoped to this file's namespace (see the comment at the top).
      args: ['controller', `--metrics-addr=:${port}`, '--leader-elect=true', `--namespace=${scene.ns}`, `--leader-election-namespace=${scene.ns}`, '--log-level=debug'],
      env: {
        ...inClusterEnv(cluster().kubeConfig),
        POD_NAME: pod,
        POD_NAMESPACE: 'homeostat-system',
        LOG_LEVEL: 'info',
      },
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
  });

  it('wins the leader election Lease as its Pod', async () => {
    const lease = await scene.clients.coordination.readNamespacedLease({ name: 'homeostat-controller', namespace: scene.ns });
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
    const lease = await scene.clients.coordination.readNamespacedLease({ name: 'homeostat-controller', namespace: scene.ns });
    expect(lease.spec?.holderIdentity).toBeUndefined();
  }, 60_000);
});

/** The chart's leader-election Role and RoleBinding (from manifests/rbac.yaml), moved to `namespace`. */
function leaderElectionRbacIn(namespace: string): string {
  const docs = parseAllDocuments(readFileSync(join(REPO_ROOT, 'manifests/rbac.yaml'), 'utf8')).map((d) => d.toJS() as { kind?: string; metadata?: { name?: string; namespace?: string } });
  const picked = docs.filter((d) => (d.kind === 'Role' || d.kind === 'RoleBinding') && d.metadata?.namespace === 'homeostat-system' && /leader-election/.test(d.metadata.name ?? ''));
  if (picked.length !== 2) throw new Error(`manifests/rbac.yaml: expected a leader-election Role and RoleBinding, found ${picked.length}`);
  return picked.map((d) => stringify({ ...d, metadata: { ...d.metadata, namespace } })).join('---\n');
}
