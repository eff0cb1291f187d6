/**
 * Real servers for tests, installed by the project itself (hack/services/): an S3 API (moto) and
 * PostgreSQL. Each start function resolves to a running server with a stop(), or to an
 * Unavailable saying why. Usable outside jest; in a jest test, describeWith (./jest.js) turns an
 * Unavailable into a loud skip (a failure with CI=true).
 * See README.md here.
 */
export { type Child, freePort, startChild, waitUntilReady } from './process.js';
export { type PostgresOptions, type PostgresServer, startPostgres } from './postgres.js';
export { type S3Server, type S3ServerOptions, startS3Server } from './s3.js';
export type { Unavailable } from './types.js';
export { bundleProgram, type ProgramRun, runProgram } from './program.js';
