import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { decodeTerminationMessage } from '../src/compactVerdict.js';
import type { CheckerRequest } from '../src/protocol.js';
import { type CheckFunction, type CheckOutcome, checkPartitions, readRequest, runChecker, type RunCheckerOptions } from '../src/runChecker.js';

const request: CheckerRequest = {
  expectation: { namespace: 'default', name: 'clicks' },
  params: { path: 'raw/{{date}}.csv' },
  partitions: ['2026-11-18', '2026-11-19', '2026-11-20'].map((date) => ({ key: `date=${date}`, values: { date }, params: { path: `raw/${date}.csv` } })),
};
const keys = request.partitions.map((p) => p.key);

/** A scratch directory with an empty termination log, as the kubelet mounts it. */
const dirs: string[] = [];
function terminationLog(): string {
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-sdk-'));
  dirs.push(dir);
  const path = join(dir, 'termination-log');
  writeFileSync(path, '');
  return path;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Runs a checker with captured streams; Job mode unless `stdin` is given. */
async function run(check: CheckFunction, options: Partial<RunCheckerOptions> & { stdinText?: string } = {}) {
  let stdout = '';
  let stderr = '';
  const { stdinText, ...rest } = options;
  const result = await runChecker(check, {
    env: stdinText === undefined ? { HOMEOSTAT_REQUEST: JSON.stringify(request) } : {},
    ...(stdinText !== undefined ? { stdin: Readable.from([stdinText]) } : {}),
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    setExitCode: false,
    terminationPath: join(tmpdir(), 'homeostat-sdk-no-such-dir', 'termination-log'),
    ...rest,
  });
  return { ...result, stdout, stderr };
}

const byDay: CheckFunction = (partition) => {
  if (partition.values.date === '2026-11-18') return 'satisfied';
  if (partition.values.date === '2026-11-19') return 'unsatisfied';
  return { state: 'unrecoverable', message: 'the source file is gone' };
};
const expectedResults = [
  { key: 'date=2026-11-18', state: 'satisfied' },
  { key: 'date=2026-11-19', state: 'unsatisfied' },
  { key: 'date=2026-11-20', state: 'unrecoverable', message: 'the source file is gone' },
];

describe('runChecker', () => {
  it('in a Job: reads HOMEOSTAT_REQUEST, writes the compact verdict to the termination log and JSON to stdout', async () => {
    const path = terminationLog();
    const result = await run(byDay, { terminationPath: path });
    expect(result.exitCode).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe('h1 3 rsux\n2 the source file is gone');
    expect(JSON.parse(result.stdout)).toEqual({ results: expectedResults });
    const decoded = decodeTerminationMessage(readFileSync(path, 'utf8'), keys);
    expect(decoded.ok && [...decoded.results.values()]).toEqual([{ state: 'satisfied' }, { state: 'unsatisfied' }, { state: 'unrecoverable', message: 'the source file is gone' }]);
  });

  it('embedded: reads the request on stdin and answers JSON on stdout only', async () => {
    const path = terminationLog();
    const result = await run(byDay, { stdinText: JSON.stringify(request), terminationPath: path });
    expect(result).toMatchObject({ exitCode: 0, verdict: { results: expectedResults } });
    expect(JSON.parse(result.stdout)).toEqual({ results: expectedResults });
    expect(readFileSync(path, 'utf8')).toBe('');
  });

  it('in a Job without a writable termination log: JSON on stdout only', async () => {
    const result = await run(byDay);
    expect(result).toMatchObject({ exitCode: 0, verdict: { results: expectedResults } });
  });

  it('passes each partition with its rendered params, and the whole request', async () => {
    const seen: string[] = [];
    await run((partition, params, req) => {
      seen.push(`${partition.key} ${params.path} ${req.expectation.name}`);
      return 'satisfied';
    });
    expect(seen.sort()).toEqual(['date=2026-11-18 raw/2026-11-18.csv clicks', 'date=2026-11-19 raw/2026-11-19.csv clicks', 'date=2026-11-20 raw/2026-11-20.csv clicks']);
  });

  it('leaves a partition whose check throws unknown, and says why on stderr', async () => {
    const path = terminationLog();
    const result = await run(
      (p) => {
        if (p.values.date === '2026-11-19') throw new Error('connection reset');
        return p.values.date === '2026-11-20' ? undefined : 'satisfied';
      },
      { terminationPath: path },
    );
    expect(result.exitCode).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe('h1 3 rs?2');
    expect(result.stderr).toContain('partition date=2026-11-19: connection reset');
  });

  it('treats a value that is not a verdict as an error for that partition', async () => {
    const result = await run((p) => (p.values.date === '2026-11-18' ? ('done' as 'satisfied') : 'satisfied'));
    expect(result.verdict?.results.map((r) => r.key)).toEqual(['date=2026-11-19', 'date=2026-11-20']);
    expect(result.stderr).toContain('partition date=2026-11-18: returned "done", not satisfied, unsatisfied or an object with a state');
  });

  it('fails the whole batch (exit 1, nothing in the termination log) when every partition throws', async () => {
    const path = terminationLog();
    const result = await run(
      () => {
        throw new Error('403 Forbidden');
      },
      { terminationPath: path },
    );
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('every partition failed: 403 Forbidden');
    expect(readFileSync(path, 'utf8')).toBe('');
  });

  it.each([
    ['that is not JSON', 'hello', 'the request is not JSON'],
    ['without partitions', '{}', 'the request must be an object with a partitions list'],
    ['with a partition without key', '{"partitions":[{}]}', 'partitions[0] must be an object with a key'],
  ])('exits 1 on a request %s', async (_name, text, message) => {
    const result = await run(byDay, { stdinText: text });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(message);
  });

  it('sets process.exitCode unless told not to', async () => {
    const before = process.exitCode;
    try {
      await runChecker(byDay, { env: { HOMEOSTAT_REQUEST: 'nope' }, stderr: { write: () => true }, stdout: { write: () => true } });
      expect(process.exitCode).toBe(1);
    } finally {
      process.exitCode = before;
    }
  });
});

describe('checkPartitions', () => {
  it('runs at most `concurrency` checks at once', async () => {
    const many: CheckerRequest = { ...request, partitions: Array.from({ length: 20 }, (_, i) => ({ key: `n=${i}`, values: {}, params: {} })) };
    let running = 0;
    let most = 0;
    const { verdict } = await checkPartitions(
      many,
      async (): Promise<CheckOutcome> => {
        most = Math.max(most, ++running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running--;
        return 'satisfied';
      },
      3,
    );
    expect(most).toBe(3);
    expect(verdict.results.map((r) => r.key)).toEqual(many.partitions.map((p) => p.key));
  });
});

describe('readRequest', () => {
  it('fills what a request may leave out', () => {
    expect(readRequest('{"partitions":[{"key":""}]}')).toEqual({ ok: true, value: { expectation: { namespace: '', name: '' }, params: {}, partitions: [{ key: '', values: {}, params: {} }] } });
  });
});
