// jest globalSetup of jest.integration.config.js: starts ONE control plane for every integration
// test file (each file works in its own namespace) and hands its kubeconfig to the workers through
// the environment. When the binaries cannot be had, the tests are skipped loudly, unless CI is set.
//
// Jest imports this file natively (Node strips its types), without ts-jest and without the
// moduleNameMapper that maps './x.js' to './x.ts', so the harness is loaded through tsx, which does.
import { tsImport } from 'tsx/esm/api';
import type * as ControlPlaneModule from './controlPlane.js';
import type * as EnvModule from './env.js';

declare global {
  var __homeostatControlPlane: ControlPlaneModule.ControlPlane | undefined;
}

export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const { BinariesUnavailableError, ensureBinaries, startControlPlane } = (await tsImport('./controlPlane.ts', import.meta.url)) as typeof ControlPlaneModule;
  const { isCI, KUBECONFIG_ENV, SKIPPED_ENV, skippedBanner } = (await tsImport('./env.ts', import.meta.url)) as typeof EnvModule;
  let binDir: string;
  try {
    binDir = await ensureBinaries();
  } catch (error) {
    if (!(error instanceof BinariesUnavailableError) || isCI()) throw error;
    process.env[SKIPPED_ENV] = error.message;
    console.warn(skippedBanner(error.message));
    return;
  }
  // Not a skip reason: binaries that exist but do not start are a bug to see.
  const plane = await startControlPlane({ binDir });
  globalThis.__homeostatControlPlane = plane;
  process.env[KUBECONFIG_ENV] = plane.kubeconfigPath;
  delete process.env[SKIPPED_ENV];
  process.stderr.write(`\nenvtest: kube-apiserver on ${plane.server}, ready in ${Date.now() - started} ms\n`);
}
