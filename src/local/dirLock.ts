import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { lock } from 'proper-lockfile';
import type { Logger } from '../runtime/log.js';

/**
 * One embedded controller per state directory: two would both launch the same actions and
 * overwrite each other's state (the cluster has leader election for this; a directory has a lock).
 * The lock file is refreshed while held and counts as stale 30 s after its holder died.
 */
export async function lockStateDir(localDir: string, log: Logger): Promise<() => Promise<void>> {
  mkdirSync(localDir, { recursive: true });
  const lockfilePath = join(localDir, 'dev.lock');
  try {
    return await lock(localDir, {
      lockfilePath,
      realpath: false,
      stale: 30_000,
      update: 10_000,
      onCompromised: (error) => log.error({ err: error, lockfilePath }, 'the state directory lock was lost: another process may be acting on it too'),
    });
  } catch (error) {
    if ((error as { code?: string }).code === 'ELOCKED') {
      throw new Error(`another homeostat dev is running with the state in ${localDir} (lock ${lockfilePath}); stop it first, or give this one another --state`);
    }
    throw error;
  }
}
