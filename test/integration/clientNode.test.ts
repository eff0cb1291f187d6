// What the controller relies on in @kubernetes/client-node 2.0.1, pinned against a real API server,
// so that an upgrade that changes it fails here rather than in production:
// - Watch has a client-side timeout (30 s) that, once the response has started, is an INACTIVITY
//   timeout: every chunk received resets it; after that long without one, done() gets a
//   TimeoutError. (2.0.0 aborted every watch after 30 s, busy or not.) The API server sends
//   nothing on a quiet watch unless allowWatchBookmarks is set, and then only about once a minute,
//   so a raw Watch on a quiet resource ends every 30 s: whoever uses Watch must re-watch.
// - ListWatch (makeInformer) treats that TimeoutError as routine: it re-watches from its
//   resourceVersion at once, without an error event.
// - Generated patch methods send application/json-patch+json unless told otherwise.
// The timeout is a private field (requestTimeoutMs); the tests shorten it to stay fast.
import { afterEach, beforeAll, expect, it } from '@jest/globals';
import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  type KubernetesObject,
  ListWatch,
  PatchStrategy,
  setHeaderOptions,
  type V1ConfigMap,
  Watch,
} from '@kubernetes/client-node';
import { cluster, createNamespace, describeIntegration, installCrds, must } from './harness/cluster.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Watch.requestTimeoutMs is private in 2.0.1. */
const withTimeout = (watch: Watch, ms: number) => {
  (watch as unknown as { requestTimeoutMs: number }).requestTimeoutMs = ms;
  return watch;
};

describeIntegration('@kubernetes/client-node 2.0.1 against a real API server', () => {
  let ns: string;
  const cleanups: (() => unknown)[] = [];
  beforeAll(async () => {
    ns = await createNamespace('client-node');
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });
  const createConfigMap = (name: string) =>
    cluster().kubeConfig.makeApiClient(CoreV1Api).createNamespacedConfigMap({ namespace: ns, body: { metadata: { name }, data: { a: '1' } } });

  it('Watch defaults to a 30 s timeout', () => {
    expect((new Watch(cluster().kubeConfig) as unknown as { requestTimeoutMs: number }).requestTimeoutMs).toBe(30_000);
  });

  it('the Watch timeout is an inactivity timeout: events keep it open, silence ends it with a TimeoutError', async () => {
    const timeoutMs = 1_500;
    const watch = withTimeout(new Watch(cluster().kubeConfig), timeoutMs);
    const events: string[] = [];
    let ended: { error: unknown; at: number } | undefined;
    const controller = await watch.watch(
      `/api/v1/namespaces/${ns}/configmaps`,
      {},
      (type, object: KubernetesObject) => events.push(`${type} ${object.metadata?.name}`),
      (error) => (ended = { error, at: Date.now() }),
    );
    cleanups.push(() => controller.abort());

    // Busy for twice the timeout: one event every timeout/3.
    for (let i = 0; i < 6; i++) {
      await createConfigMap(`busy-${i}`);
      await sleep(timeoutMs / 3);
    }
    expect(ended).toBeUndefined();
    expect(events).toContain('ADDED busy-5');

    // Quiet: ends after about timeoutMs.
    const quietSince = Date.now();
    while (ended === undefined && Date.now() - quietSince < 4 * timeoutMs) await sleep(100);
    expect(ended).toBeDefined();
    expect((ended!.error as Error).name).toBe('TimeoutError');
    expect(ended!.at - quietSince).toBeGreaterThanOrEqual(timeoutMs - 600);
  });

  it('ListWatch re-watches after the inactivity timeout without an error, and misses nothing', async () => {
    const core = cluster().kubeConfig.makeApiClient(CoreV1Api);
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    const informer = new ListWatch<V1ConfigMap>(
      path,
      withTimeout(new Watch(cluster().kubeConfig), 1_000),
      () => core.listNamespacedConfigMap({ namespace: ns }),
      false,
    );
    const added: string[] = [];
    const errors: unknown[] = [];
    let connects = 0;
    informer.on('add', (cm) => added.push(cm.metadata!.name!));
    informer.on('error', (error) => errors.push(error));
    informer.on('connect', () => connects++);
    await informer.start();
    cleanups.push(() => informer.stop());

    await sleep(3_500); // three timeouts' worth of silence
    await createConfigMap('after-silence');
    const deadline = Date.now() + 5_000;
    while (!added.includes('after-silence') && Date.now() < deadline) await sleep(100);
    expect(added).toContain('after-silence');
    expect(errors).toEqual([]);
    expect(connects).toBeGreaterThanOrEqual(3);
  });

  it('generated patch methods default to JSON patch; merge patch needs setHeaderOptions', async () => {
    await installCrds();
    await must(
      cluster().kubectl(['apply', '-n', ns, '-f', '-'], {
        input: 'apiVersion: homeostat.dev/v1alpha1\nkind: StateChecker\nmetadata: {name: patched}\nspec: {image: example/check:1}\n',
      }),
    );
    const api = cluster().kubeConfig.makeApiClient(CustomObjectsApi);
    const target = { group: 'homeostat.dev', version: 'v1alpha1', namespace: ns, plural: 'statecheckers', name: 'patched' };
    const status = { observedGeneration: 1 };

    // A merge-patch body sent as application/json-patch+json: the server wants a list of operations.
    const asJsonPatch = await api.patchNamespacedCustomObjectStatus({ ...target, body: { status } }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(asJsonPatch).toBeInstanceOf(ApiException);
    expect((asJsonPatch as ApiException<unknown>).code).toBe(400);

    const patched = (await api.patchNamespacedCustomObjectStatus({ ...target, body: { status } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch))) as { status?: unknown };
    expect(patched.status).toEqual(status);
  });
});
