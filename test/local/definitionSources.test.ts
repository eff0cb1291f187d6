// `homeostat dev DIR` is a directory source read by src/sources, and an S3 DefinitionSource in DIR
// is loaded by the loader's core against a real S3 API (moto): compact JSON Dags run, an unchanged
// file or object is not read again, a bad file keeps its last good version, a removed file suspends
// its Dag with a Suspended condition saying why, and putting it back re-runs nothing.
import { afterAll, afterEach, expect, it } from '@jest/globals';
import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { cpSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { listSources } from '../../src/cli/sources.js';
import type { DevLoop } from '../../src/local/devLoop.js';
import { s3Client } from '../../src/sources/s3Reader.js';
import { startS3Server } from '../services/index.js';
import { describeWith } from '../services/jest.js';
import { EXAMPLES, sandbox, type Sandbox, waitFor } from './fixtures.js';

const COMPACT = readFileSync(join(EXAMPLES, 'sources/bucket/nightly_counts.json'), 'utf8');

let box: Sandbox;
afterEach(() => box.cleanup());

const conditionOf = (loop: DevLoop, kind: string, name: string, type: string) => {
  const object = loop.status.document().objects.find((o) => o.kind === kind && o.metadata.name === name);
  return ((object?.status?.conditions ?? []) as { type: string; status: string; reason: string; message: string }[]).find((c) => c.type === type);
};
/** `homeostat sources -d DIR`, in-process. */
async function sourcesOf(loop: DevLoop, dir: string): Promise<string> {
  await loop.status.flush();
  let out = '';
  await listSources({ dir }, { out: (t) => void (out += t), err: (t) => void (out += t) });
  return out;
}
const published = (box: Sandbox) => readFileSync(join(box.data, 'published.txt'), 'utf8').trim().split('\n');

it('a compact JSON Dag in the directory runs; unchanged, it is not read again; bad, its last good version stays; removed, it is suspended and says why; back, nothing re-runs', async () => {
  box = sandbox({ quickstart: false });
  mkdirSync(box.dir);
  box.write('nightly_counts.json', COMPACT);
  const loop = await box.start();
  expect((await loop.untilConverged(30_000)).converged).toBe(true);
  expect(loop.reconciler.engine.owner({ kind: 'Dag', namespace: 'default', name: 'nightly-counts' })).toBeDefined();
  const runs = published(box);
  expect(runs).toHaveLength(1); // yesterday's period; today's is not over

  const { parsed, opened } = loop.watcher;
  await loop.watcher.poll();
  expect([loop.watcher.parsed, loop.watcher.opened]).toEqual([parsed, opened]);

  box.write('nightly_counts.json', COMPACT.replace('"edges"', '"edgez"'));
  await waitFor('the bad file to be reported', () => loop.fileProblems().some((p) => p.file === 'nightly_counts.json'));
  expect(loop.fileProblems()).toEqual([{ file: 'nightly_counts.json', kept: 1, message: expect.stringContaining('edgez: unknown field') }]);
  expect(loop.reconciler.engine.owner({ kind: 'Dag', namespace: 'default', name: 'nightly-counts' })).toBeDefined();
  box.write('nightly_counts.json', COMPACT);
  await waitFor('the file to be good again', () => loop.fileProblems().length === 0);

  rmSync(join(box.dir, 'nightly_counts.json'));
  await waitFor('the Dag to say it is suspended', () => conditionOf(loop, 'Dag', 'nightly-counts', 'Suspended') !== undefined);
  expect(conditionOf(loop, 'Dag', 'nightly-counts', 'Suspended')).toMatchObject({
    status: 'True',
    reason: 'SourceFileRemoved',
    message: 'suspended by the manifest directory: file nightly_counts.json is gone; putting the file back resumes it without re-running what succeeded',
  });

  box.write('nightly_counts.json', COMPACT);
  await waitFor('the Dag to be resumed and settled', () => conditionOf(loop, 'Dag', 'nightly-counts', 'Suspended') === undefined && loop.fileProblems().length === 0 && loop.convergence().converged && loop.reconciler.idle());
  expect(published(box)).toEqual(runs);
});

it('an S3 source that cannot be reached is reported with where, never a key, and suspends nothing; a credentialsSecretRef is said to be unused', async () => {
  box = sandbox({ quickstart: false });
  mkdirSync(box.dir);
  cpSync(join(EXAMPLES, 'sources/embedded'), box.dir, { recursive: true });
  box.edit('local-dags.yaml', 'http://127.0.0.1:9000', 'http://127.0.0.1:9');
  box.edit('local-dags.yaml', 'forcePathStyle: true', 'forcePathStyle: true\n    credentialsSecretRef: {name: lake-keys}');
  process.env.AWS_ACCESS_KEY_ID = 'AKIDEMBEDDEDSECRET';
  process.env.AWS_SECRET_ACCESS_KEY = 'very-secret-embedded-key';
  try {
    const loop = await box.start();
    expect(loop.fileProblems()).toEqual([{ file: 's3://definitions/embedded/', kept: 0, message: expect.stringMatching(/^DefinitionSource local-dags: listing s3:\/\/definitions\/embedded\/ failed: /) }]);
    expect(JSON.stringify(box.lines)).not.toMatch(/AKIDEMBEDDEDSECRET|very-secret-embedded-key/);
    expect(box.lines.some((l) => /credentialsSecretRef is not read in embedded mode/.test(l.msg))).toBe(true);
    expect(loop.watcher.s3Sources()[0]?.nextScanMs()).toBe(1_000); // retried after 1 s, then 2 s, ... up to the interval
    expect(await sourcesOf(loop, box.dir)).toMatch(/\nlocal-dags: not ready: BucketUnreachable: listing s3:\/\/definitions\/embedded\/ failed: /);
  } finally {
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
  }
});

const s3 = await startS3Server();
afterAll(async () => {
  if (s3.available) await s3.stop();
});

describeWith(s3, 'an S3 DefinitionSource in the directory of `homeostat dev` (moto)', (server) => {
  const client = s3Client({ bucket: 'definitions', endpoint: server.endpoint, region: server.region, forcePathStyle: true }, { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey });
  const KEY = 'embedded/nightly_counts.json';
  const saved = { ...process.env };
  afterAll(() => {
    client.destroy();
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION']) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  it('examples/sources/embedded: the bucket\'s compact JSON Dag converges; an unchanged object is not fetched again; a deleted one suspends the Dag; put back, nothing re-runs', async () => {
    // Embedded mode has no Secrets: the keys come from the SDK's default chain, here the environment.
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: server.accessKeyId, AWS_SECRET_ACCESS_KEY: server.secretAccessKey, AWS_REGION: server.region });
    await client.send(new CreateBucketCommand({ Bucket: 'definitions' }));
    await client.send(new PutObjectCommand({ Bucket: 'definitions', Key: KEY, Body: COMPACT }));
    box = sandbox({ quickstart: false });
    cpSync(join(EXAMPLES, 'sources/embedded'), box.dir, { recursive: true });
    box.edit('local-dags.yaml', 'http://127.0.0.1:9000', server.endpoint);
    box.edit('local-dags.yaml', 'interval: 5s', 'interval: 1s');

    const loop = await box.start();
    expect((await loop.untilConverged(30_000)).converged).toBe(true);
    const dag = loop.reconciler.engine.owner({ kind: 'Dag', namespace: 'default', name: 'nightly-counts' });
    expect(dag).toBeDefined();
    const runs = published(box);
    expect(runs).toHaveLength(1);
    expect(loop.fileProblems()).toEqual([]);
    const [header, row] = (await sourcesOf(loop, box.dir)).split('\n');
    expect(header?.split(/\s{3,}/)).toEqual(['NAME', 'WHERE', 'READY', 'FILES', 'OBJECTS', 'PROBLEMS', 'LAST SCAN', 'AGE']);
    expect(row?.split(/\s{3,}/).slice(0, 6)).toEqual(['local-dags', 's3://definitions/embedded/', 'True', '1', '1', '0']);

    const [source] = loop.watcher.s3Sources();
    if (source === undefined) throw new Error('no S3 source loaded');
    const { gets, scans } = { gets: source.gets, scans: source.scans };
    await waitFor('two more scans', () => source.scans >= scans + 2);
    expect(source.gets).toBe(gets);

    await client.send(new DeleteObjectCommand({ Bucket: 'definitions', Key: KEY }));
    await waitFor('the Dag to say it is suspended', () => conditionOf(loop, 'Dag', 'nightly-counts', 'Suspended') !== undefined);
    expect(conditionOf(loop, 'Dag', 'nightly-counts', 'Suspended')).toMatchObject({
      status: 'True',
      reason: 'SourceFileRemoved',
      message: 'suspended by DefinitionSource local-dags: file nightly_counts.json is gone; putting the file back resumes it without re-running what succeeded',
    });

    await client.send(new PutObjectCommand({ Bucket: 'definitions', Key: KEY, Body: COMPACT }));
    await waitFor('the Dag to be resumed and settled', () => conditionOf(loop, 'Dag', 'nightly-counts', 'Suspended') === undefined && loop.convergence().converged && loop.reconciler.idle());
    expect(published(box)).toEqual(runs);

    // The DefinitionSource's own file removed: what it loaded is suspended, not dropped; back, resumed.
    const declaration = readFileSync(join(box.dir, 'local-dags.yaml'), 'utf8');
    rmSync(join(box.dir, 'local-dags.yaml'));
    await waitFor('the Dag to be suspended with its source', () => conditionOf(loop, 'Dag', 'nightly-counts', 'Suspended') !== undefined);
    expect(conditionOf(loop, 'Dag', 'nightly-counts', 'Suspended')?.message).toMatch(/^suspended by DefinitionSource local-dags: DefinitionSource local-dags is no longer declared;/);
    box.write('local-dags.yaml', declaration);
    await waitFor('the Dag to be resumed again', () => conditionOf(loop, 'Dag', 'nightly-counts', 'Suspended') === undefined && loop.convergence().converged && loop.reconciler.idle());
    expect(published(box)).toEqual(runs);
  });
});

it('a JSON file that declares nothing (package.json) is not a problem; a JSON manifest is read as one', async () => {
  box = sandbox({ quickstart: false });
  mkdirSync(box.dir);
  box.write('package.json', '{"name": "my-checkers", "type": "module"}\n');
  box.write('checker.json', JSON.stringify({ apiVersion: 'homeostat.dev/v1alpha1', kind: 'StateChecker', metadata: { name: 'files' }, spec: { mode: 'Push', timeout: '1h' } }));
  box.write('typo.json', JSON.stringify({ apiVersion: 'homeostat.dev/v1alpha1', kind: 'StateChecker', metadata: { name: 'typo' }, spec: { mode: 'Pushh' } }));
  const loop = await box.start();
  expect(loop.fileProblems().map((p) => p.file)).toEqual(['typo.json']);
  expect(loop.status.document().objects.filter((o) => o.kind === 'StateChecker').map((o) => o.metadata.name)).toEqual(['files']);
});
