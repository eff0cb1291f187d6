// The checker-sql-rows program: a Job's container or an embedded-mode command (README.md).
import pg from 'pg';
import { runChecker } from '@homeostat/checker-sdk';
import { sqlCheckConfig, sqlPoolConfig, sqlRowsCheck } from './check.js';

const pool = new pg.Pool(sqlPoolConfig(process.env));
// An idle connection the server drops is not a crash: the next check connects again (or fails: unknown).
pool.on('error', () => undefined);
await runChecker(sqlRowsCheck(pool, sqlCheckConfig(process.env)));
await pool.end();
