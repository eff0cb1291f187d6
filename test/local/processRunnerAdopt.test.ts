// After a restart, the embedded runner tells an action that never started (a lease saved, no
// process record: Homeostat stopped in between) from one that ran and ended while nobody watched.
import { afterAll, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lease } from '../../src/engine/index.js';
import { LocalActionRunner } from '../../src/local/processRunner.js';
import { ProcessTable } from '../../src/local/processTable.js';
import { silentLogger } from '../../src/runtime/log.js';
import type { ActionEnd } from '../../src/runtime/ports.js';

const dir = mkdtempSync(join(tmpdir(), 'homeostat-adopt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lease = (action: string): Lease => ({ node: `Expectation/default/x|day=${action}`, attempt: 1, holder: 'dev', action, acquiredAt: Date.now() - 1000, expiresAt: Date.now() + 60_000 });

it('reports notStarted for a lease whose process was never spawned, and lost for one that ended unwatched', async () => {
  const table = new ProcessTable(join(dir, 'processes.json'));
  // A process that ran and is gone: a pid no process has (above the largest pid_max Linux allows, 2^22).
  table.add({ action: 'ended', node: 'n', attempt: 1, pid: 4_194_305, program: process.execPath, startedAt: Date.now() - 1000 });
  // Ran and ended: its record was removed at its end, its log file is there.
  writeFileSync(join(dir, 'finished.log'), 'done\n');
  const runner = new LocalActionRunner({ cwd: dir, logDir: dir, table, log: silentLogger() });
  const ends: ActionEnd[] = [];
  runner.onEnded((e) => ends.push(e));

  await runner.adopt([lease('never'), lease('ended'), lease('finished')]);

  expect(ends.map((e) => [e.action, e.outcome])).toEqual([
    ['never', 'notStarted'],
    ['ended', 'lost'],
    ['finished', 'lost'],
  ]);
});
