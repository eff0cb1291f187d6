// What a kubelet gives a Deployment's Pod, for the tests and benchmarks that play the kubelet with
// runImage (harness/runImage.ts): the container's command, args and env as the Deployment says
// (fieldRefs resolved for the Pod), the in-cluster config's KUBERNETES_SERVICE_HOST/PORT, and the
// ServiceAccount's projected volume at /var/run/secrets/kubernetes.io/serviceaccount (a bound
// token from the TokenRequest API with the API server's default audience, the cluster CA, the
// namespace). No jest here: bench/ imports it from plain scripts.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig, V1Deployment } from '@kubernetes/client-node';
import type { Cluster } from './controlPlane.js';
import type { Mount } from './runImage.js';

/** Where the kubelet mounts a Pod's ServiceAccount token, CA and namespace. */
export const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface ServiceAccountFiles {
  /** The directory on the host: token, ca.crt, namespace. */
  dir: string;
  /** Its mount at SA_DIR (read-only, as a projected volume). */
  mount: Mount;
  /** Removes the directory. Idempotent. */
  remove(): void;
}

/**
 * A ServiceAccount's projected volume, as the kubelet writes it: a bound token (`kubectl create
 * token`, the API server's default audience), the cluster's CA (the kubeconfig's CA file) and the
 * ServiceAccount's namespace, in a fresh directory readable by the container's user (as the
 * kubelet makes the volume for runAsUser).
 */
export async function serviceAccountFiles(cluster: Cluster, serviceAccount: string, namespace: string, duration = '1h'): Promise<ServiceAccountFiles> {
  const created = await cluster.kubectl(['create', 'token', serviceAccount, '-n', namespace, `--duration=${duration}`]);
  if (created.code !== 0) throw new Error(`kubectl create token ${serviceAccount} -n ${namespace} failed (exit ${created.code}):\n${created.stderr}`);
  const caFile = cluster.kubeConfig.getCurrentCluster()?.caFile;
  if (caFile === undefined) throw new Error('the kubeconfig names no CA file');
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-sa-'));
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'token'), created.stdout.trim(), { mode: 0o644 });
  writeFileSync(join(dir, 'ca.crt'), readFileSync(caFile));
  writeFileSync(join(dir, 'namespace'), namespace);
  return { dir, mount: { source: dir, destination: SA_DIR }, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** KUBERNETES_SERVICE_HOST and _PORT for the kubeconfig's API server: what the in-cluster config reads. */
export function inClusterEnv(kubeConfig: KubeConfig): Record<string, string> {
  const server = kubeConfig.getCurrentCluster()?.server;
  if (server === undefined) throw new Error('the kubeconfig names no server');
  const url = new URL(server);
  return { KUBERNETES_SERVICE_HOST: url.hostname, KUBERNETES_SERVICE_PORT: url.port || '443' };
}

/** A free TCP port on 127.0.0.1 (the containers share the host's network namespace). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface PodIdentity {
  name: string;
  namespace: string;
  /** status.podIP; default 127.0.0.1 (the host's network namespace). */
  ip?: string;
}

/** One container of a Deployment's Pod template, as runImage takes it. */
export interface PodContainer {
  /** The container's command (replaces the image's entrypoint), when the template sets one. */
  command?: string[];
  /** The container's args (replace the image's cmd), when the template sets them. */
  args?: string[];
  /** Its env, fieldRefs resolved for `pod`. */
  env: Record<string, string>;
  /** The Pod's ServiceAccount (spec.serviceAccountName, else default). */
  serviceAccountName: string;
}

/**
 * The container `container` (default: the first) of a Deployment's Pod template, as the Pod `pod`
 * would run it. Env values are taken as they are and fieldRefs to metadata.name,
 * metadata.namespace and status.podIP resolved; other sources (secretKeyRef, configMapKeyRef,
 * resourceFieldRef, other fields) and envFrom throw, since nothing here could resolve them.
 */
export function podOfDeployment(deployment: V1Deployment, pod: PodIdentity, container?: string): PodContainer {
  const spec = deployment.spec?.template.spec;
  const containers = spec?.containers ?? [];
  const c = container === undefined ? containers[0] : containers.find((x) => x.name === container);
  const what = `Deployment ${deployment.metadata?.namespace}/${deployment.metadata?.name}`;
  if (c === undefined) throw new Error(`${what} has no container ${container ?? ''}`.trim());
  if ((c.envFrom ?? []).length > 0) throw new Error(`${what}: container ${c.name} has envFrom, which podOfDeployment does not resolve`);
  const fields: Record<string, string> = { 'metadata.name': pod.name, 'metadata.namespace': pod.namespace, 'status.podIP': pod.ip ?? '127.0.0.1' };
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) {
    if (e.valueFrom === undefined) {
      env[e.name] = e.value ?? '';
      continue;
    }
    const path = e.valueFrom.fieldRef?.fieldPath;
    const value = path === undefined ? undefined : fields[path];
    if (value === undefined) throw new Error(`${what}: env ${e.name} comes from ${JSON.stringify(e.valueFrom)}, which podOfDeployment does not resolve`);
    env[e.name] = value;
  }
  return {
    ...(c.command !== undefined ? { command: c.command } : {}),
    ...(c.args !== undefined ? { args: c.args } : {}),
    env,
    serviceAccountName: spec?.serviceAccountName ?? 'default',
  };
}

export interface SecretVolumeFiles {
  /** One mount per Secret volume the container mounts, at its mountPath (read-only). */
  mounts: Mount[];
  /** Each mountPath's files on the host, by mountPath. */
  dirs: Record<string, string>;
  /** Removes the directories. Idempotent. */
  remove(): void;
}

/**
 * The Secret volumes of a Deployment's first container, as the kubelet writes them: every key of
 * the Secret a file in a fresh directory (readable by the container's user), mounted at the
 * volumeMount's path. Other volume kinds are left out (the tests give what they need themselves).
 */
export async function secretVolumeFiles(cluster: Cluster, deployment: V1Deployment): Promise<SecretVolumeFiles> {
  const spec = deployment.spec?.template.spec;
  const namespace = deployment.metadata?.namespace ?? 'default';
  const dirs: Record<string, string> = {};
  for (const vm of spec?.containers[0]?.volumeMounts ?? []) {
    const secretName = spec?.volumes?.find((v) => v.name === vm.name)?.secret?.secretName;
    if (secretName === undefined) continue;
    const got = await cluster.kubectl(['get', 'secret', secretName, '-n', namespace, '-o', 'json']);
    if (got.code !== 0) throw new Error(`kubectl get secret ${secretName} -n ${namespace} failed (exit ${got.code}):\n${got.stderr}`);
    const data = (JSON.parse(got.stdout) as { data?: Record<string, string> }).data ?? {};
    const dir = mkdtempSync(join(tmpdir(), 'homeostat-secret-'));
    chmodSync(dir, 0o755);
    for (const [key, value] of Object.entries(data)) writeFileSync(join(dir, key), Buffer.from(value, 'base64'), { mode: 0o644 });
    dirs[vm.mountPath] = dir;
  }
  return {
    mounts: Object.entries(dirs).map(([destination, source]) => ({ source, destination })),
    dirs,
    remove: () => Object.values(dirs).forEach((d) => rmSync(d, { recursive: true, force: true })),
  };
}
