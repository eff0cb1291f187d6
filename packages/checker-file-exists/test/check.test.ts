import { afterAll, describe, expect, it } from '@jest/globals';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CheckerRequest, decodeTerminationMessage, parseVerdict, runChecker } from '@homeostat/checker-sdk';
import { bundleProgram, runProgram } from '../../../test/services/index.js';
import { checkPath, fileCheck } from '../src/check.js';

const root = mkdtempSync(join(tmpdir(), 'homeostat-file-check-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
writeFileSync(join(root, 'day=2026-11-18.csv'), 'a,b\n1,2\n');
writeFileSync(join(root, 'empty.csv'), '');
mkdirSync(join(root, 'day=2026-11-18'));
for (const name of ['part-0.parquet', 'part-1.parquet', '.part-2.parquet.crc']) writeFileSync(join(root, 'day=2026-11-18', name), 'x');

describe('checkPath', () => {
  it('a file that exists is satisfied', async () => expect(await checkPath({ path: join(root, 'day=2026-11-18.csv') })).toBe('satisfied'));
  it('a relative path is found under the root', async () => expect(await checkPath({ path: 'day=2026-11-18.csv' }, { root })).toBe('satisfied'));
  it('a missing file is unsatisfied', async () => expect(await checkPath({ path: 'day=2026-11-19.csv' }, { root })).toBe('unsatisfied'));
  it('a path under a file is unsatisfied, not an error', async () => expect(await checkPath({ path: 'empty.csv/x' }, { root })).toBe('unsatisfied'));

  it('minBytes: an empty file is unsatisfied, saying its size', async () => {
    expect(await checkPath({ path: 'empty.csv', minBytes: '1' }, { root })).toEqual({ state: 'unsatisfied', message: `${join(root, 'empty.csv')} is 0 bytes, fewer than 1` });
    expect(await checkPath({ path: 'day=2026-11-18.csv', minBytes: '8' }, { root })).toBe('satisfied');
    expect(await checkPath({ path: 'day=2026-11-18.csv', minBytes: '9' }, { root })).toMatchObject({ state: 'unsatisfied' });
  });
  it('minBytes: a directory is not the file asked for', async () => expect(await checkPath({ path: 'day=2026-11-18', minBytes: '1' }, { root })).toMatchObject({ state: 'unsatisfied', message: expect.stringContaining('is not a file') }));

  it('minEntries counts a directory entries, not dot files', async () => {
    expect(await checkPath({ path: 'day=2026-11-18', minEntries: '2' }, { root })).toBe('satisfied');
    expect(await checkPath({ path: 'day=2026-11-18', minEntries: '3' }, { root })).toEqual({ state: 'unsatisfied', message: `${join(root, 'day=2026-11-18')} has 2 entries, fewer than 3` });
    expect(await checkPath({ path: 'day=2026-11-18.csv', minEntries: '1' }, { root })).toMatchObject({ state: 'unsatisfied', message: expect.stringContaining('is not a directory') });
  });

  it('bad params are unrecoverable, with the reason', async () => {
    expect(await checkPath({}, { root })).toEqual({ state: 'unrecoverable', message: 'the param path is required' });
    expect(await checkPath({ path: 'x', minBytes: 'lots' }, { root })).toMatchObject({ state: 'unrecoverable', message: expect.stringContaining('minBytes must be an integer') });
    expect(await checkPath({ path: 'x', minBytes: '1', minEntries: '1' }, { root })).toMatchObject({ state: 'unrecoverable' });
  });

  it('a volume that is not mounted leaves the partition unknown (throws), not unsatisfied', async () => {
    await expect(checkPath({ path: 'day=2026-11-18.csv' }, { root: join(root, 'not-mounted') })).rejects.toThrow(/ENOENT/);
  });

  // Root reads everything: permissions cannot be tested as root.
  (process.getuid?.() === 0 ? it.skip : it)('a directory it may not read leaves the partition unknown', async () => {
    const locked = join(root, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o000);
    try {
      await expect(checkPath({ path: 'locked/file' }, { root })).rejects.toThrow(/EACCES/);
    } finally {
      chmodSync(locked, 0o700);
    }
  });
});

describe('the checker, end to end (Job mode)', () => {
  it('writes a verdict the controller decodes: satisfied, unsatisfied, unrecoverable with its message', async () => {
    const request: CheckerRequest = {
      expectation: { namespace: 'default', name: 'exports' },
      params: { path: 'day={{day}}.csv' },
      partitions: [
        { key: 'day=2026-11-18', values: { day: '2026-11-18' }, params: { path: 'day=2026-11-18.csv' } },
        { key: 'day=2026-11-19', values: { day: '2026-11-19' }, params: { path: 'day=2026-11-19.csv' } },
        { key: 'day=2026-11-20', values: { day: '2026-11-20' }, params: { path: '' } },
      ],
    };
    const termination = join(root, 'termination-log');
    writeFileSync(termination, '');
    const out: string[] = [];
    const run = await runChecker(fileCheck({ root }), { env: { HOMEOSTAT_REQUEST: JSON.stringify(request) }, terminationPath: termination, stdout: { write: (t: string) => out.push(t) }, stderr: { write: () => undefined }, setExitCode: false });
    expect(run.exitCode).toBe(0);
    const decoded = decodeTerminationMessage(readFileSync(termination, 'utf8'), request.partitions.map((p) => p.key));
    expect(decoded).toEqual({
      ok: true,
      results: new Map([
        ['day=2026-11-18', { state: 'satisfied' }],
        ['day=2026-11-19', { state: 'unsatisfied' }],
        ['day=2026-11-20', { state: 'unrecoverable', message: 'the param path is required' }],
      ]),
      missing: [],
      unexpected: [],
    });
    expect(JSON.parse(out.join(''))).toEqual({ results: [{ key: 'day=2026-11-18', state: 'satisfied' }, { key: 'day=2026-11-19', state: 'unsatisfied' }, { key: 'day=2026-11-20', state: 'unrecoverable', message: 'the param path is required' }] });
  });
});

describe('the program (src/main.ts, bundled as the image bundles it)', () => {
  it('resolves relative paths under HOMEOSTAT_FILE_ROOT; a mount that is not there fails the batch', async () => {
    const program = await bundleProgram('packages/checker-file-exists/src/main.ts');
    const request = { partitions: ['2026-11-18', '2026-11-19'].map((day) => ({ key: `day=${day}`, params: { path: `day=${day}.csv` } })) };
    const run = await runProgram(program, { env: { HOMEOSTAT_FILE_ROOT: root }, stdin: JSON.stringify(request) });
    expect(run).toMatchObject({ exitCode: 0, stderr: '' });
    expect(parseVerdict(run.stdout, ['day=2026-11-18', 'day=2026-11-19'])).toMatchObject({ ok: true, results: new Map([['day=2026-11-18', { state: 'satisfied' }], ['day=2026-11-19', { state: 'unsatisfied' }]]) });

    const unmounted = await runProgram(program, { env: { HOMEOSTAT_FILE_ROOT: join(root, 'not-mounted') }, stdin: JSON.stringify(request) });
    expect(unmounted).toMatchObject({ exitCode: 1, stdout: '' });
    expect(unmounted.stderr).toMatch(/every partition failed: ENOENT/);
  });
});
