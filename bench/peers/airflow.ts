// The Airflow side: `airflow standalone` (api-server, scheduler, dag-processor, triggerer; the
// LocalExecutor, its default) from the cached venv, on the DAG files of bench/peers/airflow/dags.
// The metadata database is PostgreSQL (Debian's, test/services/postgres.ts): with SQLite, its
// default, the LocalExecutor's concurrent tasks failed here with "database is locked" and
// execution API timeouts once the machine was busy, and Airflow (no retries by default) left
// the backfill unfinished. PostgreSQL's processes count in Airflow's CPU and memory. The DAGs are paused at creation (Airflow's default): unpausing the
// four through the REST API is the "go" of the backfill. Two dependents run side by side on the
// same upstreams: enrich_assets (Assets) and enrich_sensor (ExternalTaskSensor).
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Dependent, rerunMs, type TaskRecord } from './figures.js';
import type { AirflowInstall } from './airflowInstall.js';
import { findProcess, TreeMonitor } from './procTree.js';
import { startPostgres } from '../../test/services/index.js';
import { readRecords, waitForRecords } from './records.js';
import { backfillFigures, type DependentResult, idleCpu, PERIODS, RERUN_INDEX, stopTree, type SystemResult } from './system.js';

const UPSTREAMS = [
  { dag: 'sold', task: 'load', asset: 'sold' },
  { dag: 'ads', task: 'load', asset: 'ads_loaded' },
];
const ASSETS: Dependent = { dag: 'enrich_assets', task: 'join', matches: 'assets', upstreams: UPSTREAMS };
const SENSOR: Dependent = { dag: 'enrich_sensor', task: 'join', matches: 'period', upstreams: UPSTREAMS };
const DAGS = ['sold', 'ads', 'enrich_assets', 'enrich_sensor'];

/** The settings that decide how soon Airflow notices things, as this Airflow reports them. */
const SETTINGS: [string, string][] = [
  ['core', 'executor'],
  ['database', 'sql_alchemy_conn'],
  ['scheduler', 'scheduler_heartbeat_sec'],
  ['scheduler', 'scheduler_idle_sleep_time'],
  ['dag_processor', 'min_file_process_interval'],
  ['dag_processor', 'refresh_interval'],
  ['dag_processor', 'parsing_processes'],
  ['core', 'parallelism'],
  ['core', 'max_active_runs_per_dag'],
  ['core', 'dags_are_paused_at_creation'],
  ['operators', 'default_deferrable'],
  ['workers', 'execution_api_timeout'],
];

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/** The REST API of the running api-server, with a token of the admin standalone created. */
class AirflowApi {
  private token = '';
  constructor(private readonly base: string) {}

