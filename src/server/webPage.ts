/**
 * The web page (built by `make build` from web/ into dist/web) at `/`, beside the read API it
 * reads. Every answer carries a strict Content-Security-Policy: the page loads only its own
 * script, style and layout worker and talks only to this server, so no request leaves it (no CDN,
 * no fonts).
 */
import { readFileSync, statSync } from 'node:fs';
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
    handle(req, res) {
      // Read per request: small files, and a `make build` while serving shows at once. The
      // validator (size and mtime) lets a browser revalidate instead of downloading again, and
      // keep the compiled code of a script it has run (the layout worker's ELK is 1.5 MB).
      const path = join(dir, file);
      let stat: { size: number; mtimeMs: number };
      try {
        stat = statSync(path);
      } catch {
        return sendText(res, 404, `the web page is not built: ${path} is missing; run make build`, SECURITY_HEADERS);
      }
      const etag = `"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
      const headers = { 'Cache-Control': 'no-cache', ETag: etag, ...SECURITY_HEADERS };
      if (req.headers['if-none-match'] === etag) return void res.writeHead(304, headers).end();
      let body: Buffer;
      try {
        body = readFileSync(path);
      } catch {
        return sendText(res, 404, `the web page is not built: ${path} is missing; run make build`, SECURITY_HEADERS);
      }
      res.writeHead(200, { 'Content-Type': type, 'Content-Length': body.length, ...headers }).end(body);
    },
  }));
}
