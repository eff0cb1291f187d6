/**
 * The web page (built by `make build` from web/ into dist/web) at `/`, beside the read API it
 * reads. Every answer carries a strict Content-Security-Policy: the page loads only its own
 * script, style and layout worker and talks only to this server, so no request leaves it (no CDN,
 * no fonts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Route, sendText } from './route.js';

/** dist/web of this checkout: from dist/server/ (built) and from src/server/ (tests) alike. */
export const WEB_DIR = fileURLToPath(new URL('../../dist/web/', import.meta.url));

export const CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; worker-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/layout-worker.js': { file: 'layout-worker.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

const SECURITY_HEADERS = { 'Content-Security-Policy': CONTENT_SECURITY_POLICY, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' };

export function webPageRoutes(dir: string = WEB_DIR): Route[] {
  return Object.entries(FILES).map(([path, { file, type }]) => ({
    method: 'GET' as const,
    path,
    handle(_req, res) {
      let body: Buffer;
      try {
        // Read per request: small files, and a `make build` while serving shows at once.
        body = readFileSync(join(dir, file));
      } catch {
        return sendText(res, 404, `the web page is not built: ${join(dir, file)} is missing; run make build`, SECURITY_HEADERS);
      }
      res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-cache', 'Content-Length': body.length, ...SECURITY_HEADERS }).end(body);
    },
  }));
}