  async login(passwordFile: string): Promise<void> {
    const passwords = JSON.parse(readFileSync(passwordFile, 'utf8')) as Record<string, string>;
    const [username, password] = Object.entries(passwords)[0] ?? [];
    if (username === undefined) throw new Error(`${passwordFile} names no user`);
    const response = await fetch(`${this.base}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
    if (!response.ok) throw new Error(`POST ${this.base}/auth/token: ${response.status} ${await response.text()}`);
    this.token = ((await response.json()) as { access_token: string }).access_token;
  }

  async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${this.base}${path}`, { method, headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  }
}

async function poll<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, failed: () => string | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const reason = failed();
    if (reason !== undefined) throw new Error(`${what}: ${reason}`);
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${Math.round(timeoutMs / 1000)} s${last !== '' ? ` (last: ${last})` : ''}`);
    await new Promise((done) => setTimeout(done, 500));
  }
}

/**
 * `probe`'s value once it has one; undefined once Airflow has nothing left to run for `dag`: no
 * queued or running run of it on three looks in a row, 5 s apart (a scheduler heartbeat each).
 */
async function untilQuiet<T>(api: AirflowApi, dag: string, probe: () => T | undefined, failed: () => string | undefined): Promise<T | undefined> {
  let quiet = 0;
  const result = await poll(`airflow: ${dag} done or idle`, 600_000, async () => {
    const value = probe();
    if (value !== undefined) return { value };
    const active = (await api.call('GET', `/api/v2/dags/${dag}/dagRuns?state=queued&state=running&limit=1`)) as { total_entries: number };
    quiet = active.total_entries === 0 ? quiet + 1 : 0;
    if (quiet >= 3) return { value: undefined };
    await new Promise((done) => setTimeout(done, 4500));
    return undefined;
  }, failed);
  return result.value;
}

/** The assets Airflow has queued updates of for a DAG that it has not run it for yet. */
async function queuedFor(api: AirflowApi, dag: string): Promise<string[]> {
  const queued = (await api.call('GET', `/api/v2/dags/${dag}/assets/queuedEvents`)) as { queued_events: { asset_id: number }[] };
  const assets = (await api.call('GET', '/api/v2/assets?limit=100')) as { assets: { id: number; name: string }[] };
  const names = new Map(assets.assets.map((a) => [a.id, a.name]));
  return queued.queued_events.map((e) => names.get(e.asset_id) ?? `asset ${e.asset_id}`);
}

function runOf(records: TaskRecord[], dag: string, task: string, period: string): string {
  const run = records.find((r) => r.dag === dag && r.task === task && r.period === period)?.run;
  if (run === undefined) throw new Error(`no run of ${dag}.${task} for ${period} in the records`);
  return run;
}

export async function runAirflow(install: AirflowInstall, log: (line: string) => void, idleSeconds: number): Promise<SystemResult> {
  const home = mkdtempSync(join(tmpdir(), 'peers-airflow-'));
  const records = join(home, 'records.jsonl');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // 29 days back: the cron timetable (Airflow 3's default) runs at each midnight from the start
  // date to today's, 30 runs, labelled by their logical date (Homeostat labels the day that ended).
  const start = new Date(Date.now() - 29 * 86_400_000).toISOString().slice(0, 10);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${join(install.venv, 'bin')}:${process.env.PATH ?? ''}`,
    AIRFLOW_HOME: home,
    AIRFLOW__CORE__DAGS_FOLDER: join(import.meta.dirname, 'airflow', 'dags'),
    // Not tuning: no example DAGs to parse, and the API on a free loopback port.
    AIRFLOW__CORE__LOAD_EXAMPLES: 'False',
    AIRFLOW__API__HOST: '127.0.0.1',
    AIRFLOW__API__PORT: String(port),
    AIRFLOW__API__BASE_URL: base,
    // Not speed: on this shared 2-core machine the task runners' calls to the execution API
    // timed out at the default 5 s and their tasks failed (no retries by default). Airflow's
    // docs for this setting: "Increase this value if you experience timeout errors under high
    // load". It changes nothing while the API answers in time.
    AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT: '60',
    PEERS_START: start,
    PEERS_RECORDS: records,
  };
  const pg = await startPostgres();
  if (!pg.available) throw new Error(`airflow: its PostgreSQL database: ${pg.reason}`);
  const pgPid = findProcess(['-c', `port=${pg.port}`]);
  env.AIRFLOW__DATABASE__SQL_ALCHEMY_CONN = `postgresql+psycopg2://${pg.user}:${pg.password}@${pg.host}:${pg.port}/${pg.database}`;
  const settings: [string, string][] = [['version', `Apache Airflow from ${install.pins}`]];
  const run = promisify(execFile);
  for (const [section, key] of SETTINGS) {
    const { stdout } = await run(install.airflow, ['config', 'get-value', section, key], { env }).catch((error: { stdout?: string; message: string }) => ({ stdout: `? (${error.message.split('\n')[0] ?? ''})` }));
    // The database URL holds the throwaway password: not printed.
    settings.push([`${section}.${key}`, (stdout.trim().split('\n').pop() ?? '').replace(/:[^:@/]+@/, ':***@')]);
  }
  settings.push(['changed from defaults', 'database: PostgreSQL instead of SQLite; workers.execution_api_timeout 60 s instead of 5 s (tasks failed on timeouts under load); load_examples=False; api host/port/base_url (a free loopback port); DAGs: catchup=True on the daily ones']);
  settings.push(['PostgreSQL', `the machine's, fsync=off, synchronous_commit=off, full_page_writes=off (test/services/postgres.ts); pid ${pgPid ?? 'not found: not in the figures'}`]);
  log(`airflow: standalone in ${home} on ${base} (log: standalone.log)`);

