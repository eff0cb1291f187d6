/**
 * Debian's chromium for the browser tests (hack/deps/apt.sh chromium installs it; playwright-core
 * drives it, no browser download). Without it the tests skip loudly, or fail with CI=true.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { WEB_DIR } from '../../src/server/webPage.js';
import type { Unavailable } from '../services/types.js';

export type Chromium = { available: true; executablePath: string };

const CANDIDATES = [process.env.HOMEOSTAT_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => p !== undefined && p !== '');

export function findChromium(): Chromium | Unavailable {
  const found = CANDIDATES.find((p) => existsSync(p));
  if (found !== undefined) return { available: true, executablePath: found };
  return { available: false, service: 'chromium', reason: `none of ${CANDIDATES.join(', ')} exists; run hack/deps/apt.sh chromium (as root), or set HOMEOSTAT_CHROMIUM` };
}

/** Where the browser tests save their screenshots (gitignored). */
export const ARTIFACTS = join(import.meta.dirname, '../../test-artifacts');

/**
 * Headless Chromium for a browser test, once the page's bundle `webFile` (under dist/web) is built:
 * without it every test would fail on a blank page, so say what to run instead.
 */
export async function launchForTests(found: Chromium, webFile: string): Promise<Browser> {
  if (!existsSync(join(WEB_DIR, webFile))) throw new Error(`${WEB_DIR}${webFile} is missing: run make build (it bundles web/ into dist/web)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({ executablePath: found.executablePath, args: ['--no-sandbox'] });
}
