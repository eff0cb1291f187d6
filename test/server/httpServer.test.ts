import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { silentLogger } from '../../src/runtime/log.js';
import { startServer } from '../../src/server/httpServer.js';
import { createMetrics } from '../../src/server/metrics.js';
import { install, selfSigned, servedCommonName } from './certs.js';
import { ALICE_TOKEN, bearer, healthy, observation, postObservations, startTestServer, type TestServer } from './fixtures.js';

/** Resolves once `condition` holds (checked every 10 ms). */
const until = async (condition: () => boolean) => {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
};

describe('the HTTP server', () => {
  const servers: { close(): Promise<void> }[] = [];
  const start = async (...args: Parameters<typeof startTestServer>) => {
    const server = await startTestServer(...args);
    servers.push(server);
    return server;
  };
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.close();
  });
  const get = (server: TestServer, path: string, init: RequestInit = {}) => fetch(`${server.url}${path}`, init);

  describe('routing', () => {
    it('answers 404 to an unknown path', async () => {
      const response = await get(await start(), '/v1/nothing');
      expect(response.status).toBe(404);
      expect(await response.text()).toBe('not found\n');
    });

    it('answers 405 with Allow to a known path with another method', async () => {
      const server = await start();
      const post = await get(server, '/metrics', { method: 'POST' });
      expect(post.status).toBe(405);
      expect(post.headers.get('allow')).toBe('GET, HEAD');
      const getObservations = await get(server, '/v1/observations');
      expect(getObservations.status).toBe(405);
      expect(getObservations.headers.get('allow')).toBe('POST');
    });

    it('ignores the query string', async () => {
      expect((await get(await start(), '/healthz?verbose')).status).toBe(200);
    });

    it('answers HEAD like GET, without a body', async () => {
      const response = await get(await start(), '/readyz', { method: 'HEAD' });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('');
    });

    it('has no observation endpoint when none is configured', async () => {
      const server = await start({ observations: undefined });
      expect((await postObservations(server, observation(), bearer(ALICE_TOKEN))).status).toBe(404);
    });
  });

  describe('GET /metrics', () => {
    it('serves the registry in the Prometheus text format, without authentication', async () => {
      const server = await start();
      server.metrics.reconcilePasses.inc({ result: 'ok' });
      const response = await get(server, '/metrics');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await response.text();
      expect(text).toContain('# HELP homeostat_reconcile_passes_total');
      expect(text).toContain('homeostat_reconcile_passes_total{result="ok"} 1');
    });
  });

  describe('GET /healthz and /readyz', () => {
    it('answer 200 ok when all is well', async () => {
      const server = await start();
      for (const path of ['/healthz', '/readyz']) {
        const response = await get(server, path);
        expect([response.status, await response.text()]).toEqual([200, 'ok\n']);
      }
    });

    it('/healthz answers 503 naming the stale watches', async () => {
      const server = await start({ health: { ...healthy, watchesFresh: () => ({ ok: false, stale: ['jobs', 'expectations'] }) } });
      const response = await get(server, '/healthz');
      expect([response.status, await response.text()]).toEqual([503, 'stale watches: jobs, expectations\n']);
      expect((await get(server, '/readyz')).status).toBe(200);
    });

    it('/readyz answers 503 until the caches have synced', async () => {
      let synced = false;
      const server = await start({ health: { ...healthy, synced: () => synced } });
      const before = await get(server, '/readyz');
      expect([before.status, await before.text()]).toEqual([503, 'the caches have not synced yet\n']);
      expect((await get(server, '/healthz')).status).toBe(200);
      synced = true;
      expect((await get(server, '/readyz')).status).toBe(200);
    });

    it('a callback that throws fails its probe with the error', async () => {
      const server = await start({
        health: {
          watchesFresh: () => {
            throw new Error('no informers');
          },
          synced: () => {
            throw new Error('no informers');
          },
        },
      });
      const live = await get(server, '/healthz');
      expect([live.status, await live.text()]).toEqual([503, 'checking the watches failed: no informers\n']);
      const ready = await get(server, '/readyz');
      expect([ready.status, await ready.text()]).toEqual([503, 'checking the caches failed: no informers\n']);
    });
  });

  describe('close()', () => {
    it('lets a request in flight finish, then stops listening', async () => {
      const server = await startTestServer();
      let release: () => void = () => undefined;
      server.delivered.next = () => new Promise((resolve) => (release = () => resolve({ status: 'accepted', accepted: 1, ignored: [] })));
      const inFlight = postObservations(server, observation(), bearer(ALICE_TOKEN));
      while (server.delivered.calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      let closed = false;
      const closing = server.close().then(() => (closed = true));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(closed).toBe(false);
      await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
      release();
      expect((await inFlight).status).toBe(202);
      await closing;
      expect(closed).toBe(true);
    });

    it('does not wait for idle keep-alive connections', async () => {
      const server = await startTestServer({ closeGraceMs: 20_000 });
      expect((await get(server, '/healthz')).status).toBe(200);
      const started = Date.now();
      await server.close();
      expect(Date.now() - started).toBeLessThan(1_000);
    });

    it('cuts a request that outlives the grace period', async () => {
      const server = await startTestServer({ closeGraceMs: 100 });
      server.delivered.next = () => new Promise(() => undefined);
      const stuck = postObservations(server, observation(), bearer(ALICE_TOKEN));
      while (server.delivered.calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      await server.close();
      await expect(stuck).rejects.toThrow();
    });

    it('is idempotent', async () => {
      const server = await startTestServer();
      await Promise.all([server.close(), server.close()]);
      await server.close();
    });
  });

  it('rejects when the port is taken', async () => {
    const first = await start();
    await expect(startServer({ port: first.port, host: '127.0.0.1', metrics: createMetrics({ processMetrics: false }), health: healthy, log: silentLogger() })).rejects.toThrow(/EADDRINUSE/);
  });

  describe('over TLS', () => {
    let dir: string | undefined;
    afterEach(() => {
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    });

    it('serves HTTPS with the certificate given', async () => {
      dir = mkdtempSync(join(tmpdir(), 'homeostat-tls-'));
      const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
      // A throwaway self-signed certificate for 127.0.0.1.
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=homeostat', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
      const server = await start({ tls: { cert: readFileSync(cert), key: readFileSync(key) } });
      expect(server.url).toBe(`https://127.0.0.1:${server.port}`);
      const body = await new Promise<string>((resolve, reject) => {
        httpsRequest(`${server.url}/healthz`, { ca: readFileSync(cert) }, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolve(`${res.statusCode} ${text}`));
        })
          .on('error', reject)
          .end();
      });
      expect(body).toBe('200 ok\n');
    });

    it('serves a rotated certificate to new connections without a restart, and keeps the last good pair when the files do not match', async () => {
      dir = mkdtempSync(join(tmpdir(), 'homeostat-tls-'));
      const live = selfSigned(dir, 'live', 'first');
      let reloads = 0;
      let reloaded: () => void = () => undefined;
      const nextReload = () => new Promise<void>((resolve) => (reloaded = resolve));
      const server = await start({ tls: { certFile: live.cert, keyFile: live.key, reloadIntervalMs: 20 }, onTlsReload: () => (reloads++, reloaded()) });
      expect(await servedCommonName(server.port)).toBe('first');

      let next = nextReload();
      install(selfSigned(dir, 'next', 'second'), live);
      await next;
      expect(await servedCommonName(server.port)).toBe('second');

      // A key of another certificate: not loadable, so 'second' keeps serving.
      const other = selfSigned(dir, 'other', 'third');
      renameSync(other.key, live.key);
      await until(() => server.logText().includes('the changed TLS files do not load'));
      expect(await servedCommonName(server.port)).toBe('second');
      expect(reloads).toBe(1);
      // The matching certificate arrives: served.
      next = nextReload();
      renameSync(other.cert, live.cert);
      await next;
      expect(await servedCommonName(server.port)).toBe('third');
    });

    it('refuses to start with a key that does not match the certificate, naming the files', async () => {
      dir = mkdtempSync(join(tmpdir(), 'homeostat-tls-'));
      const a = selfSigned(dir, 'a', 'a');
      const b = selfSigned(dir, 'b', 'b');
      await expect(start({ tls: { certFile: a.cert, keyFile: b.key } })).rejects.toThrow(`the TLS certificate ${a.cert} and key ${b.key}:`);
      await expect(start({ tls: { certFile: join(dir, 'missing.crt'), keyFile: b.key } })).rejects.toThrow(`cannot read the TLS certificate ${join(dir, 'missing.crt')}`);
    });
  });
});
