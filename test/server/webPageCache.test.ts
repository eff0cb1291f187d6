// The page's files are revalidated, not downloaded again: a browser that has the current app.js or
// layout-worker.js (1.5 MB, ELK) gets 304 and keeps what it compiled; after a `make build` it gets
// the new file at once.
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { webPageRoutes } from '../../src/server/webPage.js';

describe('the web page files', () => {
  let dir: string;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'homeostat-webpage-'));
    for (const file of ['index.html', 'app.js', 'layout-worker.js', 'app.css']) writeFileSync(join(dir, file), `/* ${file} v1 */`);
    const routes = webPageRoutes(dir);
    server = createServer((req, res) => {
      const route = routes.find((r) => r.path === req.url);
      if (route === undefined) return void res.writeHead(404).end();
      void route.handle(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address() as { port: number };
    base = `http://127.0.0.1:${address.port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('a file the browser has is answered 304 with no body; a rebuilt one is sent again', async () => {
    const first = await fetch(`${base}/layout-worker.js`);
    expect(first.status).toBe(200);
    expect(await first.text()).toBe('/* layout-worker.js v1 */');
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^".+"$/);
    expect(first.headers.get('cache-control')).toBe('no-cache');

    const again = await fetch(`${base}/layout-worker.js`, { headers: { 'If-None-Match': etag as string } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    // The page's protections hold on a 304 too.
    expect(again.headers.get('content-security-policy')).toContain("default-src 'none'");

    writeFileSync(join(dir, 'layout-worker.js'), '/* layout-worker.js v2, rebuilt */');
    const rebuilt = await fetch(`${base}/layout-worker.js`, { headers: { 'If-None-Match': etag as string } });
    expect(rebuilt.status).toBe(200);
    expect(await rebuilt.text()).toBe('/* layout-worker.js v2, rebuilt */');
    expect(rebuilt.headers.get('etag')).not.toBe(etag);
  });

  it('a missing file says to build the page', async () => {
    rmSync(join(dir, 'app.css'));
    const missing = await fetch(`${base}/app.css`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toMatch(/app\.css is missing; run make build/);
  });
});
