// `make bench-peers`: the Mediator scenario on Homeostat (embedded mode) and on Apache Airflow 3
// (standalone, LocalExecutor, SQLite), one after the other, then the side-by-side table. Not
// part of `make test`, `make bench` or CI. PEERS_ONLY=homeostat skips Airflow; PEERS_IDLE_S sets
// how long each system is watched idle at the end (15 s).
import { details, sideBySide } from './report.js';
import { runAirflow } from './airflow.js';
import { installAirflow } from './airflowInstall.js';
import { runHomeostat } from './homeostat.js';
import type { SystemResult } from './system.js';

const log = (line: string) => console.log(`# ${line}`);
const idleSeconds = Number(process.env.PEERS_IDLE_S ?? '15');

async function main(): Promise<void> {
  const { loadavg, cpus } = await import('node:os');
  log(`machine: ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at the start`);
  const homeostat = await runHomeostat(log, idleSeconds);
  let airflow: SystemResult | undefined;
  if (process.env.PEERS_ONLY !== 'homeostat') {
    try {
      const install = await installAirflow(log);
      airflow = await runAirflow(install, log, idleSeconds);
    } catch (error) {
      console.log(`\nAirflow could not be measured: ${(error as Error).message}\n`);
      process.exitCode = 1;
    }
  }
  log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at the end`);
  console.log(`\nThe Mediator scenario: sold (load) and ads (load -> publish) -> enrich, daily, 30 periods; tasks only record their start and end.\n`);
  console.log(sideBySide(homeostat, airflow));
  console.log(`\nratio = Airflow / Homeostat (how many times longer, more CPU or more memory).\n`);
  console.log(details(airflow !== undefined ? [homeostat, airflow] : [homeostat]));
}

main().catch((error: unknown) => {
  console.error(`bench-peers failed: ${(error as Error).stack ?? String(error)}`);
  process.exitCode = 1;
});
