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

  it('list reads every page and keeps of an owner what a restart loads: who it is and its status', async () => {
    await must(
      cluster().kubectl(['apply', '-n', ns, '-f', '-'], {
        input: ['a', 'b', 'c']
          .map((name) => `apiVersion: homeostat.dev/v1alpha1\nkind: Expectation\nmetadata: {name: listed-${name}}\nspec:\n  checker: {ref: written}\n`)
          .join('---\n'),
      }),
    );
    const api = kubeStatusApi(fromConfig(cluster().kubeConfig), 2);
    const written = await api.get({ kind: 'Expectation', namespace: ns, name: 'listed-b' });
    await api.replaceStatus({ kind: 'Expectation', namespace: ns, name: 'listed-b' }, { apiVersion: 'homeostat.dev/v1alpha1', kind: 'Expectation', metadata: { name: 'listed-b', namespace: ns, resourceVersion: written.metadata?.resourceVersion }, status: { observedGeneration: 1 } });

    const listed = await api.list('Expectation', ns);
    // Three objects over two pages of two.
    expect(listed.map((o) => o.metadata?.name).sort()).toEqual(['listed-a', 'listed-b', 'listed-c']);
    const b = listed.find((o) => o.metadata?.name === 'listed-b');
    expect(b?.status).toEqual({ observedGeneration: 1 });
    expect(b?.metadata?.uid).toBe(written.metadata?.uid);
    // An owner's spec (and managedFields) is not kept: a restart reads its state from the status.
    expect(b?.spec).toBeUndefined();
    expect(b?.metadata?.managedFields).toBeUndefined();
  });
});

