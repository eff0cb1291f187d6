// Definition sources: a scan of 1,000 unchanged files and of 1,000 files with one changed, from a
// directory and from a local S3 server (moto), with the time, the reads and the API writes each.
// The writes are the plan's (applies and prunes): the controller makes exactly those
// (test/integration/definitionSource.test.ts counts them against a real API server).
// Goals: unchanged <= 200 ms (directory) and <= 1 s (S3), 0 writes; one changed: 1 read, 1 apply.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DirectoryReader } from '../src/sources/directoryReader.js';
import { idOf, type LiveObject, type ScanPlan, type ScanState, type SourceEntry } from '../src/sources/model.js';
import { s3Client, S3Reader } from '../src/sources/s3Reader.js';
import { scanEntries } from '../src/sources/scan.js';
import { startS3Server } from '../test/services/index.js';

const FILES = 1000;
const CHECKER = 'apiVersion: homeostat.dev/v1alpha1\nkind: StateChecker\nmetadata: {name: files}\nspec: {image: example/files:1}\n';
const expectation = (i: number, recheck = '6h') => `apiVersion: homeostat.dev/v1alpha1\nkind: Expectation\nmetadata: {name: e${i}}\nspec:\n  checker: {ref: files}\n  recheckEvery: ${recheck}\n`;

/** One source scanned again and again, its plan carried out on an in-memory cluster. */
class Runner {
  state: ScanState = new Map();
  live = new Map<string, LiveObject>();
  constructor(private readonly list: () => Promise<SourceEntry[]>) {}
  async scan(): Promise<{ ms: number; reads: number; writes: number }> {
    const start = performance.now();
    const entries = await this.list();
    const plan: ScanPlan = await scanEntries(entries, this.state, { source: 'bench', namespace: 'bench', prune: 'Suspend', live: [...this.live.values()] });
    const ms = performance.now() - start;
    this.state = plan.state;
    for (const s of plan.apply) {
      const a = s.object.metadata.annotations ?? {};
      this.live.set(idOf(s.object), { object: s.object, source: 'bench', pruned: false, ...(a['homeostat.dev/source-file'] !== undefined ? { file: a['homeostat.dev/source-file'] } : {}), ...(a['homeostat.dev/source-digest'] !== undefined ? { digest: a['homeostat.dev/source-digest'] } : {}) });
    }
    return { ms: Math.round(ms * 10) / 10, reads: plan.read.length, writes: plan.apply.length + plan.prune.length };
  }
}

async function measure(what: string, runner: Runner, change: () => Promise<void>): Promise<void> {
  const first = await runner.scan();
  const unchanged = [];
  for (let i = 0; i < 5; i++) unchanged.push(await runner.scan());
  await change();
  const changed = await runner.scan();
  const median = unchanged.map((u) => u.ms).sort((a, b) => a - b)[2];
  console.log([what, `${first.ms} ms, ${first.reads} reads, ${first.writes} writes`, `${median} ms (median of 5), ${unchanged[4]?.reads} reads, ${unchanged[4]?.writes} writes`, `${changed.ms} ms, ${changed.reads} reads, ${changed.writes} writes`].join('\t'));
}

console.log(`\nDefinition sources: ${FILES} files (a StateChecker and ${FILES - 1} Expectations)`);
console.log('goals: unchanged scan <= 200 ms (directory), <= 1000 ms (local S3), 0 writes; one changed: 1 read, 1 apply\n');
console.log(['source', 'first scan', 'unchanged scan', 'one file changed'].join('\t'));

const dir = mkdtempSync(join(tmpdir(), 'homeostat-bench-sources-'));
try {
  writeFileSync(join(dir, 'checker.yaml'), CHECKER);
  for (let i = 1; i < FILES; i++) writeFileSync(join(dir, `e${i}.yaml`), expectation(i));
  const reader = new DirectoryReader(dir);
  await measure('directory', new Runner(() => reader.list()), async () => writeFileSync(join(dir, 'e500.yaml'), expectation(500, '2h')));
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const s3 = await startS3Server();
if (!s3.available) console.log(`S3\tskipped: ${s3.reason}`);
else {
  const location = { bucket: 'bench', endpoint: s3.endpoint, region: s3.region, forcePathStyle: true };
  const client = s3Client(location, { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey });
  try {
    await client.send(new CreateBucketCommand({ Bucket: 'bench' }));
    const put = (key: string, body: string) => client.send(new PutObjectCommand({ Bucket: 'bench', Key: key, Body: body }));
    await put('checker.yaml', CHECKER);
    for (let i = 1; i < FILES; i += 50) await Promise.all(Array.from({ length: Math.min(50, FILES - i) }, (_, k) => put(`e${i + k}.yaml`, expectation(i + k))));
    const reader = new S3Reader(client, location);
    await measure('S3 (moto)', new Runner(() => reader.list()), async () => void (await put('e500.yaml', expectation(500, '2h'))));
  } finally {
    client.destroy();
    await s3.stop();
  }
}
