/**
 * A parametrised query returns at least N rows (PostgreSQL). Params:
 * - `query` (required): one SQL query (SELECT, WITH, VALUES, TABLE) with placeholders $1..$n.
 *   Declared without `{{...}}`: partition values would be spliced into the SQL. Pass them as args.
 * - `arg1`, `arg2`, ... `argN` (optional): the values of $1..$n, rendered per partition
 *   (`arg1: "{{date}}"`), always BOUND (sent apart from the SQL, never spliced into it). They are
 *   sent as text: cast in the query where the type matters (`WHERE day = $1::date`).
 * - `minRows` (optional, default 1).
 *
 * The query runs in a READ ONLY transaction with a statement timeout, and is counted, not fetched:
 * `SELECT count(*) FROM (SELECT 1 FROM (<query>) LIMIT minRows)`, so a big result costs little.
 *
 * Verdicts: at least minRows rows: satisfied; fewer: unsatisfied, with the count; the table does
 * not exist: unsatisfied with that message (the action may be what creates it). Unrecoverable, with
 * the server's message: a bad param, `{{` in the declared query, args not matching $1..$n, a
 * query that writes, and the server's errors of classes 42 (syntax, unknown column or function),
 * 22 (an arg the query cannot cast) and 0A (not supported, e.g. a DELETE in a WITH). Anything else (cannot connect, bad password, permission
 * denied, timeout, the server shutting down) throws: the partition stays unknown.
 */
import type pg from 'pg';
import { type CheckFunction, type CheckOutcome, type CheckerRequest, integerParam, requiredParam } from '@homeostat/checker-sdk';

export interface SqlCheckConfig {
  /** Per query, in the transaction. Defaults to 30 s. */
  statementTimeoutMs?: number;
}

/**
 * The connection from the environment: DATABASE_URL (a postgresql:// URL) when set; else (and for
 * what the URL leaves out) the standard PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE,
 * read by `pg` itself. HOMEOSTAT_SQL_CONNECT_TIMEOUT_MS: connecting, default 10000.
 * At most 4 connections.
 */
export function sqlPoolConfig(env: Record<string, string | undefined>): pg.PoolConfig {
  const pick = (name: string) => (env[name] ? env[name] : undefined);
  const port = pick('PGPORT');
  const entries = Object.entries({
    connectionString: pick('DATABASE_URL'),
    host: pick('PGHOST'),
    port: port !== undefined ? Number(port) : undefined,
    user: pick('PGUSER'),
    password: pick('PGPASSWORD'),
    database: pick('PGDATABASE'),
  }).filter(([, v]) => v !== undefined);
  return {
    ...Object.fromEntries(entries),
    max: 4,
    connectionTimeoutMillis: positive(env.HOMEOSTAT_SQL_CONNECT_TIMEOUT_MS) ?? 10_000,
    application_name: 'homeostat-checker-sql-rows',
  };
}

/** The checker's config from the environment: HOMEOSTAT_SQL_STATEMENT_TIMEOUT_MS (default 30000). */
export function sqlCheckConfig(env: Record<string, string | undefined>): SqlCheckConfig {
  const timeout = positive(env.HOMEOSTAT_SQL_STATEMENT_TIMEOUT_MS);
  return timeout !== undefined ? { statementTimeoutMs: timeout } : {};
}

/** The check function for runChecker, querying through `pool`. */
export function sqlRowsCheck(pool: pg.Pool, config: SqlCheckConfig = {}): CheckFunction {
  return (_partition, params, request) => checkRows(pool, params, config, request);
}

export async function checkRows(pool: pg.Pool, params: Record<string, string>, config: SqlCheckConfig = {}, request?: CheckerRequest): Promise<CheckOutcome> {
  const query = requiredParam(params, 'query');
  if (!query.ok) return unrecoverable(query.message);
  if (request?.params.query?.includes('{{')) return unrecoverable('the query must not hold {{placeholders}}: they would be spliced into the SQL; use $1..$n and pass the values as arg1..argN');
  const minRows = integerParam(params, 'minRows', 1, 1);
  if (!minRows.ok) return unrecoverable(minRows.message);
  const args = argsOf(params);
  if (!args.ok) return unrecoverable(args.message);

  const sql = query.value.trim().replace(/;\s*$/, '');
  const n = args.value.length;
  const counted = `SELECT count(*)::int AS rows FROM (SELECT 1 FROM (\n${sql}\n) AS homeostat_query LIMIT $${n + 1}) AS homeostat_limited`;
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw new Error(`connecting to PostgreSQL: ${describe(error)}`, { cause: error });
  }
  let rows: number;
  try {
    await client.query('BEGIN TRANSACTION READ ONLY');
    await client.query("SELECT set_config('statement_timeout', $1, true)", [String(config.statementTimeoutMs ?? 30_000)]);
    const result = await client.query<{ rows: number }>(counted, [...args.value, minRows.value]);
    rows = result.rows[0]?.rows ?? 0;
  } catch (error) {
    const verdict = classify(error);
    if (verdict !== undefined) return verdict;
    throw new Error(`the query: ${describe(error)}`, { cause: error });
  } finally {
    // The transaction only read: ending it is all the cleanup. A broken connection is not reused.
    await client.query('ROLLBACK').then(
      () => client.release(),
      (error: Error) => client.release(error),
    );
  }
  return rows >= minRows.value ? 'satisfied' : { state: 'unsatisfied', message: `the query returned ${rows === 0 ? 'no rows' : `${rows} rows`}, fewer than ${minRows.value}` };
}

/** arg1..argN, which must be numbered from 1 without a gap. */
function argsOf(params: Record<string, string>): { ok: true; value: string[] } | { ok: false; message: string } {
  const numbers = Object.keys(params)
    .map((name) => /^arg([1-9]\d*)$/.exec(name)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
  for (const [i, n] of numbers.entries()) if (n !== i + 1) return { ok: false, message: `arg${i + 1} is missing: args are numbered arg1..argN, for $1..$n` };
  return { ok: true, value: numbers.map((n) => params[`arg${n}`] as string) };
}

/** SQLSTATE classes and codes that rerunning will not fix: the query, or its args, must change. */
function classify(error: unknown): CheckOutcome {
  const e = error as { code?: unknown; message?: string };
  if (typeof e.code !== 'string' || !/^[0-9A-Z]{5}$/.test(e.code)) return undefined; // not the server's answer
  if (e.code === '42P01') return { state: 'unsatisfied', message: `the query: ${e.message}` }; // undefined_table
  if (e.code === '42501') return undefined; // insufficient_privilege: access, not the query
  if (e.code === '25006') return unrecoverable(`the query must only read: ${e.message}`); // read_only_sql_transaction
  if (e.code === '08P01' && /bind message supplies/.test(e.message ?? '')) return unrecoverable(`the args do not match the query's placeholders: ${e.message}`);
  if (e.code.startsWith('42') || e.code.startsWith('22') || e.code.startsWith('0A')) return unrecoverable(`the query: ${e.message} (SQLSTATE ${e.code})`);
  return undefined;
}

function describe(error: unknown): string {
  const e = error as { code?: unknown; message?: string };
  return `${e.message ?? String(error)}${typeof e.code === 'string' ? ` (${e.code})` : ''}`;
}

function unrecoverable(message: string): CheckOutcome {
  return { state: 'unrecoverable', message };
}

function positive(text: string | undefined): number | undefined {
  const n = Number(text);
  return text !== undefined && text !== '' && Number.isFinite(n) && n > 0 ? n : undefined;
}
