// helm for the integration tests: the binary hack/helm/setup.sh builds once (from the Go module
// proxy, ~1.5 min cold, then cached), and a runner with helm's caches in a directory of the test's
// own. Without helm the tests that need it are skipped loudly; with CI=true that is a failure.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './controlPlane.js';
import { isCI } from './env.js';

/** The chart, as a user installs it from the checkout. */
export const CHART = join(REPO_ROOT, 'charts/homeostat');

/** helm from hack/helm/setup.sh, or undefined when it cannot be had (throws with CI=true). */
export function findHelm(): string | undefined {
  try {
    return execFileSync(join(REPO_ROOT, 'hack/helm/setup.sh'), [], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  } catch (error) {
    if (isCI()) throw new Error(`helm is required with CI=true: hack/helm/setup.sh failed: ${String(error)}`);
    const line = '!'.repeat(78);
    console.warn(`\n${line}\n!! HELM INTEGRATION TESTS SKIPPED: hack/helm/setup.sh could not build helm\n!! (with CI=true this is a failure)\n${line}\n`);
    return undefined;
  }
}

/** Runs helm against one kubeconfig, with its cache, config and data in a temp directory. */
export class Helm {
  private readonly home = mkdtempSync(join(tmpdir(), 'homeostat-helm-'));

  constructor(
    private readonly binary: string,
    private readonly kubeconfigPath: string,
  ) {}

  /** helm's stdout; rejects with its stderr. */
  async run(args: string[]): Promise<string> {
    const env = { ...process.env, HELM_CACHE_HOME: join(this.home, 'cache'), HELM_CONFIG_HOME: join(this.home, 'config'), HELM_DATA_HOME: join(this.home, 'data') };
    try {
      const { stdout } = await promisify(execFile)(this.binary, [...args, '--kubeconfig', this.kubeconfigPath], { env, encoding: 'utf8' });
      return stdout;
    } catch (error) {
      const e = error as { stderr?: string; stdout?: string; message: string };
      throw new Error(`helm ${args.join(' ')} failed: ${e.stderr ?? ''}${e.stdout ?? ''}${e.message}`);
    }
  }

  remove(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}
