/**
 * A real PostgreSQL server for tests: initdb + postgres from the machine's binaries
 * (hack/services/postgres.sh installs the Debian package when they are missing), in a fresh
 * temporary data directory, on a free port of 127.0.0.1, with password (scram-sha-256) auth.
 * PostgreSQL refuses to run as root: as root it runs as the `postgres` user (else `nobody`)
 * through setpriv. fsync is off: the data is thrown away.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, lastLines, runScript, startChild, waitUntilReady } from './process.js';
import type { Unavailable } from './types.js';

export interface PostgresServer {
  available: true;
  host: string;
  port: number;
  /** A superuser. */
  user: string;
  password: string;
  /** `postgres`, the database initdb creates. */
  database: string;
  /** `postgresql://user:password@host:port/database`. */
  connectionString: string;
  /** PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE: what libpq and `pg` read. */
  env: Record<string, string>;
  /** Stops the server and deletes its data. Idempotent. */
  stop(): Promise<void>;
}

export interface PostgresOptions {
  /** The address to listen on. Defaults to 127.0.0.1. */
  host?: string;
  /** Defaults to 60 s. */
  startTimeoutMs?: number;
}

/** Creates a cluster and starts PostgreSQL on a free port; resolves when it accepts connections. */
export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer | Unavailable> {
  const service = 'PostgreSQL';
  const bin = runScript('hack/services/postgres.sh');
  if (!bin.ok) return { available: false, service, reason: bin.error };
  const runAs = serverUser();
  if (!runAs.ok) return { available: false, service, reason: runAs.error };

  const base = mkdtempSync(join(tmpdir(), 'homeostat-pg-'));
  const cleanup = () => rmSync(base, { recursive: true, force: true });
  const data = join(base, 'data');
  const user = 'homeostat';
  const password = randomBytes(12).toString('hex');
  writeFileSync(join(base, 'pwfile'), `${password}\n`);
  if (runAs.ids !== undefined) {
    chownSync(base, runAs.ids.uid, runAs.ids.gid);
    chownSync(join(base, 'pwfile'), runAs.ids.uid, runAs.ids.gid);
  }
  chmodSync(base, 0o700);

  const init = spawnSync(...runAs.command(join(bin.value, 'initdb'), ['-D', data, '-U', user, `--pwfile=${join(base, 'pwfile')}`, '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C', '--no-sync']), {
    cwd: base,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (init.status !== 0) {
    cleanup();
    return { available: false, service, reason: `initdb failed (exit ${init.status ?? init.error?.message}): ${lastLines(`${init.stdout}\n${init.stderr}`, 6)}` };
  }

  const host = options.host ?? '127.0.0.1';
  const port = await freePort(host);
  const settings = { listen_addresses: host, port: String(port), unix_socket_directories: base, fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' };
  const args = ['-D', data, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  const child = startChild(...runAs.command(join(bin.value, 'postgres'), args), process.env, base);
  const why = await waitUntilReady(child, async () => child.output().includes('ready to accept connections'), options.startTimeoutMs ?? 60_000, 'postgres');
  if (why !== undefined) {
    await child.stop('SIGKILL');
    cleanup();
    return { available: false, service, reason: why };
  }
  const probeHost = host === '0.0.0.0' ? '127.0.0.1' : host;
  const database = 'postgres';
  return {
    available: true,
    host: probeHost,
    port,
    user,
    password,
    database,
    connectionString: `postgresql://${user}:${password}@${probeHost}:${port}/${database}`,
    env: { PGHOST: probeHost, PGPORT: String(port), PGUSER: user, PGPASSWORD: password, PGDATABASE: database },
    async stop() {
      // SIGINT: PostgreSQL's fast shutdown (ends sessions, no waiting for clients).
      await child.stop('SIGINT', 10_000);
      cleanup();
    },
  };
}

type ServerUser =
  | { ok: true; ids?: { uid: number; gid: number }; command: (file: string, args: string[]) => [string, string[]] }
  | { ok: false; error: string };

/** Who runs the server: ourselves, or, as root (which PostgreSQL refuses), `postgres` or `nobody`. */
function serverUser(): ServerUser {
  if (process.getuid?.() !== 0) return { ok: true, command: (file, args) => [file, args] };
  for (const name of ['postgres', 'nobody']) {
    const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
    if (uid.status !== 0 || gid.status !== 0) continue;
    const ids = { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
    return { ok: true, ids, command: (file, args) => ['setpriv', [`--reuid=${ids.uid}`, `--regid=${ids.gid}`, '--clear-groups', '--', file, ...args]] };
  }
  return { ok: false, error: 'running as root, and neither a postgres nor a nobody user exists to run PostgreSQL as (it refuses root)' };
}
