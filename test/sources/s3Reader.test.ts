import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { startS3Server } from '../../test/services/index.js';
import { describeWith } from '../../test/services/jest.js';
import { SourceUnreachable } from '../../src/sources/model.js';
import { s3Client, S3Reader } from '../../src/sources/s3Reader.js';
import { scanEntries } from '../../src/sources/scan.js';
import { CHECKER, expectationYaml, NS } from './world.js';

const s3 = await startS3Server();
afterAll(async () => {
  if (s3.available) await s3.stop();
});

describeWith(s3, 'an S3 source against a real S3 API (moto)', (server) => {
  const location = { bucket: 'definitions', prefix: 'team-a/', endpoint: server.endpoint, region: server.region, forcePathStyle: true };
  const credentials = { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey };
  const client = s3Client(location, credentials);
  const put = (key: string, body: string) => client.send(new PutObjectCommand({ Bucket: 'definitions', Key: key, Body: body }));
  beforeAll(async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'definitions' }));
    await put('team-a/checkers.yaml', CHECKER);
    for (let i = 0; i < 7; i++) await put(`team-a/exp/e${i}.yaml`, expectationYaml(`e${i}`));
    await put('team-a/exp/', ''); // a folder placeholder, as consoles create them
    await put('team-a/notes.txt', 'not a definition');
    await put('team-b/other.yaml', expectationYaml('theirs'));
  });
  afterAll(() => client.destroy());

  it('lists the definitions under the prefix, page by page, with ETag and size as the checksum', async () => {
    const reader = new S3Reader(client, location, 3);
    const entries = await reader.list();
    expect(entries.map((e) => e.path)).toEqual(['checkers.yaml', ...Array.from({ length: 7 }, (_, i) => `exp/e${i}.yaml`)]);
    expect(reader.lists).toBe(4); // 10 keys under the prefix, 3 a page
    expect(entries[0]?.checksum).toMatch(new RegExp(`^etag:[0-9a-f]{32}:${Buffer.byteLength(CHECKER)}$`));
    expect(reader.gets).toBe(0);
  });

  it('fetches only the objects whose checksum changed', async () => {
    const reader = new S3Reader(client, location);
    const ctx = { source: 'lake', namespace: NS, prune: 'Suspend' as const, live: [] };
    const first = await scanEntries(await reader.list(), new Map(), ctx);
    expect(reader.gets).toBe(8);
    expect(first.apply).toHaveLength(8);
    await put('team-a/exp/e3.yaml', expectationYaml('e3', 'files', '\n  recheckEvery: 1h'));
    const second = await scanEntries(await reader.list(), first.state, ctx);
    expect(reader.gets).toBe(9);
    expect(second.read).toEqual(['exp/e3.yaml']);
  });

  it('an unreachable endpoint is the whole source\'s problem, and says where without a credential', async () => {
    const nowhere = { ...location, endpoint: 'http://127.0.0.1:9' };
    const reader = new S3Reader(s3Client(nowhere, { accessKeyId: 'AKIDSECRETLOOKING', secretAccessKey: 'very-secret-key' }, 2000), nowhere);
    const failure = await reader.list().then(() => undefined, (e: unknown) => e);
    expect(failure).toBeInstanceOf(SourceUnreachable);
    expect((failure as Error).message).toMatch(/^listing s3:\/\/definitions\/team-a\/ failed: /);
    expect((failure as Error).message).not.toMatch(/AKIDSECRETLOOKING|very-secret-key/);
  });

  it('a missing bucket is unreachable too', async () => {
    const missing = { ...location, bucket: 'no-such-bucket' };
    await expect(new S3Reader(client, missing).list()).rejects.toThrow(/^listing s3:\/\/no-such-bucket\/team-a\/ failed: NoSuchBucket \(HTTP 404\)/);
  });
});
