// The Node/V8 flags and the environment the controller runs with, read from the one place each is set
// (hack/image/controller-node-flags: the image's entrypoint is `node <these flags> main.js`;
// hack/image/controller-env: the image's config env), so a benchmark runs the engine and the
// controller as the image does.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const IMAGE_DIR = join(import.meta.dirname, '..', 'hack', 'image');

/** Lines that are not blank nor # comments. */
function lines(file: string): string[] {
  return readFileSync(join(IMAGE_DIR, file), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** The image's flags. */
export function imageNodeFlags(): string[] {
  return lines('controller-node-flags');
}

/** Debian's multiarch directory names, as hack/image/lib.sh's multiarch() has them. */
const MULTIARCH: Partial<Record<NodeJS.Architecture, string>> = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' };

/** The image's environment for this machine's architecture (that of the images `make image` builds here). */
export function imageEnv(): Record<string, string> {
  const multiarch = MULTIARCH[process.arch];
  if (multiarch === undefined) throw new Error(`no Debian multiarch name for ${process.arch}`);
  return Object.fromEntries(
    lines('controller-env').map((line) => {
      const eq = line.indexOf('=');
      return [line.slice(0, eq), line.slice(eq + 1).replaceAll('@MULTIARCH@', multiarch)];
    }),
  );
}

let hostEnv: { env: Record<string, string>; warning?: string } | undefined;

/**
 * imageEnv() for a process run on this machine: the libraries it preloads are installed with the repo's
 * installer (hack/deps/apt.sh libjemalloc2, the package hack/image/build.sh adds to the image). If one
 * cannot be had, the env goes without LD_PRELOAD (the process would run with glibc's malloc anyway,
 * ld.so only warns) and `warning` says so, for the benchmark to print loudly.
 */
export function hostImageEnv(): { env: Record<string, string>; warning?: string } {
  if (hostEnv !== undefined) return hostEnv;
  const env = imageEnv();
  const preload = (env.LD_PRELOAD ?? '').split(/[: ]/).filter((p) => p !== '');
  let missing = preload.filter((p) => !existsSync(p));
  let why = '';
  if (missing.length > 0) {
    try {
      execFileSync(join(IMAGE_DIR, '..', 'deps', 'apt.sh'), ['libjemalloc2'], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
    } catch (error) {
      why = ` (hack/deps/apt.sh libjemalloc2: ${((error as { stderr?: Buffer }).stderr?.toString() ?? (error as Error).message).trim().split('\n').pop()})`;
    }
    missing = preload.filter((p) => !existsSync(p));
  }
  if (missing.length === 0) return (hostEnv = { env });
  delete env.LD_PRELOAD;
  return (hostEnv = { env, warning: `!! NOT AS THE IMAGE: ${missing.join(', ')} is not on this machine${why}, so this runs without LD_PRELOAD, with glibc's malloc` });
}
