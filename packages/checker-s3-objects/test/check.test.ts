import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { type CheckerRequest, decodeTerminationMessage, parseVerdict, runChecker } from '@homeostat/checker-sdk';
import { bundleProgram, freePort, runProgram, startS3Server } from '../../../test/services/index.js';
import { describeWith } from '../../../test/services/jest.js';
import { checkObjects, s3ClientConfig, s3ObjectsCheck } from '../src/check.js';

const s3 = await startS3Server();
afterAll(async () => {
  if (s3.available) await s3.stop();
});

describeWith(s3, 'checker-s3-objects against a real S3 API (moto)', (server) => {
  // The checker's client is configured the way its image is: from the environment (the
  // credentials too, through the AWS SDK's default chain). Jest gives each test file its own process.env.
  Object.assign(process.env, server.env);
  const client = new S3Client(s3ClientConfig(process.env));
  const put = (key: string, body: string) => client.send(new PutObjectCommand({ Bucket: 'lake', Key: key, Body: body, ContentLength: Buffer.byteLength(body) }));
  beforeAll(async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'lake' }));
    await put('clicks/date=2026-11-18/part-0.parquet', 'x'.repeat(100));
    await put('clicks/date=2026-11-18/part-1.parquet', 'x'.repeat(100));
    await put('clicks/date=2026-11-18/_SUCCESS', '');
    await put('clicks/date=2026-11-19/', ''); // a folder placeholder, as consoles create them
    await put('clicks/date=2026-11-20/_SUCCESS', '');
    for (let i = 0; i < 5; i++) await put(`many/part-${i}`, 'abc');
  });
  afterAll(() => client.destroy());

  it('objects under the prefix: satisfied', async () => {
    expect(await checkObjects(client, { bucket: 'lake', prefix: 'clicks/date=2026-11-18/' })).toBe('satisfied');
  });
  it('nothing under the prefix: unsatisfied, saying where it looked', async () => {
    expect(await checkObjects(client, { bucket: 'lake', prefix: 'clicks/date=2026-11-21/' })).toEqual({ state: 'unsatisfied', message: 'no object under s3://lake/clicks/date=2026-11-21/' });
  });
  it('a folder placeholder is not an object', async () => {
    expect(await checkObjects(client, { bucket: 'lake', prefix: 'clicks/date=2026-11-19/' })).toMatchObject({ state: 'unsatisfied' });
  });
  it('fewer objects than minCount: unsatisfied, with the count', async () => {
    expect(await checkObjects(client, { bucket: 'lake', prefix: 'clicks/date=2026-11-18/', minCount: '3' })).toBe('satisfied');
    expect(await checkObjects(client, { bucket: 'lake', prefix: 'clicks/date=2026-11-18/', minCount: '4' })).toEqual({ state: 'unsatisfied', message: '3 objects under s3://lake/clicks/date=2026-11-18/, fewer than 4' });
  });
  it('minBytes: a zero-byte marker alone does not count', async () => {
    expect(await checkObjects(client, { bucket: 'lake', prefix: 'clicks/date=2026-11-20/' })).toBe('satisfied');
    expect(await checkObjects(client, { bucket: 'lake', prefix: 'clicks/date=2026-11-20/', minBytes: '1' })).toEqual({ state: 'unsatisfied', message: 'no object of at least 1 bytes under s3://lake/clicks/date=2026-11-20/' });
    expect(await checkObjects(client, { bucket: 'lake', prefix: 'clicks/date=2026-11-18/', minBytes: '1', minCount: '2' })).toBe('satisfied');
  });
  it('minTotalBytes adds up the objects that count', async () => {
    expect(await checkObjects(client, { bucket: 'lake', prefix: 'clicks/date=2026-11-18/', minTotalBytes: '200' })).toBe('satisfied');
    expect(await checkObjects(client, { bucket: 'lake', prefix: 'clicks/date=2026-11-18/', minTotalBytes: '201' })).toEqual({ state: 'unsatisfied', message: 'the objects under s3://lake/clicks/date=2026-11-18/ hold 200 bytes, fewer than 201' });
  });
  it('follows the pages of a long listing', async () => {
    expect(await checkObjects(client, { bucket: 'lake', prefix: 'many/', minCount: '5' }, { pageSize: 2 })).toBe('satisfied');
    expect(await checkObjects(client, { bucket: 'lake', prefix: 'many/', minCount: '6' }, { pageSize: 2 })).toEqual({ state: 'unsatisfied', message: '5 objects under s3://lake/many/, fewer than 6' });
  });
  it('a bucket that does not exist: unrecoverable, naming it', async () => {
    expect(await checkObjects(client, { bucket: 'no-such-lake', prefix: 'x/' })).toEqual({ state: 'unrecoverable', message: 'the bucket no-such-lake does not exist' });
  });
  it('bad params: unrecoverable', async () => {
    expect(await checkObjects(client, { prefix: 'x/' })).toEqual({ state: 'unrecoverable', message: 'the param bucket is required' });
    expect(await checkObjects(client, { bucket: 'lake', minCount: '0' })).toEqual({ state: 'unrecoverable', message: 'the param minCount must be at least 1, not 0' });
  });
  it('a server nobody listens on: unknown (throws), never unsatisfied', async () => {
    const port = await freePort();
    const nowhere = new S3Client(s3ClientConfig({ ...process.env, AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}` }));
    await expect(checkObjects(nowhere, { bucket: 'lake', prefix: 'clicks/date=2026-11-18/' })).rejects.toThrow(/listing s3:\/\/lake\/clicks\/date=2026-11-18\/: .*ECONNREFUSED/);
    nowhere.destroy();
  });

  it('the program (src/main.ts, bundled as the image bundles it) reads its config from the environment', async () => {
    const program = await bundleProgram('packages/checker-s3-objects/src/main.ts');
    const request = { partitions: ['2026-11-18', '2026-11-21'].map((date) => ({ key: `date=${date}`, params: { bucket: 'lake', prefix: `clicks/date=${date}/` } })) };
    const run = await runProgram(program, { env: server.env, stdin: JSON.stringify(request) });
    expect(run).toMatchObject({ exitCode: 0, stderr: '' });
    expect(parseVerdict(run.stdout, ['date=2026-11-18', 'date=2026-11-21'])).toMatchObject({
      ok: true,
      results: new Map([
        ['date=2026-11-18', { state: 'satisfied' }],
        ['date=2026-11-21', { state: 'unsatisfied', message: 'no object under s3://lake/clicks/date=2026-11-21/' }],
      ]),
    });
  });

  it('end to end in Job mode: the controller decodes the termination message; a stopped server fails the batch', async () => {
    const dates = ['2026-11-18', '2026-11-19', '2026-11-20'];
    const request: CheckerRequest = {
      expectation: { namespace: 'default', name: 'clicks' },
      params: { bucket: 'lake', prefix: 'clicks/date={{date}}/', minBytes: '1' },
      partitions: dates.map((date) => ({ key: `date=${date}`, values: { date }, params: { bucket: 'lake', prefix: `clicks/date=${date}/`, minBytes: '1' } })),
    };
    const dir = mkdtempSync(join(tmpdir(), 'homeostat-s3-check-'));
    try {
      const terminationPath = join(dir, 'termination-log');
      writeFileSync(terminationPath, '');
      const run = await runChecker(s3ObjectsCheck(client), { env: { HOMEOSTAT_REQUEST: JSON.stringify(request) }, terminationPath, stdout: { write: () => true }, stderr: { write: () => true }, setExitCode: false });
      expect(run.exitCode).toBe(0);
      expect(decodeTerminationMessage(readFileSync(terminationPath, 'utf8'), request.partitions.map((p) => p.key))).toEqual({
        ok: true,
        results: new Map([
          ['date=2026-11-18', { state: 'satisfied' }],
          ['date=2026-11-19', { state: 'unsatisfied', message: 'no object of at least 1 bytes under s3://lake/clicks/date=2026-11-19/' }],
          ['date=2026-11-20', { state: 'unsatisfied', message: 'no object of at least 1 bytes under s3://lake/clicks/date=2026-11-20/' }],
        ]),
        missing: [],
        unexpected: [],
      });

      // Every partition unknown: exit 1, no verdict, the reason on stderr (the batch: CheckerFailed).
      await server.stop();
      const stderr: string[] = [];
      const down = new S3Client(s3ClientConfig(process.env));
      writeFileSync(terminationPath, '');
      const failed = await runChecker(s3ObjectsCheck(down), { env: { HOMEOSTAT_REQUEST: JSON.stringify(request) }, terminationPath, stdout: { write: () => true }, stderr: { write: (t: string) => stderr.push(t) }, setExitCode: false });
      down.destroy();
      expect(failed).toEqual({ exitCode: 1 });
      expect(readFileSync(terminationPath, 'utf8')).toBe('');
      expect(stderr.join('')).toMatch(/every partition failed: listing s3:\/\/lake\/clicks\/date=2026-11-\d\d\/: .*ECONNREFUSED/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
