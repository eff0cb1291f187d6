// What the controller keeps of the objects it watches, against a real API server: an Expectation
// applied with kubectl comes with managedFields and kubectl's last-applied-configuration; the
// controller's cache holds its spec, status, labels and Homeostat's annotations, not those. Its
// checker Job is held without its Pod template (the request rides in an environment variable).
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { V1Job } from '@kubernetes/client-node';
import type { Controller } from '../../src/kube/controller.js';
import { createNamespace, describeIntegration, eventually, installCrds } from './harness/cluster.js';
import { CHECKER, Scene } from './controllerFixtures.js';

describeIntegration('controller: the informers keep only what the controller reads', () => {
  let scene: Scene;
  let controller: Controller;

  beforeAll(async () => {
    await installCrds();
    scene = new Scene(await createNamespace('ctl-lean'));
    await scene.apply(CHECKER);
    await scene.apply(`apiVersion: homeostat.dev/v1alpha1
kind: Expectation
metadata:
  name: lean
  labels: {team: sales}
  annotations: {homeostat.dev/rerun: "r-1", example.com/owner: "someone"}
spec:
  checker: {ref: files}
`);
    controller = await scene.start();
  });

  afterAll(async () => {
    await scene?.stopAll();
  });

  it('an Expectation: spec, status, labels and homeostat.dev annotations; no managedFields, no other annotations', async () => {
    // The API server has both.
    const stored = JSON.parse((await scene.kubectl(['get', 'exp', 'lean', '-o', 'json', '--show-managed-fields'])).stdout) as { metadata: { managedFields?: unknown[]; annotations?: Record<string, string> } };
    expect(stored.metadata.managedFields?.length).toBeGreaterThan(0);
    expect(stored.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toBeDefined();

    const cached = await eventually(async () => {
      const o = controller.world.object({ kind: 'Expectation', namespace: scene.ns, name: 'lean' });
      if (o?.status === undefined) throw new Error('no status in the cache yet');
      return o;
    });
    expect(cached.metadata).toMatchObject({ name: 'lean', namespace: scene.ns, generation: 1, labels: { team: 'sales' }, annotations: { 'homeostat.dev/rerun': 'r-1' } });
    expect(cached.metadata?.annotations).toEqual({ 'homeostat.dev/rerun': 'r-1' });
    expect((cached.metadata as Record<string, unknown>).managedFields).toBeUndefined();
    expect(cached.spec).toMatchObject({ checker: { ref: 'files' } });
    expect(cached.status).toMatchObject({ phase: expect.any(String) });
  });

  it("its checker Job: labels and status, not the Pod template that carries the checker's request", async () => {
    const [job] = await eventually(async () => {
      const jobs = await scene.pendingChecks();
      if (jobs.length === 0) throw new Error('no checker Job yet');
      return jobs;
    });
    const name = (job as V1Job).metadata?.name ?? '';
    const jobs = controller.informers.find((i) => i.resource === 'jobs') as unknown as { get(namespace: string, name: string): V1Job | undefined };
    const cached = await eventually(async () => jobs.get(scene.ns, name) ?? Promise.reject(new Error('not in the cache yet')));
    expect(cached.metadata?.labels?.['homeostat.dev/role']).toBe('checker');
    expect(cached.spec?.template).toBeUndefined();
    expect(JSON.stringify(cached)).not.toContain('HOMEOSTAT_REQUEST');
  });
});
