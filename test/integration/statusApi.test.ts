// The status writes StatusStore makes (kubeStatusApi), against a real API server: the guard and
// the answer it relies on. The store's own rules (retries, leases first) are unit-tested with a
// fake StatusApi (test/kube/statusStore.test.ts).
import { beforeAll, expect, it } from '@jest/globals';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { fromConfig, statusOf } from '../../src/kube/client.js';
import { kubeStatusApi } from '../../src/kube/statusStore.js';
import type { RawObject } from '../../src/kube/worldCache.js';
import type { ObjectRef } from '../../src/runtime/ports.js';
import { cluster, createNamespace, describeIntegration, installCrds, must } from './harness/cluster.js';

describeIntegration('kubeStatusApi against a real API server', () => {
  let ns: string;
  beforeAll(async () => {
    await installCrds();
    ns = await createNamespace('status-api');
    await must(
      cluster().kubectl(['apply', '-n', ns, '-f', '-'], {
        input: 'apiVersion: homeostat.dev/v1alpha1\nkind: StateChecker\nmetadata: {name: written}\nspec: {image: example/check:1}\n',
      }),
    );
  });

  it('replaceStatus writes the status, guarded by the resourceVersion, and answers with the metadata only', async () => {
    const api = kubeStatusApi(fromConfig(cluster().kubeConfig));
    const ref: ObjectRef = { kind: 'StateChecker', namespace: ns, name: 'written' };
    const before = await api.get(ref);
    const body = (status: Record<string, unknown>, resourceVersion: string | undefined): RawObject => ({
      apiVersion: 'homeostat.dev/v1alpha1',
      kind: 'StateChecker',
      metadata: { name: 'written', namespace: ns, resourceVersion },
      status,
    });

    const answer = await api.replaceStatus(ref, body({ observedGeneration: 1 }, before.metadata?.resourceVersion));
    // The new resourceVersion is what the store keeps; the status is not sent back.
    expect(answer.metadata?.resourceVersion).toBeDefined();
    expect(answer.metadata?.resourceVersion).not.toBe(before.metadata?.resourceVersion);
    expect(answer.status).toBeUndefined();
    const stored = (await cluster()
      .kubeConfig.makeApiClient(CustomObjectsApi)
      .getNamespacedCustomObjectStatus({ group: 'homeostat.dev', version: 'v1alpha1', namespace: ns, plural: 'statecheckers', name: 'written' })) as RawObject;
    expect(stored.status).toEqual({ observedGeneration: 1 });
    expect(stored.metadata?.resourceVersion).toBe(answer.metadata?.resourceVersion);

    // A write from a stale resourceVersion is refused with 409 Conflict, and changes nothing.
    const stale = await api.replaceStatus(ref, body({ observedGeneration: 2 }, before.metadata?.resourceVersion)).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(statusOf(stale)).toBe(409);
    expect((await api.get(ref)).status).toEqual({ observedGeneration: 1 });
  });
});
