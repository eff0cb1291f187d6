// jest globalTeardown of jest.integration.config.js: stops the shared control plane. Jest runs it
// after failed tests too; if jest itself dies, the reaper started with the control plane cleans up.
// Loaded natively like globalSetup.ts, hence tsx for the harness.
import { tsImport } from 'tsx/esm/api';
import type * as EnvModule from './env.js';

export default async function globalTeardown(): Promise<void> {
  await globalThis.__homeostatControlPlane?.stop();
  globalThis.__homeostatControlPlane = undefined;
  const { SKIPPED_ENV, skippedBanner } = (await tsImport('./env.ts', import.meta.url)) as typeof EnvModule;
  // Again after jest's summary, where it cannot be missed.
  const skipped = process.env[SKIPPED_ENV];
  if (skipped !== undefined) console.warn(skippedBanner(skipped));
}
