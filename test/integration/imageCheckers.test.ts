// The example checker images (dist/images/homeostat-checker-*-VERSION.tar, `make image`) run as a
// Job-mode checker's Pod would be: the image's entrypoint, as 65532 on a read-only root filesystem,
// HOMEOSTAT_REQUEST in the env, a writable /dev/termination-log, against a real S3 API (moto) and a
// real PostgreSQL (test/services). The verdict is read the way the controller reads it: the
// termination message through decodeTerminationMessage, or, when the container failed and wrote
// none, its log tail (terminationMessagePolicy FallbackToLogsOnError), which decodes to no verdict.
// Present data is satisfied, missing data unsatisfied, unreachable data Unknown, never unsatisfied.
// No API server is needed; the file is here because `make test-integration` builds the images first.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { decodeTerminationMessage } from '../../src/checkers/compactVerdict.js';
import { freePort, startPostgres, startS3Server } from '../services/index.js';
import { describeWith } from '../services/jest.js';
import { imageArchive, imageRuntime, runImage, type UnpackedImage, unpackImage } from './harness/runImage.js';

const asRoot = process.getuid?.() === 0;
if (!asRoot) console.warn('\n!! IMAGE TESTS SKIPPED: running an image needs root (mount namespaces, chroot)\n');
const describeImage = asRoot ? describe : describe.skip;

interface Partition {
  key: string;
  params: Record<string, string>;
}

/** What the controller makes of one run: the decoded states by key (undefined: Unknown), the exit code. */
async function check(image: UnpackedImage, partitions: Partition[], env: Record<string, string> = {}, mounts: { source: string; destination: string }[] = []) {
  const request = { expectation: { namespace: 'default', name: 'image-test' }, params: {}, partitions };
  const container = await runImage(image, { env: { ...env, HOMEOSTAT_REQUEST: JSON.stringify(request) }, mounts, timeoutMs: 60_000 });
  const exit = await container.exited;
  const keys = partitions.map((p) => p.key);
  const message = container.terminationMessage() || (exit.code !== 0 ? container.output().slice(-2048) : '');
  const verdict = decodeTerminationMessage(message, keys);
  const states = Object.fromEntries(keys.map((k) => [k, verdict.ok ? verdict.results.get(k)?.state : undefined]));
  return { exit: exit.code, states, verdict, output: container.output() };
}

async function unpacked(name: string): Promise<UnpackedImage> {
  const image = await unpackImage(imageArchive(name));
  const runtime = await imageRuntime(image);
  if (runtime !== 'crun' && runtime !== 'chroot') throw new Error(runtime);
  return image;
}

const s3 = asRoot ? await startS3Server() : undefined;
const postgres = asRoot ? await startPostgres() : undefined;
afterAll(async () => {
  if (s3?.available) await s3.stop();
  if (postgres?.available) await postgres.stop();
});

