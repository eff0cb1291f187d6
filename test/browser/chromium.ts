/**
 * Debian's chromium for the browser tests (hack/deps/apt.sh chromium installs it; playwright-core
 * drives it, no browser download). Without it the tests skip loudly, or fail with CI=true.
 */
import { existsSync } from 'node:fs';
import type { Unavailable } from '../services/types.js';

export type Chromium = { available: true; executablePath: string };

const CANDIDATES = [process.env.HOMEOSTAT_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => p !== undefined && p !== '');

export function findChromium(): Chromium | Unavailable {
  const found = CANDIDATES.find((p) => existsSync(p));
  if (found !== undefined) return { available: true, executablePath: found };
  return { available: false, service: 'chromium', reason: `none of ${CANDIDATES.join(', ')} exists; run hack/deps/apt.sh chromium (as root), or set HOMEOSTAT_CHROMIUM` };
}
