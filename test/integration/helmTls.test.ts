// The chart's TLS and NetworkPolicy on a real API server: by default `helm install` generates a
// self-signed CA and a serving certificate for the controller's Service name into a Secret, which
// the Deployment mounts and passes to --tls-cert-file/--tls-private-key-file, with HTTPS probes and
// an https advertise URL; `helm upgrade` keeps that certificate (callers trust its CA); the pair
// really serves the controller's HTTPS (started here on it); and a NetworkPolicy admits the
// controller port from Pods in the cluster only. No kubelet: Pods never run.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { silentLogger } from '../../src/runtime/log.js';
import { startServer } from '../../src/server/httpServer.js';
import { createMetrics } from '../../src/server/metrics.js';
import { cluster, createNamespace, describeIntegration, must } from './harness/cluster.js';
import { CHART, findHelm, Helm } from './harness/helm.js';

const helmPath = findHelm();
const describeHelm = helmPath === undefined ? describe.skip : describeIntegration;

interface TlsSecret {
  type: string;
  data: Record<'ca.crt' | 'tls.crt' | 'tls.key', string>;
}

describeHelm('helm: TLS and the NetworkPolicy of the chart', () => {
  const release = `tls-${Math.random().toString(36).slice(2, 8)}`;
  const controller = `${release}-homeostat-controller`;
  let ns: string;
  let runner: Helm;
  let dir: string;
  const getJson = async <T>(args: string[]) => JSON.parse((await must(cluster().kubectl(['get', ...args, '-o', 'json']))).stdout) as T;
  const secret = () => getJson<TlsSecret>(['secret', `${controller}-tls`, '-n', ns]);
  const pem = (s: TlsSecret, key: keyof TlsSecret['data']) => Buffer.from(s.data[key], 'base64');

  beforeAll(async () => {
    runner = new Helm(helmPath as string, cluster().kubeconfigPath);
    ns = await createNamespace('helm-tls');
    dir = mkdtempSync(join(tmpdir(), 'homeostat-helm-tls-'));
    // The CRDs belong to helm.test.ts's release; this one installs none.
    await runner.run(['install', release, CHART, '-n', ns, '--set', 'crds.install=false']);
  });
  afterAll(async () => {
    await runner?.run(['uninstall', release, '-n', ns]).catch(() => undefined);
    runner?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('generates a serving certificate for the Service name, signed by a CA it keeps beside it', async () => {
    const s = await secret();
    expect(s.type).toBe('kubernetes.io/tls');
    const cert = new X509Certificate(pem(s, 'tls.crt'));
    const ca = new X509Certificate(pem(s, 'ca.crt'));
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.verify(ca.publicKey)).toBe(true);
    for (const host of [`${controller}.${ns}.svc`, `${controller}.${ns}.svc.cluster.local`, controller]) expect(cert.checkHost(host)).toBe(host);
  });

  it('mounts it into the controller, which serves HTTPS: flags, HTTPS probes, an https advertise URL', async () => {
    const deployment = await getJson<{ spec: { template: { spec: { volumes: { name: string; secret?: { secretName: string } }[]; containers: { args: string[]; volumeMounts: { mountPath: string }[]; readinessProbe: { httpGet: { scheme: string } } }[] } } } }>(['deployment', controller, '-n', ns]);
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0]!;
    expect(container.args).toEqual(expect.arrayContaining([`--advertise-url=https://${controller}.${ns}.svc:8080`, '--tls-cert-file=/etc/homeostat/tls/tls.crt', '--tls-private-key-file=/etc/homeostat/tls/tls.key', '--tls-reload-interval=10s']));
    expect(container.volumeMounts).toEqual(expect.arrayContaining([expect.objectContaining({ mountPath: '/etc/homeostat/tls' })]));
    expect(pod.volumes).toEqual(expect.arrayContaining([expect.objectContaining({ secret: expect.objectContaining({ secretName: `${controller}-tls` }) })]));
    expect(container.readinessProbe.httpGet.scheme).toBe('HTTPS');
  });

  it('the generated pair serves the controller: a client trusting the CA reaches it by its Service name', async () => {
    const s = await secret();
    const [certFile, keyFile] = [join(dir, 'tls.crt'), join(dir, 'tls.key')];
    writeFileSync(certFile, pem(s, 'tls.crt'));
    writeFileSync(keyFile, pem(s, 'tls.key'));
    const server = await startServer({ port: 0, host: '127.0.0.1', tls: { certFile, keyFile }, metrics: createMetrics({ processMetrics: false }), health: { watchesFresh: () => ({ ok: true, stale: [] }), synced: () => true }, log: silentLogger() });
    try {
      const status = await new Promise<number>((resolve, reject) => {
        request({ host: '127.0.0.1', port: server.port, path: '/healthz', servername: `${controller}.${ns}.svc`, ca: pem(s, 'ca.crt') }, (res) => resolve(res.resume().statusCode ?? 0))
          .on('error', reject)
          .end();
      });
      expect(status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('admits the controller port from Pods in the cluster only (every namespace is watched)', async () => {
    const policy = await getJson<{ spec: { policyTypes: string[]; ingress: { ports: { port: string }[]; from: Record<string, unknown>[] }[] } }>(['networkpolicy', controller, '-n', ns]);
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
    expect(policy.spec.ingress).toEqual([{ ports: [{ port: 'https', protocol: 'TCP' }], from: [{ namespaceSelector: {} }] }]);
  });

  it('helm upgrade keeps the certificate: callers that trust its CA keep trusting it', async () => {
    const before = await secret();
    await runner.run(['upgrade', release, CHART, '-n', ns, '--set', 'crds.install=false', '--set', 'logLevel=debug']);
    const after = await secret();
    expect(after.data).toEqual(before.data);
  });
});
