// The Homeostat side: embedded mode (`homeostat dev DIR`, the built dist/cli/main.js) on the
// manifests of bench/peers/homeostat, its tasks local processes. It starts with the Dags
// declared (30 daily periods from 30 days ago): from its start to enrich's 30th run is the
// backfill. The re-run is one DagRun file for sold's old period; enrich follows by itself.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Dependent } from './figures.js';
import { rerunMs } from './figures.js';
import { TreeMonitor } from './procTree.js';
import { readRecords, waitForRecords } from './records.js';
import { backfillFigures, idleCpu, PERIODS, RERUN_INDEX, stopTree, type SystemResult } from './system.js';

const root = join(import.meta.dirname, '..', '..');
const ENRICH: Dependent = { dag: 'enrich', task: 'join', matches: 'period', upstreams: [{ dag: 'sold', task: 'load' }, { dag: 'ads', task: 'load' }] };

export async function runHomeostat(log: (line: string) => void, idleSeconds: number): Promise<SystemResult> {
  const main = join(root, 'dist', 'cli', 'main.js');
  if (!existsSync(main)) throw new Error(`homeostat: ${main} is not built: run make build (make bench-peers does)`);
  const work = mkdtempSync(join(tmpdir(), 'peers-homeostat-'));
  const manifests = join(work, 'manifests');
  mkdirSync(manifests);
  const source = join(import.meta.dirname, 'homeostat');
  for (const file of readdirSync(source)) copyFileSync(join(source, file), join(manifests, file));
  const records = join(work, 'records.jsonl');
  const out = openSync(join(work, 'homeostat.log'), 'a');
  log(`homeostat: embedded mode in ${work} (log: homeostat.log)`);

  const go = Date.now();
  const child = spawn(process.execPath, [main, 'dev', manifests, '--log-level', 'warn'], { env: { ...process.env, PEERS_RECORDS: records }, stdio: ['ignore', out, out], detached: true });
  let exit: string | undefined;
  child.once('exit', (code, signal) => (exit = `homeostat dev exited (${signal ?? code}); see ${join(work, 'homeostat.log')}`));
  child.once('error', (error) => (exit = `${main} could not be started: ${error.message}`));
  const monitor = new TreeMonitor([child.pid as number]);
  try {
    const backfill = await waitForRecords(records, `homeostat: enrich for all ${PERIODS} periods`, 300_000, (r) => {
      const figures = backfillFigures(r, ENRICH, go);
      return figures.backfillMs !== undefined ? figures : undefined;
    }, () => exit);
    log(`homeostat: backfill done in ${((backfill.backfillMs ?? 0) / 1000).toFixed(1)} s`);

    // Re-run sold for an old day: one DagRun, the whole manual step.
    const period = backfill.periods[RERUN_INDEX] as string;
    const since = Date.now();
    writeFileSync(join(manifests, 'sold-rerun.yaml'), `apiVersion: homeostat.dev/v1alpha1\nkind: DagRun\nmetadata: {name: sold-${period}-rerun}\nspec: {dag: sold, period: "${period}"}\n`);
    const ms = await waitForRecords(records, `homeostat: enrich re-run for ${period}`, 120_000, (r) => rerunMs(r, ENRICH, { dag: 'sold', task: 'load' }, period, since), () => exit);
    const idle = await idleCpu(monitor, idleSeconds);
    const usage = monitor.sample();
    return {
      system: 'Homeostat',
      dependents: [
        {
          label: 'DagDependency',
          latency: backfill.latency,
          backfillMs: backfill.backfillMs,
          runs: backfill.runs,
          rerun: { period, ms, steps: [`write a DagRun {dag: sold, period: ${period}} (kubectl create in a cluster)`] },
        },
      ],
      usage: { ...usage },
      cpuAtGo: 0,
      idleCpuSeconds: idle,
      idleSeconds,
      settings: [
        ['mode', 'embedded (homeostat dev), tasks as local processes'],
        ['manifest poll', '500 ms (default)'],
        ['retries, timeouts, concurrency', 'defaults'],
        ['records', `${readRecords(records).length} task runs`],
      ],
    };
  } finally {
    await stopTree(child, monitor, 10_000);
  }
}