describeImage('example checker images, run as a checker Job', () => {
  if (s3 !== undefined) {
    describeWith(s3, 'homeostat-checker-s3-objects against moto', (server) => {
      let image: UnpackedImage;
      beforeAll(async () => {
        image = await unpacked('homeostat-checker-s3-objects');
        const client = new S3Client({ endpoint: server.endpoint, region: server.region, forcePathStyle: true, credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey } });
        await client.send(new CreateBucketCommand({ Bucket: 'lake' }));
        await client.send(new PutObjectCommand({ Bucket: 'lake', Key: 'clicks/date=2026-11-18/part-0', Body: 'x'.repeat(10) }));
        client.destroy();
      }, 120_000);
      afterAll(() => image?.remove());
      const day = (date: string) => ({ key: `date=${date}`, params: { bucket: 'lake', prefix: `clicks/date=${date}/` } });

      it('present is satisfied, missing is unsatisfied', async () => {
        const run = await check(image, [day('2026-11-18'), day('2026-11-19')], server.env);
        expect(run.exit).toBe(0);
        expect(run.states).toEqual({ 'date=2026-11-18': 'satisfied', 'date=2026-11-19': 'unsatisfied' });
      }, 60_000);

      it('an unreachable S3 is Unknown, never unsatisfied', async () => {
        const closed = await freePort();
        const run = await check(image, [day('2026-11-18'), day('2026-11-19')], { ...server.env, AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${closed}`, AWS_MAX_ATTEMPTS: '1' });
        expect(run.exit).not.toBe(0);
        expect(run.states).toEqual({ 'date=2026-11-18': undefined, 'date=2026-11-19': undefined });
      }, 60_000);
    });
  }

  if (postgres !== undefined) {
    describeWith(postgres, 'homeostat-checker-sql-rows against PostgreSQL', (server) => {
      let image: UnpackedImage;
      beforeAll(async () => {
        image = await unpacked('homeostat-checker-sql-rows');
        const admin = new pg.Client({ connectionString: server.connectionString });
        await admin.connect();
        await admin.query('CREATE TABLE events (day date NOT NULL, campaign text NOT NULL)');
        await admin.query("INSERT INTO events VALUES ('2026-11-18', 'c1')");
        await admin.end();
      }, 120_000);
      afterAll(() => image?.remove());
      const query = 'SELECT * FROM events WHERE day = $1::date AND campaign = $2';
      const partition = (day: string, campaign: string) => ({ key: `day=${day}/campaign=${campaign}`, params: { query, arg1: day, arg2: campaign } });

      it('present is satisfied, missing is unsatisfied', async () => {
        const run = await check(image, [partition('2026-11-18', 'c1'), partition('2026-11-18', 'c2')], { DATABASE_URL: server.connectionString });
        expect(run.exit).toBe(0);
        expect(run.states).toEqual({ 'day=2026-11-18/campaign=c1': 'satisfied', 'day=2026-11-18/campaign=c2': 'unsatisfied' });
      }, 60_000);

      it('an unreachable database is Unknown, never unsatisfied', async () => {
        const closed = await freePort();
        const url = new URL(server.connectionString);
        url.port = String(closed);
        const run = await check(image, [partition('2026-11-18', 'c1')], { DATABASE_URL: url.toString() });
        expect(run.exit).not.toBe(0);
        expect(run.states).toEqual({ 'day=2026-11-18/campaign=c1': undefined });
      }, 60_000);
    });
  }

  describe('homeostat-checker-file-exists on a mounted volume', () => {
    let image: UnpackedImage;
    let volume: string;
    beforeAll(async () => {
      image = await unpacked('homeostat-checker-file-exists');
      volume = mkdtempSync(join(tmpdir(), 'homeostat-volume-'));
      chmodSync(volume, 0o755); // readable by the container's user, as a volume would be
      mkdirSync(join(volume, 'date=2026-11-18'), { mode: 0o755 });
      writeFileSync(join(volume, 'date=2026-11-18', '_SUCCESS'), 'ok', { mode: 0o644 });
    }, 120_000);
    afterAll(() => {
      image?.remove();
      if (volume !== undefined) rmSync(volume, { recursive: true, force: true });
    });
    const day = (date: string) => ({ key: `date=${date}`, params: { path: `date=${date}/_SUCCESS` } });

    it('present is satisfied, missing is unsatisfied', async () => {
      const run = await check(image, [day('2026-11-18'), day('2026-11-19')], { HOMEOSTAT_FILE_ROOT: '/data' }, [{ source: volume, destination: '/data' }]);
      expect(run.exit).toBe(0);
      expect(run.states).toEqual({ 'date=2026-11-18': 'satisfied', 'date=2026-11-19': 'unsatisfied' });
    }, 60_000);

    it('a volume that is not mounted is Unknown, never unsatisfied', async () => {
      // Not /data: the runtime left that mount point in the shared unpacked rootfs.
      const run = await check(image, [day('2026-11-18'), day('2026-11-19')], { HOMEOSTAT_FILE_ROOT: '/volume' });
      expect(run.exit).not.toBe(0);
      expect(run.states).toEqual({ 'date=2026-11-18': undefined, 'date=2026-11-19': undefined });
    }, 60_000);
  });
});
