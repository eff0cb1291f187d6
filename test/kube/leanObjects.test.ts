import { describe, expect, it } from '@jest/globals';
import type { KubernetesListObject, V1Job, V1Pod } from '@kubernetes/client-node';
import { leanCustomObject, leanJob, leanPod } from '../../src/kube/leanObjects.js';
import { type ListPage, pagedList } from '../../src/kube/resilientInformer.js';
import type { RawObject } from '../../src/kube/worldCache.js';

/** Custom objects arrive as plain JSON (timestamps are strings). */
const raw = (o: unknown): RawObject => o as RawObject;

/** What the API server sends: its bookkeeping and kubectl's annotation around the object. */
const metadata = {
  name: 'campaign-results',
  namespace: 'sales',
  uid: 'u-1',
  generation: 3,
  resourceVersion: '42',
  creationTimestamp: '2026-01-01T00:00:00Z',
  labels: { team: 'sales' },
  annotations: {
    'kubectl.kubernetes.io/last-applied-configuration': '{"apiVersion":"homeostat.dev/v1alpha1","kind":"Expectation","spec":{}}',
    'homeostat.dev/rerun': 'r-1',
    'homeostat.dev/source-file': 'sales/campaign.yaml',
  },
  managedFields: [{ manager: 'kubectl', operation: 'Apply', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:checker': {} } } }],
  ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: 'u-2' }],
  finalizers: ['example.com/keep'],
};

