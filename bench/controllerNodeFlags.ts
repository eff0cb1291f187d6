// The Node/V8 flags the controller runs with, read from the one place they are set
// (hack/image/controller-node-flags: the image's entrypoint is `node <these flags> main.js`), so a benchmark runs the
// engine and the controller as the image does.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const FLAGS_FILE = join(import.meta.dirname, '..', 'hack', 'image', 'controller-node-flags');

/** The image's flags (lines that are not blank nor # comments). */
export function imageNodeFlags(): string[] {
  return readFileSync(FLAGS_FILE, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}