  const out = openSync(join(home, 'standalone.log'), 'a');
  const launched = Date.now();
  const child = spawn(install.airflow, ['standalone'], { env, cwd: home, stdio: ['ignore', out, out], detached: true });
  let exit: string | undefined;
  child.once('exit', (code, signal) => (exit = `airflow standalone exited (${signal ?? code}); see ${join(home, 'standalone.log')}`));
  child.once('error', (error) => (exit = `${install.airflow} standalone could not be started: ${error.message}`));
  const monitor = new TreeMonitor([child.pid as number, ...(pgPid !== undefined ? [pgPid] : [])]);
  const api = new AirflowApi(base);
  // Nothing in this scenario should fail, and Airflow does not retry by default: a failed task
  // instance means the figures will never come, so the run stops at once and says so.
  const watchFailures = setInterval(() => {
    api
      .call('GET', '/api/v2/dags/~/dagRuns/~/taskInstances?state=failed&limit=3')
      .then((answer) => {
        const { task_instances: failed, total_entries: count } = answer as { task_instances: { dag_id: string; task_id: string; dag_run_id: string }[]; total_entries: number };
        if (count > 0) exit ??= `${count} task instances failed (e.g. ${failed.map((t) => `${t.dag_id}.${t.task_id} ${t.dag_run_id}`).join(', ')}); see ${join(home, 'standalone.log')} and ${join(home, 'logs')}`;
      })
      .catch(() => undefined); // not logged in yet, or the API is busy: the next look
  }, 5000);
  try {
    const passwordFile = join(home, 'simple_auth_manager_passwords.json.generated');
    await poll('airflow: the API server and the four DAGs parsed', 600_000, async () => {
      if (!existsSync(passwordFile)) return undefined;
      await api.login(passwordFile);
      const listed = (await api.call('GET', '/api/v2/dags?limit=100')) as { dags: { dag_id: string }[] };
      const names = new Set(listed.dags.map((d) => d.dag_id));
      return DAGS.every((d) => names.has(d)) ? true : undefined;
    }, () => exit);
    const startupMs = Date.now() - launched;
    log(`airflow: ready after ${(startupMs / 1000).toFixed(1)} s; unpausing ${DAGS.join(', ')}`);

    const cpuAtGo = monitor.sample().cpuSeconds;
    const go = Date.now();
    await Promise.all(DAGS.map((d) => api.call('PATCH', `/api/v2/dags/${d}`, { is_paused: false })));
    const sensor = await waitForRecords(records, `airflow: enrich_sensor for all ${PERIODS} periods`, 900_000, (r) => {
      const figures = backfillFigures(r, SENSOR, go);
      return figures.backfillMs !== undefined ? figures : undefined;
    }, () => exit);
    // Assets may never cover every period: a run consumes every event queued so far, and
    // `sold & ads_loaded` waits for both again, so the last ads_loaded events can stay queued
    // until sold has a new one. It is done when it covered all, or when Airflow has nothing
    // left to run for it (no queued or running run on three looks 5 s apart, a scheduler
    // heartbeat each).
    const assets = await untilQuiet(api, 'enrich_assets', () => {
      const figures = backfillFigures(readRecords(records), ASSETS, go);
      return figures.backfillMs !== undefined ? figures : undefined;
    }, () => exit) ?? backfillFigures(readRecords(records), ASSETS, go);
    const stranded = assets.backfillMs === undefined ? await queuedFor(api, 'enrich_assets') : [];
    const done = { assets, sensor };
    log(`airflow: backfill done (assets ${assets.backfillMs !== undefined ? `${(assets.backfillMs / 1000).toFixed(1)} s` : `${assets.latency.started}/${PERIODS} periods, then idle with ${stranded.join(', ')} queued`}, sensor ${((sensor.backfillMs ?? 0) / 1000).toFixed(1)} s)`);

    // Re-run sold for the same old day. Clearing sold's run does not reach the dependents (that
    // needs an ExternalTaskMarker in sold, which would make sold know about them): the sensor's
    // run for the day is cleared too, and its sensors wait for sold again. The Assets dependent
    // runs by itself only if an ads_loaded update is still queued for it (sold & ads_loaded);
    // else, once sold has re-run and Airflow has nothing to run, its run that consumed sold's
    // event for the day is cleared (the UI's "Clear" on that run: such runs have no logical date
    // to clear by).
    const period = done.sensor.periods[RERUN_INDEX] as string;
    const before = readRecords(records);
    const since = Date.now();
    await api.call('POST', '/api/v2/dags/sold/clearTaskInstances', { dry_run: false, only_failed: false, dag_run_id: runOf(before, 'sold', 'load', period) });
    await api.call('POST', '/api/v2/dags/enrich_sensor/clearTaskInstances', { dry_run: false, only_failed: false, dag_run_id: runOf(before, 'enrich_sensor', 'join', period) });
    const sensorRerun = waitForRecords(records, `airflow: enrich_sensor re-run for ${period}`, 600_000, (r) => rerunMs(r, SENSOR, UPSTREAMS[0] as Dependent['upstreams'][0], period, since), () => exit);
    const soldAgain = await waitForRecords(records, `airflow: sold re-run for ${period}`, 300_000, (r) => r.find((x) => x.dag === 'sold' && x.period === period && x.start >= since), () => exit);
    const assetsSteps = [`clear sold's run for ${period} (POST .../dags/sold/clearTaskInstances)`];
    const assetsRerun = (r: TaskRecord[]) => rerunMs(r, ASSETS, UPSTREAMS[0] as Dependent['upstreams'][0], period, since);
    let assetsMs = await untilQuiet(api, 'enrich_assets', () => assetsRerun(readRecords(records)), () => exit);
    if (assetsMs === undefined) {
      const consumer = before.find((r) => r.dag === 'enrich_assets' && (r.consumes ?? []).some((c) => c.asset === 'sold' && c.period === period))?.run;
      if (consumer === undefined) throw new Error(`airflow: no enrich_assets run consumed sold's event for ${period}`);
      assetsSteps.push(`once sold has re-run: clear the enrich_assets run that consumed sold ${period} (POST .../dagRuns/RUN/clear)`);
      const clearedAt = Date.now();
      await api.call('POST', `/api/v2/dags/enrich_assets/dagRuns/${encodeURIComponent(consumer)}/clear`, { dry_run: false });
      const total = await waitForRecords(records, `airflow: enrich_assets re-run for ${period}`, 300_000, assetsRerun, () => exit);
      // Airflow's time only: until sold's re-run ended, then from the clear to the start; not
      // the ~15 s the benchmark took to see that Airflow would not run it by itself.
      assetsMs = soldAgain.end - since + (since + total - clearedAt);
    }
    const sensorMs = await sensorRerun;

    const idle = await idleCpu(monitor, idleSeconds);
    const usage = monitor.sample();
    const dependents: DependentResult[] = [
      {
        label: 'Assets',
        ...(stranded.length > 0 ? { note: `ran for ${done.assets.latency.started}/${PERIODS} periods, then stopped with updates of ${stranded.join(', ')} queued for it: \`sold & ads_loaded\` waits for a new sold event` } : {}),
        latency: done.assets.latency,
        backfillMs: done.assets.backfillMs,
        runs: done.assets.runs,
        rerun: { period, ms: assetsMs, steps: assetsSteps },
      },
      {
        label: 'ExternalTaskSensor',
        latency: done.sensor.latency,
        backfillMs: done.sensor.backfillMs,
        runs: done.sensor.runs,
        rerun: { period, ms: sensorMs, steps: [`clear sold's run for ${period}`, `clear enrich_sensor's run for ${period} (POST .../dags/enrich_sensor/clearTaskInstances)`] },
      },
    ];
    settings.push(['records', `${readRecords(records).length} task runs`]);
    return { system: 'Airflow', startupMs, dependents, usage: { ...usage }, cpuAtGo, idleCpuSeconds: idle, idleSeconds, settings };
  } finally {
    clearInterval(watchFailures);
    await pg.stop();
    await stopTree(child, monitor, 30_000);
  }
}
