// The contract between globalSetup (jest's main process) and the test files (jest's workers):
// environment variables set before the workers start, which they inherit.

/** Path of the shared control plane's kubeconfig. */
export const KUBECONFIG_ENV = 'HOMEOSTAT_ENVTEST_KUBECONFIG';
/** Set instead when the integration tests are skipped: why. */
export const SKIPPED_ENV = 'HOMEOSTAT_INTEGRATION_SKIPPED';

/** CI=true (or any value but '', 0, false): a missing binary is then a failure, not a skip. */
export function isCI(): boolean {
  const ci = (process.env.CI ?? '').trim().toLowerCase();
  return ci !== '' && ci !== '0' && ci !== 'false';
}

export function skippedBanner(why: string): string {
  const line = '!'.repeat(78);
  return `\n${line}\n!! INTEGRATION TESTS SKIPPED: ${why}\n!! (with CI=true this is a failure; build the binaries with hack/envtest/setup.sh)\n${line}\n`;
}
