import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { HttpMethod, KubeConfig, RequestContext } from '@kubernetes/client-node';
import { PooledKubeConfig } from '../../src/kube/client.js';

// Not a real certificate: nothing here connects, the requests are only prepared.
const CA = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';

describe('PooledKubeConfig: what each request pays', () => {
  let dir: string;
  let config: PooledKubeConfig;
  const prepare = async () => {
    const context = new RequestContext('https://127.0.0.1:6443/api/v1/namespaces', HttpMethod.GET);
    await config.applySecurityAuthentication(context);
    return context;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pooled-kubeconfig-'));
    writeFileSync(join(dir, 'ca.crt'), CA);
    writeFileSync(
      join(dir, 'kubeconfig'),
      [
        'apiVersion: v1',
        'kind: Config',
        `clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443", certificate-authority: ${join(dir, 'ca.crt')}}}]`,
        'users: [{name: u, user: {token: secret-token}}]',
        'contexts: [{name: x, context: {cluster: c, user: u}}]',
        'current-context: x',
      ].join('\n'),
    );
    config = new PooledKubeConfig();
    config.loadFromFile(join(dir, 'kubeconfig'));
  });
  afterEach(() => {
    jest.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every request carries the credentials and the one shared connection pool', async () => {
    const contexts = [await prepare(), await prepare(), await prepare()];
    for (const context of contexts) expect(context.getHeaders()['Authorization']).toBe('Bearer secret-token');
    expect(contexts[0]?.getDispatcher()).toBeDefined();
    expect(new Set(contexts.map((c) => c.getDispatcher())).size).toBe(1);
  });

  it('builds a dispatcher for the first request only, not one to throw away per request', async () => {
    const built = jest.spyOn(KubeConfig.prototype, 'createDispatcherOptions');
    for (let i = 0; i < 5; i++) await prepare();
    expect(built).toHaveBeenCalledTimes(1);
  });

  it('reads the CA file once: later requests do not depend on it (the pool already holds it)', async () => {
    await prepare();
    rmSync(join(dir, 'ca.crt'));
    const later = await prepare();
    expect(later.getHeaders()['Authorization']).toBe('Bearer secret-token');
  });
});
