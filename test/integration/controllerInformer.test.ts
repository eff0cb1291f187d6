// ResilientInformer against a real API server, through a TCP proxy the test can cut: a watch
// that dies with a network error (which stops client-node's ListWatch for good) is restarted with
// backoff, and what changed while it was down (an object added, one deleted) is seen afterwards.
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { CoreV1Api, KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { kubeInformerFactory, ResilientInformer } from '../../src/kube/resilientInformer.js';
import { silentLogger } from '../../src/runtime/log.js';
import { cluster, createNamespace, describeIntegration, eventually } from './harness/cluster.js';

/** A TCP proxy to the API server that can drop every connection and refuse new ones. */
class CuttableProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = tcpConnect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** Every connection is reset, and new ones are refused until open() again. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.resetAndDestroy();
    await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  }
}

describeIntegration('ResilientInformer: a cut watch resumes', () => {
  let ns: string;
  let proxy: CuttableProxy;
  let informer: ResilientInformer<V1ConfigMap>;
  const events: string[] = [];
  const core = () => cluster().kubeConfig.makeApiClient(CoreV1Api);
  const create = (name: string) => core().createNamespacedConfigMap({ namespace: ns, body: { metadata: { name }, data: { a: '1' } } });

  beforeAll(async () => {
    ns = await createNamespace('informer');
    const server = new URL(cluster().kubeConfig.getCurrentCluster()?.server ?? '');
    proxy = new CuttableProxy({ host: server.hostname, port: Number(server.port) });
    await proxy.open();
    // The same credentials, through the proxy (the serving certificate is for 127.0.0.1 either way).
    const config = new KubeConfig();
    config.loadFromString(JSON.stringify({ ...JSON.parse(cluster().kubeConfig.exportConfig()), clusters: cluster().kubeConfig.clusters.map((c) => ({ name: c.name, cluster: { server: `https://127.0.0.1:${proxy.port}`, 'certificate-authority-data': undefined, 'certificate-authority': c.caFile } })) }));
    const api = config.makeApiClient(CoreV1Api);
    informer = new ResilientInformer<V1ConfigMap>({
      resource: 'configmaps',
      log: silentLogger(),
      restartInitialMs: 200,
      restartMaxMs: 1_000,
      factory: kubeInformerFactory<V1ConfigMap>({ config, path: `/api/v1/namespaces/${ns}/configmaps`, list: () => api.listNamespacedConfigMap({ namespace: ns }) }),
    });
    for (const e of ['add', 'update', 'delete'] as const) informer.on(e, (cm) => events.push(`${e} ${cm.metadata?.name}`));
  });

  afterAll(async () => {
    await informer?.stop();
    await proxy?.cut();
  });

  it('syncs, loses its connection, restarts with backoff, and sees what changed meanwhile', async () => {
    await create('before');
    informer.start();
    await informer.whenSynced();
    expect(informer.list().map((c) => c.metadata?.name)).toContain('before');
    const lastBefore = informer.lastEventAt ?? 0;

    await proxy.cut();
    await create('during');
    await core().deleteNamespacedConfigMap({ namespace: ns, name: 'before' });
    // While cut, restarts fail and back off (200 ms, 400 ms, ...).
    await eventually(async () => expect(informer.restarts).toBeGreaterThanOrEqual(2), 10_000);
    await proxy.open();

    await eventually(async () => {
      expect(events).toContain('add during');
      expect(events).toContain('delete before');
    }, 15_000);
    await create('after');
    await eventually(async () => expect(events).toContain('add after'), 10_000);
    expect(informer.lastEventAt).toBeGreaterThan(lastBefore);
    expect(informer.list().map((c) => c.metadata?.name).sort()).toEqual(expect.arrayContaining(['after', 'during']));
    expect(informer.list().map((c) => c.metadata?.name)).not.toContain('before');
  });
});