describe('leanCustomObject (what the informers keep of a Homeostat object)', () => {
  const expectation = raw({
    apiVersion: 'homeostat.dev/v1alpha1',
    kind: 'Expectation',
    metadata,
    spec: { checker: { ref: 'table', params: { table: 'results' } } },
    status: { phase: 'Satisfied', conditions: [{ type: 'Valid', status: 'True' }] },
  });

  it('keeps what the controller and the read API read: identity, generation, labels, spec and status', () => {
    const lean = leanCustomObject(expectation);
    expect(lean.apiVersion).toBe('homeostat.dev/v1alpha1');
    expect(lean.kind).toBe('Expectation');
    expect(lean.metadata).toMatchObject({ name: 'campaign-results', namespace: 'sales', uid: 'u-1', generation: 3, resourceVersion: '42', creationTimestamp: '2026-01-01T00:00:00Z', labels: { team: 'sales' } });
    expect(lean.spec).toEqual(expectation.spec);
    expect(lean.status).toEqual(expectation.status);
  });

  it('holds the small objects many objects repeat (conditions, counts, references) once, their values unchanged', () => {
    const received = (name: string, satisfied: number) =>
      raw({
        apiVersion: 'homeostat.dev/v1alpha1',
        kind: 'Expectation',
        metadata: { ...metadata, name },
        spec: { checker: { ref: 'table' }, action: { job: { template: { spec: { containers: [{ name: 'fix', image: 'example/fix:1' }] } } } } },
        status: { partitions: { total: 1, satisfied }, conditions: [{ type: 'Valid', status: 'True', reason: 'Valid', lastTransitionTime: '2026-01-01T00:00:00Z' }] },
      });
    const sent = [received('a', 1), received('b', 1), received('c', 0)];
    const [a, b, c] = structuredClone(sent).map((o) => leanCustomObject(o)) as [RawObject, RawObject, RawObject];
    expect([a, b, c].map((o) => [o.spec, o.status])).toEqual(sent.map((o) => [o.spec, o.status]));
    const conditionOf = (o: RawObject) => (o.status?.conditions as unknown[])[0];
    const specOf = (o: RawObject) => o.spec as { checker: unknown; action: { job: { template: { spec: { containers: unknown[] } } } } };
    expect(conditionOf(b)).toBe(conditionOf(a));
    expect(conditionOf(c)).toBe(conditionOf(a));
    expect(specOf(b).checker).toBe(specOf(a).checker);
    expect(specOf(b).action.job.template.spec.containers[0]).toBe(specOf(a).action.job.template.spec.containers[0]);
    expect(b.status?.partitions).toBe(a.status?.partitions);
    // Different values stay apart.
    expect(c.status?.partitions).not.toBe(a.status?.partitions);
    expect(c.status?.partitions).toEqual({ total: 1, satisfied: 0 });
  });

  it('holds what many objects repeat in their metadata once: the labels, namespace and creation second; each keeps its own name, uid and version', () => {
    const received = (name: string, uid: string, labels: Record<string, string>) => raw(structuredClone({ ...expectation, metadata: { ...metadata, name, uid, labels } }));
    const [a, b, c] = [received('a', 'u-a', { team: 'sales' }), received('b', 'u-b', { team: 'sales' }), received('c', 'u-c', { team: 'ops' })].map((o) => leanCustomObject(o)) as [RawObject, RawObject, RawObject];
    expect(b.metadata?.labels).toBe(a.metadata?.labels);
    expect(c.metadata?.labels).toEqual({ team: 'ops' });
    expect(b.metadata).toEqual({ ...a.metadata, name: 'b', uid: 'u-b' });
    expect(c.metadata).toEqual({
      name: 'c',
      namespace: 'sales',
      uid: 'u-c',
      generation: 3,
      resourceVersion: '42',
      creationTimestamp: '2026-01-01T00:00:00Z',
      labels: { team: 'ops' },
      annotations: { 'homeostat.dev/rerun': 'r-1', 'homeostat.dev/source-file': 'sales/campaign.yaml' },
    });
  });

  it("keeps Homeostat's annotations (rerun, source file) and drops the others", () => {
    expect(leanCustomObject(expectation).metadata?.annotations).toEqual({ 'homeostat.dev/rerun': 'r-1', 'homeostat.dev/source-file': 'sales/campaign.yaml' });
  });

  it("drops the API server's bookkeeping: managedFields, ownerReferences, finalizers", () => {
    const lean = leanCustomObject(expectation).metadata as Record<string, unknown>;
    expect(lean.managedFields).toBeUndefined();
    expect(lean.ownerReferences).toBeUndefined();
    expect(lean.finalizers).toBeUndefined();
  });

  it('keeps a deletionTimestamp (an object being deleted leaves the World)', () => {
    expect(leanCustomObject(raw({ ...expectation, metadata: { ...metadata, deletionTimestamp: '2026-02-01T00:00:00Z' } })).metadata?.deletionTimestamp).toBe('2026-02-01T00:00:00Z');
  });

  it('has no annotations at all when none is Homeostat’s', () => {
    const lean = leanCustomObject(raw({ ...expectation, metadata: { name: 'a', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' } } }));
    expect(lean.metadata).toEqual({ name: 'a' });
  });
});

describe('leanJob and leanPod (what the informers keep of Homeostat’s Jobs and their Pods)', () => {
  const request = 'x'.repeat(10_000);
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { ...metadata, name: 'campaign-results-check-1', labels: { 'homeostat.dev/role': 'checker' }, annotations: { 'homeostat.dev/node': 'Expectation/sales/campaign-results|2026-01-01' } },
    spec: {
      activeDeadlineSeconds: 600,
      backoffLimit: 0,
      selector: { matchLabels: { 'controller-uid': 'u-3' } },
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'checker', image: 'example/check:1', env: [{ name: 'HOMEOSTAT_REQUEST', value: request }] }] } },
    },
    status: { conditions: [{ type: 'Complete', status: 'True' }], succeeded: 1 },
  } as unknown as V1Job;

  it("keeps a Job's labels, Homeostat's annotations, its deadline and how it ended; not its Pod template", () => {
    const lean = leanJob(job);
    expect(lean.metadata?.labels).toEqual({ 'homeostat.dev/role': 'checker' });
    expect(lean.metadata?.annotations).toEqual({ 'homeostat.dev/node': 'Expectation/sales/campaign-results|2026-01-01' });
    expect(lean.spec).toEqual({ activeDeadlineSeconds: 600, backoffLimit: 0 });
    expect(lean.status).toEqual(job.status);
    expect(JSON.stringify(lean)).not.toContain(request);
    expect((lean.metadata as Record<string, unknown>).managedFields).toBeUndefined();
  });

  it("keeps a Pod's phase and container states (the checker's verdict is its termination message); not its spec", () => {
    const terminated = { exitCode: 0, message: 'v1:s' };
    const pod: V1Pod = {
      metadata: { name: 'p', namespace: 'sales', labels: { 'homeostat.dev/job': 'campaign-results-check-1' }, managedFields: [{ manager: 'kubelet' }] },
      spec: { containers: [{ name: 'checker', image: 'example/check:1', env: [{ name: 'HOMEOSTAT_REQUEST', value: request }] }] },
      status: { phase: 'Succeeded', podIP: '10.0.0.1', conditions: [{ type: 'Ready', status: 'False' }], containerStatuses: [{ name: 'checker', image: 'example/check:1', imageID: '', ready: false, restartCount: 0, state: { terminated } }] },
    };
    const lean = leanPod(pod);
    expect(lean.spec).toBeUndefined();
    expect(lean.metadata).toEqual({ name: 'p', namespace: 'sales', labels: { 'homeostat.dev/job': 'campaign-results-check-1' } });
    expect(lean.status).toEqual({ phase: 'Succeeded', containerStatuses: pod.status?.containerStatuses });
  });
});

describe('pagedList (an informer lists page by page)', () => {
  const objects = Array.from({ length: 7 }, (_, i) => ({ metadata: { name: `o${i}`, managedFields: [{ manager: 'm' }] } }));
  const pages: ListPage[] = [];
  const list = async (page: ListPage): Promise<KubernetesListObject<(typeof objects)[number]>> => {
    pages.push(page);
    const from = Number(page._continue ?? 0);
    const next = from + page.limit;
    // Custom objects come as plain JSON: `continue`, not client-node's `_continue`.
    return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '100', ...(next < objects.length ? { continue: String(next) } : {}) } as never, items: objects.slice(from, next) };
  };

  it('asks for every page in turn and returns every object, transformed, with the resourceVersion to watch from', async () => {
    const all = await pagedList(list, (o) => ({ metadata: { name: o.metadata.name } }) as never, 3);
    expect(pages).toEqual([{ limit: 3 }, { limit: 3, _continue: '3' }, { limit: 3, _continue: '6' }]);
    expect(all.items.map((o) => o.metadata)).toEqual(objects.map((o) => ({ name: o.metadata.name })));
    expect(all.metadata).toEqual({ resourceVersion: '100' });
  });
});
