/**
 * The Kubernetes side of definition sources: the objects of a namespace as the caches hold them,
 * server-side apply as the loader (never forced), deletes, the source's status, and the Secret
 * of an S3 source. Errors say what failed and where; none carries a credential.
 */
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { HomeostatObject, KindName } from '../api/types.js';
import { DIGEST_ANNOTATION, FIELD_MANAGER, type LiveObject, PRUNED_ANNOTATION, SOURCE_FILE_ANNOTATION, SOURCE_LABEL } from '../sources/model.js';
import type { S3Credentials } from '../sources/s3Reader.js';
import { describeError, type KubeClients, mergePatch, resourceOf, statusOf } from './client.js';
import { KIND_PLURALS, type RawObject } from './worldCache.js';

/** The annotation a Secret carries to let sources use it: their names, comma-separated, or `*`. */
export const CREDENTIALS_FOR_ANNOTATION = 'homeostat.dev/definition-sources';

/** An apply the API server refused because another manager owns a field with another value. */
export class ApplyConflict extends Error {}

export interface SourceApi {
  /** Every Homeostat object of the namespace, from the controller's caches. */
  live(namespace: string): LiveObject[];
  apply(object: HomeostatObject): Promise<void>;
  remove(kind: KindName, namespace: string, name: string): Promise<void>;
  /**
   * Removes the pruned annotation of a resumed object. The apply that resumes it would, but the
   * loader may no longer own the annotation: the API server drops a manager's ownership of labels
   * and annotations when another manager PUTs /status with a body that lacks them (the
   * controller's status writes), so an apply that leaves them out does not remove them.
   */
  forgetPruned(kind: KindName, namespace: string, name: string): Promise<void>;
  writeStatus(namespace: string, name: string, status: Record<string, unknown>): Promise<void>;
  /** The access key pair of a Secret that allows this source; throws with the reason otherwise. */
  credentials(namespace: string, secret: string, source: string): Promise<S3Credentials>;
}

export function kubeSourceApi(clients: KubeClients, cached: (kind: KindName, namespace: string) => RawObject[]): SourceApi {
  return {
    live: (namespace) => (Object.keys(KIND_PLURALS) as KindName[]).flatMap((kind) => cached(kind, namespace).map((raw) => liveOf(kind, raw))),
    async apply(object) {
      const { namespace = 'default', name } = object.metadata;
      try {
        await clients.custom.patchNamespacedCustomObject(
          { ...resourceOf(KIND_PLURALS[object.kind], namespace), name, body: object, fieldManager: FIELD_MANAGER, force: false },
          setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
        );
      } catch (error) {
        if (statusOf(error) === 409) throw new ApplyConflict(`${object.kind}/${name} conflicts with a change made by another manager (not forced): ${describeError(error)}`);
        throw new Error(`applying ${object.kind}/${name} failed: ${describeError(error)}`);
      }
    },
    async remove(kind, namespace, name) {
      try {
        await clients.custom.deleteNamespacedCustomObject({ ...resourceOf(KIND_PLURALS[kind], namespace), name });
      } catch (error) {
        if (statusOf(error) !== 404) throw new Error(`deleting ${kind}/${name} failed: ${describeError(error)}`);
      }
    },
    async forgetPruned(kind, namespace, name) {
      try {
        await clients.custom.patchNamespacedCustomObject({ ...resourceOf(KIND_PLURALS[kind], namespace), name, body: { metadata: { annotations: { [PRUNED_ANNOTATION]: null } } }, fieldManager: FIELD_MANAGER }, mergePatch());
      } catch (error) {
        throw new Error(`resuming ${kind}/${name} failed: ${describeError(error)}`);
      }
    },
    async writeStatus(namespace, name, status) {
      await clients.custom.patchNamespacedCustomObjectStatus({ ...resourceOf('definitionsources', namespace), name, body: { status } }, mergePatch());
    },
    async credentials(namespace, secret, source) {
      let found;
      try {
        found = await clients.core.readNamespacedSecret({ namespace, name: secret });
      } catch (error) {
        throw new Error(`Secret ${secret}: ${statusOf(error) === 404 ? 'not found' : describeError(error)}`);
      }
      const allowed = (found.metadata?.annotations?.[CREDENTIALS_FOR_ANNOTATION] ?? '').split(',').map((s) => s.trim());
      if (!allowed.includes('*') && !allowed.includes(source)) {
        throw new Error(`Secret ${secret} does not allow this source: its annotation ${CREDENTIALS_FOR_ANNOTATION} must list ${source} (or *)`);
      }
      const key = (k: string) => (found.data?.[k] !== undefined ? Buffer.from(found.data[k], 'base64').toString('utf8') : undefined);
      const accessKeyId = key('AWS_ACCESS_KEY_ID');
      const secretAccessKey = key('AWS_SECRET_ACCESS_KEY');
      if (accessKeyId === undefined || secretAccessKey === undefined) throw new Error(`Secret ${secret} lacks AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY`);
      const sessionToken = key('AWS_SESSION_TOKEN');
      return { accessKeyId, secretAccessKey, ...(sessionToken !== undefined ? { sessionToken } : {}) };
    },
  };
}

function liveOf(kind: KindName, raw: RawObject): LiveObject {
  const labels = raw.metadata?.labels ?? {};
  const annotations = raw.metadata?.annotations ?? {};
  const object = { apiVersion: raw.apiVersion, kind, metadata: raw.metadata, spec: raw.spec } as HomeostatObject;
  return {
    object,
    pruned: annotations[PRUNED_ANNOTATION] !== undefined,
    ...(labels[SOURCE_LABEL] !== undefined ? { source: labels[SOURCE_LABEL] } : {}),
    ...(annotations[SOURCE_FILE_ANNOTATION] !== undefined ? { file: annotations[SOURCE_FILE_ANNOTATION] } : {}),
    ...(annotations[DIGEST_ANNOTATION] !== undefined ? { digest: annotations[DIGEST_ANNOTATION] } : {}),
  };
}
