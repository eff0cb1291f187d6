/**
 * Tests that need a real server: run them when it started, else skip LOUDLY (a banner on stderr),
 * and with CI=true fail instead: CI must not pass by skipping.
 *
 *   const s3 = await startS3Server();
 *   afterAll(() => s3.available && s3.stop());
 *   describeWith(s3, 'checker-s3-objects', (server) => { it('...', async () => { ...server.endpoint... }); });
 */
import { describe, it } from '@jest/globals';
import type { Unavailable } from './types.js';

/** `describe(name, () => body(server))` when the server is available; else a loud skip, or a failure on CI. */
export function describeWith<T extends { available: true }>(server: T | Unavailable, name: string, body: (server: T) => void): void {
  if (server.available) {
    describe(name, () => body(server));
    return;
  }
  const line = `${server.service} unavailable: ${server.reason}`;
  if (process.env.CI === 'true') {
    describe(name, () => {
      it(`needs ${server.service} (CI=true: a missing service fails)`, () => {
        throw new Error(line);
      });
    });
    return;
  }
  const bar = '!'.repeat(Math.min(100, line.length + 8));
  process.stderr.write(`\n${bar}\n!!! SKIPPED: ${name}\n!!! ${line}\n!!! (with CI=true this fails)\n${bar}\n\n`);
  describe.skip(`${name} [SKIPPED: ${line}]`, () => {
    it('needs its service', () => undefined);
  });
}
