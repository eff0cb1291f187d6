/**
 * How the Job runners hear about Jobs and Pods: an informer (list + watch + cache) they are
 * given, so the controller can share one per resource (resilientInformer.ts keeps it running).
 * This file says what the runners need of it, builds plain informers (tests, tools), and reads
 * how a Job ended.
 */
import { type Informer, makeInformer, type ObjectCache, type V1Job, type V1Pod, type KubernetesObject } from '@kubernetes/client-node';
import type { KubeClients } from './client.js';
import { type Role, selectorOf } from './labels.js';

/**
 * What a runner needs of an informer: its events and its cache. `makeInformer` returns one.
 * Handlers are synchronous and only record and notify, as informer callbacks must.
 */
export type WatchedObjects<T extends KubernetesObject> = Pick<Informer<T>, 'on' | 'off'> & Pick<ObjectCache<T>, 'get' | 'list'>;

/** An informer of Homeostat's Jobs of one role, in one namespace or (default) all of them. */
export function jobInformer(clients: KubeClients, role: Role, namespace?: string): Informer<V1Job> & ObjectCache<V1Job> {
  const labelSelector = selectorOf(role);
  return namespace === undefined
    ? makeInformer(clients.config, '/apis/batch/v1/jobs', () => clients.batch.listJobForAllNamespaces({ labelSelector }), labelSelector)
    : makeInformer(clients.config, `/apis/batch/v1/namespaces/${namespace}/jobs`, () => clients.batch.listNamespacedJob({ namespace, labelSelector }), labelSelector);
}

/** An informer of the Pods of Homeostat's checker Jobs (where verdicts are read). */
export function checkerPodInformer(clients: KubeClients, namespace?: string): Informer<V1Pod> & ObjectCache<V1Pod> {
  const labelSelector = selectorOf('checker');
  return namespace === undefined
    ? makeInformer(clients.config, '/api/v1/pods', () => clients.core.listPodForAllNamespaces({ labelSelector }), labelSelector)
    : makeInformer(clients.config, `/api/v1/namespaces/${namespace}/pods`, () => clients.core.listNamespacedPod({ namespace, labelSelector }), labelSelector);
}

/** How a Job ended, from its conditions; undefined while it runs. */
export type JobEnd = { succeeded: true } | { succeeded: false; reason: string; message: string };

export function jobEnd(job: V1Job): JobEnd | undefined {
  for (const c of job.status?.conditions ?? []) {
    if (c.status !== 'True') continue;
    if (c.type === 'Complete') return { succeeded: true };
    if (c.type === 'Failed') return { succeeded: false, reason: c.reason ?? 'Failed', message: c.message ?? '' };
  }
  return undefined;
}

/** `reason: message`, or the one that is there. */
export const describeJobFailure = (end: { reason: string; message: string }): string => (end.message === '' ? end.reason : `${end.reason}: ${end.message}`);

/** `namespace/name`, the key of an object in the runners' tables. */
export const keyOf = (namespace: string, name: string): string => `${namespace}/${name}`;

/** The key of a watched object. */
export const objectKey = (o: KubernetesObject): string => keyOf(o.metadata?.namespace ?? '', o.metadata?.name ?? '');

/** Calls `observe` for every Job the watch reports; `deleted` is true for deletions. */
export function followJobs(jobs: WatchedObjects<V1Job>, observe: (job: V1Job, deleted: boolean) => void): void {
  jobs.on('add', (job) => observe(job, false));
  jobs.on('update', (job) => observe(job, false));
  jobs.on('delete', (job) => observe(job, true));
}
