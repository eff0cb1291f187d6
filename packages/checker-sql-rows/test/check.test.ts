import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type CheckerRequest, decodeTerminationMessage, parseVerdict, runChecker } from '@homeostat/checker-sdk';
import { bundleProgram, freePort, runProgram, startPostgres } from '../../../test/services/index.js';
import { describeWith } from '../../../test/services/jest.js';
import { checkRows, sqlCheckConfig, sqlPoolConfig, sqlRowsCheck } from '../src/check.js';

const server = await startPostgres();
afterAll(async () => {
  if (server.available) await server.stop();
});

const query = 'SELECT * FROM events WHERE day = $1::date AND campaign = $2';

describeWith(server, 'checker-sql-rows against a real PostgreSQL', (postgres) => {
  // Configured the way its image is: from the standard PG* variables.
  const pool = new pg.Pool(sqlPoolConfig(postgres.env));
  pool.on('error', () => undefined);
  const admin = new pg.Client({ connectionString: postgres.connectionString });
  admin.on('error', () => undefined); // the last test stops the server under it
  const eventCount = async () => (await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM events')).rows[0]?.n;
  beforeAll(async () => {
    await admin.connect();
    await admin.query('CREATE TABLE events (day date NOT NULL, campaign text NOT NULL)');
    await admin.query("INSERT INTO events SELECT '2026-11-18', 'c1' FROM generate_series(1, 3)");
    await admin.query("INSERT INTO events VALUES ('2026-11-18', 'c2')");
    await admin.query('CREATE SEQUENCE ticket');
  });
  afterAll(async () => {
    await admin.end().catch(() => undefined);
    await pool.end();
  });

  it('rows for the args: satisfied', async () => {
    expect(await checkRows(pool, { query, arg1: '2026-11-18', arg2: 'c1' })).toBe('satisfied');
  });
  it('no rows: unsatisfied', async () => {
    expect(await checkRows(pool, { query, arg1: '2026-11-19', arg2: 'c1' })).toEqual({ state: 'unsatisfied', message: 'the query returned no rows, fewer than 1' });
  });
  it('fewer rows than minRows: unsatisfied, with the count', async () => {
    expect(await checkRows(pool, { query, arg1: '2026-11-18', arg2: 'c1', minRows: '3' })).toBe('satisfied');
    expect(await checkRows(pool, { query, arg1: '2026-11-18', arg2: 'c1', minRows: '4' })).toEqual({ state: 'unsatisfied', message: 'the query returned 3 rows, fewer than 4' });
  });
  it('a trailing semicolon is fine', async () => {
    expect(await checkRows(pool, { query: 'SELECT 1;  ' })).toBe('satisfied');
  });

  it('an arg holding SQL is bound, not executed: no injected rows, no dropped table', async () => {
    // Spliced, this would be `campaign = 'x' OR '1'='1'` and find every row.
    expect(await checkRows(pool, { query, arg1: '2026-11-18', arg2: "x' OR '1'='1" })).toMatchObject({ state: 'unsatisfied' });
    expect(await checkRows(pool, { query, arg1: '2026-11-18', arg2: "'; DROP TABLE events; --" })).toMatchObject({ state: 'unsatisfied' });
    expect(await eventCount()).toBe(4);
  });
  it('a declared query with {{placeholders}} is refused: they would be spliced', async () => {
    const request: CheckerRequest = { expectation: { namespace: 'd', name: 'e' }, params: { query: "SELECT 1 FROM events WHERE day = '{{date}}'" }, partitions: [] };
    expect(await checkRows(pool, { query: "SELECT 1 FROM events WHERE day = '2026-11-18'" }, {}, request)).toMatchObject({ state: 'unrecoverable', message: expect.stringContaining('must not hold {{placeholders}}') });
  });
  it('the query only reads: a query that writes is unrecoverable, and writes nothing', async () => {
    expect(await checkRows(pool, { query: "SELECT nextval('ticket')" })).toMatchObject({ state: 'unrecoverable', message: expect.stringContaining('must only read') });
    expect((await admin.query<{ n: string }>("SELECT last_value::text AS n, is_called FROM ticket")).rows[0]).toEqual({ n: '1', is_called: false });
    expect(await checkRows(pool, { query: 'WITH gone AS (DELETE FROM events RETURNING 1) SELECT * FROM gone' })).toMatchObject({ state: 'unrecoverable' });
    expect(await eventCount()).toBe(4);
  });

  it('a table that does not exist (yet): unsatisfied, saying so', async () => {
    expect(await checkRows(pool, { query: 'SELECT 1 FROM clicks' })).toEqual({ state: 'unsatisfied', message: 'the query: relation "clicks" does not exist' });
  });
  it('a query the server cannot run, or an arg it cannot cast: unrecoverable, with its message', async () => {
    expect(await checkRows(pool, { query: 'SELEC 1' })).toMatchObject({ state: 'unrecoverable', message: expect.stringContaining('syntax error') });
    expect(await checkRows(pool, { query: 'SELECT nope FROM events' })).toMatchObject({ state: 'unrecoverable', message: expect.stringContaining('column "nope" does not exist') });
    expect(await checkRows(pool, { query, arg1: 'not a date', arg2: 'c1' })).toMatchObject({ state: 'unrecoverable', message: expect.stringContaining('invalid input syntax for type date') });
  });
  it('args that do not match the placeholders, or bad params: unrecoverable', async () => {
    expect(await checkRows(pool, { query, arg1: '2026-11-18' })).toMatchObject({ state: 'unrecoverable' });
    expect(await checkRows(pool, { query, arg1: '2026-11-18', arg3: 'c1' })).toEqual({ state: 'unrecoverable', message: 'arg2 is missing: args are numbered arg1..argN, for $1..$n' });
    expect(await checkRows(pool, {})).toEqual({ state: 'unrecoverable', message: 'the param query is required' });
    expect(await checkRows(pool, { query, minRows: 'some' })).toMatchObject({ state: 'unrecoverable', message: expect.stringContaining('minRows must be an integer') });
  });

  it('a query slower than the statement timeout: unknown (throws)', async () => {
    const config = sqlCheckConfig({ HOMEOSTAT_SQL_STATEMENT_TIMEOUT_MS: '200' });
    await expect(checkRows(pool, { query: 'SELECT pg_sleep(5)' }, config)).rejects.toThrow(/statement timeout/);
  });
  it('a wrong password: unknown (throws), never unsatisfied', async () => {
    const wrong = new pg.Pool(sqlPoolConfig({ ...postgres.env, PGPASSWORD: 'wrong' }));
    await expect(checkRows(wrong, { query, arg1: '2026-11-18', arg2: 'c1' })).rejects.toThrow(/connecting to PostgreSQL: password authentication failed/);
    await wrong.end();
  });
  it('a server nobody listens on: unknown (throws)', async () => {
    const nowhere = new pg.Pool(sqlPoolConfig({ DATABASE_URL: `postgresql://homeostat:x@127.0.0.1:${await freePort()}/postgres` }));
    await expect(checkRows(nowhere, { query: 'SELECT 1' })).rejects.toThrow(/connecting to PostgreSQL: .*ECONNREFUSED/);
    await nowhere.end();
  });

  it('the program (src/main.ts, bundled as the image bundles it) connects with DATABASE_URL', async () => {
    const program = await bundleProgram('packages/checker-sql-rows/src/main.ts');
    const request = { params: { query }, partitions: ['c1', 'c3'].map((campaign) => ({ key: `campaign=${campaign}`, params: { query, arg1: '2026-11-18', arg2: campaign } })) };
    const run = await runProgram(program, { env: { DATABASE_URL: postgres.connectionString }, stdin: JSON.stringify(request) });
    expect(run).toMatchObject({ exitCode: 0, stderr: '' });
    expect(parseVerdict(run.stdout, ['campaign=c1', 'campaign=c3'])).toMatchObject({
      ok: true,
      results: new Map([
        ['campaign=c1', { state: 'satisfied' }],
        ['campaign=c3', { state: 'unsatisfied', message: 'the query returned no rows, fewer than 1' }],
      ]),
    });
  });

  it('end to end in Job mode: the controller decodes the verdict; once the server is stopped the batch fails', async () => {
    const partition = (day: string, campaign: string) => ({ key: `day=${day}/campaign=${campaign}`, values: { day, campaign }, params: { query, arg1: day, arg2: campaign, minRows: '2' } });
    const request: CheckerRequest = {
      expectation: { namespace: 'default', name: 'events' },
      params: { query, arg1: '{{day}}', arg2: '{{campaign}}', minRows: '2' },
      partitions: [partition('2026-11-18', 'c1'), partition('2026-11-18', 'c2'), partition('2026-11-19', 'c1')],
    };
    const keys = request.partitions.map((p) => p.key);
    const dir = mkdtempSync(join(tmpdir(), 'homeostat-sql-check-'));
    const terminationPath = join(dir, 'termination-log');
    const run = (check: ReturnType<typeof sqlRowsCheck>, stderr: string[] = []) => {
      writeFileSync(terminationPath, '');
      return runChecker(check, { env: { HOMEOSTAT_REQUEST: JSON.stringify(request) }, terminationPath, stdout: { write: () => true }, stderr: { write: (t: string) => stderr.push(t) }, setExitCode: false });
    };
    try {
      expect((await run(sqlRowsCheck(pool))).exitCode).toBe(0);
      expect(decodeTerminationMessage(readFileSync(terminationPath, 'utf8'), keys)).toEqual({
        ok: true,
        results: new Map([
          ['day=2026-11-18/campaign=c1', { state: 'satisfied' }],
          ['day=2026-11-18/campaign=c2', { state: 'unsatisfied', message: 'the query returned 1 rows, fewer than 2' }],
          ['day=2026-11-19/campaign=c1', { state: 'unsatisfied', message: 'the query returned no rows, fewer than 2' }],
        ]),
        missing: [],
        unexpected: [],
      });

      await postgres.stop();
      const fresh = new pg.Pool(sqlPoolConfig(postgres.env));
      fresh.on('error', () => undefined);
      const stderr: string[] = [];
      expect(await run(sqlRowsCheck(fresh), stderr)).toEqual({ exitCode: 1 });
      await fresh.end();
      expect(readFileSync(terminationPath, 'utf8')).toBe('');
      expect(stderr.join('')).toMatch(/every partition failed: connecting to PostgreSQL: .*ECONNREFUSED/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
