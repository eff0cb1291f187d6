// Apache Airflow 3 with its postgres extra (the metadata database is PostgreSQL: see airflow.ts)
// in a virtual environment outside the repository, made once and reused:
// ~/.cache/homeostat/airflow-VERSION-venv, with the machine's python3 (3.10-3.13). Airflow's own
// constraints file is used when it can be reached; else the versions this benchmark was run with
// (airflow/requirements-VERSION.txt, a pip freeze), so PyPI alone is enough.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';

export const AIRFLOW_VERSION = '3.3.2';

export interface AirflowInstall {
  venv: string;
  airflow: string;
  python: string;
  /** How the versions were chosen, for the report. */
  pins: string;
}

/** A step of the install that failed: which one, with the end of its output. */
export class InstallError extends Error {}

function run(file: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((done, fail) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 64 * 2 ** 20 }, (error, stdout, stderr) => {
      if (error === null) return done(`${stdout}${stderr}`);
      const tail = `${stdout}${stderr}`.trim().split('\n').slice(-12).join('\n');
      fail(new InstallError(`\`${[file, ...args].join(' ')}\` failed (${error.code ?? error.signal ?? error.message}):\n${tail}`));
    });
  });
}

async function reachable(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(5000) });
    return response.ok;
  } catch {
    return false;
  }
}

/** The cached venv, or a new one; throws InstallError naming the step that failed. */
export async function installAirflow(log: (line: string) => void): Promise<AirflowInstall> {
  const venv = process.env.PEERS_AIRFLOW_VENV ?? join(homedir(), '.cache', 'homeostat', `airflow-${AIRFLOW_VERSION}-venv`);
  const airflow = join(venv, 'bin', 'airflow');
  const python = join(venv, 'bin', 'python');
  const done = join(venv, '.installed-with-postgres');
  if (existsSync(done) && existsSync(airflow)) return { venv, airflow, python, pins: `${readFileSync(done, 'utf8').trim()}, cached in ${venv}` };

  const pythonVersion = (await run('python3', ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], 30_000).catch((error: Error) => {
    throw new InstallError(`step 1 (find python3): ${error.message}`);
  })).trim();
  log(`installing Apache Airflow ${AIRFLOW_VERSION} with python ${pythonVersion} into ${venv} (once; a few minutes)`);
  rmSync(venv, { recursive: true, force: true });
  mkdirSync(join(venv, '..'), { recursive: true });
  await run('python3', ['-m', 'venv', venv], 120_000).catch((error: Error) => {
    throw new InstallError(`step 2 (python3 -m venv): ${error.message}`);
  });
  const constraints = `https://raw.githubusercontent.com/apache/airflow/constraints-${AIRFLOW_VERSION}/constraints-${pythonVersion}.txt`;
  const pinned = join(import.meta.dirname, 'airflow', `requirements-${AIRFLOW_VERSION}.txt`);
  const useConstraints = await reachable(constraints);
  // The marker outlives this checkout: it names the file as the repository does.
  const pins = useConstraints ? `Airflow's constraints file ${constraints}` : `${relative(join(import.meta.dirname, '..', '..'), pinned)} (Airflow's constraints file was not reachable)`;
  log(`pinning with ${pins}`);
  const args = useConstraints ? ['-m', 'pip', 'install', '--quiet', `apache-airflow[postgres]==${AIRFLOW_VERSION}`, '--constraint', constraints] : ['-m', 'pip', 'install', '--quiet', '--requirement', pinned];
  await run(python, args, 1_800_000).catch((error: Error) => {
    throw new InstallError(`step 3 (pip install): ${error.message}`);
  });
  await run(airflow, ['version'], 120_000).catch((error: Error) => {
    throw new InstallError(`step 4 (airflow version): ${error.message}`);
  });
  writeFileSync(done, `${pins}\n`);
  return { venv, airflow, python, pins };
}
