// An S3 DefinitionSource (moto) next to a directory source, loaded by the controller into a real
// API server: credentials come from a Secret that allows the source; a Secret that does not is
// refused; an unreachable endpoint is Ready=False without pruning anything; no credential ever
// reaches the status or an Event.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Controller } from '../../src/kube/controller.js';
import { CheckerUrlPolicy } from '../../src/kube/checkerUrlPolicy.js';
import { s3Client } from '../../src/sources/s3Reader.js';
import { startS3Server } from '../services/index.js';
import { CHECKER, conditionsOf, expectation, Scene } from './controllerFixtures.js';
import { createNamespace, describeIntegration, eventually, installCrds } from './harness/cluster.js';

const s3 = await startS3Server();
afterAll(async () => {
  if (s3.available) await s3.stop();
});

const KEY_ID = 'AKIDLOADERTEST0001';
const SECRET_KEY = 'loader-secret-key-do-not-print';

function mustPolicy(allow: string[]): CheckerUrlPolicy {
  const policy = CheckerUrlPolicy.create({ allow });
  if (!policy.ok) throw new Error(policy.error);
  return policy.value;
}

describeIntegration('controller: an S3 DefinitionSource and a directory source at once', () => {
  if (!s3.available) {
    it.skip(`needs moto: ${s3.reason}`, () => undefined);
    return;
  }
  const server = s3;
  let scene: Scene;
  let controller: Controller;
  let root: string;
  const bucket = s3Client({ bucket: 'defs', endpoint: server.endpoint, region: server.region, forcePathStyle: true }, { accessKeyId: KEY_ID, secretAccessKey: SECRET_KEY });
  const put = (key: string, body: string) => bucket.send(new PutObjectCommand({ Bucket: 'defs', Key: key, Body: body }));
  const s3Source = (name: string, secret: string, endpoint = server.endpoint) => `apiVersion: homeostat.dev/v1alpha1
kind: DefinitionSource
metadata: {name: ${name}}
spec:
  s3: {bucket: defs, prefix: team-a/, endpoint: "${endpoint}", region: ${server.region}, forcePathStyle: true, credentialsSecretRef: {name: ${secret}}}
  interval: 1h
`;
  const secret = (name: string, allows?: string) => `apiVersion: v1
kind: Secret
metadata:
  name: ${name}
${allows !== undefined ? `  annotations: {homeostat.dev/definition-sources: "${allows}"}\n` : ''}stringData: {AWS_ACCESS_KEY_ID: ${KEY_ID}, AWS_SECRET_ACCESS_KEY: ${SECRET_KEY}}
`;

  beforeAll(async () => {
    await installCrds();
    scene = new Scene(await createNamespace('ctl-sources-s3'));
    await bucket.send(new CreateBucketCommand({ Bucket: 'defs' }));
    await put('team-a/checkers.yaml', CHECKER);
    await put('team-a/exp/lake.yaml', expectation('lake', '  suspend: true\n'));
    root = mkdtempSync(join(tmpdir(), 'homeostat-sources-s3-'));
    mkdirSync(join(root, 'local'));
    writeFileSync(join(root, 'local', 'disk.yaml'), expectation('disk', '  suspend: true\n'));
    // The local S3 server is on loopback, which the controller refuses unless the administrator allows it.
    controller = await scene.start({ checkerUrlPolicy: mustPolicy(['127.0.0.1/32']), sources: { directoryRoots: [root], retryInitialMs: 200 } });
    await scene.apply(secret('lake-keys', 'lake, other'));
    await scene.apply(secret('private-keys'));
  });

  afterAll(async () => {
    await scene?.stopAll();
    bucket.destroy();
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });

  it('loads both: the bucket with the Secret that allows it, and the directory whose Expectation needs the bucket\'s checker', async () => {
    // The directory first: its Expectation names the checker the bucket holds, not there yet.
    await scene.apply(`apiVersion: homeostat.dev/v1alpha1\nkind: DefinitionSource\nmetadata: {name: disk}\nspec: {directory: {path: ${join(root, 'local')}}, interval: 1h}\n`);
    const waiting = await scene.until('disk', (s) => expect(s.counts).toMatchObject({ files: 1, problems: 1 }), 20_000, 'definitionsource');
    expect((waiting.files as { problem: string }[])[0]?.problem).toBe(`Expectation/disk: spec.checker.ref: StateChecker files not found in namespace ${scene.ns}`);
    await scene.apply(s3Source('lake', 'lake-keys'));
    await scene.until('lake', (s) => expect(s.counts).toEqual({ files: 2, objects: 2, problems: 0, suspended: 0 }), 20_000, 'definitionsource');
    // No scan asked and an interval of 1h: the directory source tries again by itself, soon.
    await scene.until('disk', (s) => expect(s.counts).toEqual({ files: 1, objects: 1, problems: 0, suspended: 0 }), 20_000, 'definitionsource');
    const lake = await scene.get<{ metadata: { labels: Record<string, string>; annotations: Record<string, string> } }>('exp', 'lake');
    expect(lake.metadata.labels['homeostat.dev/source']).toBe('lake');
    expect(lake.metadata.annotations['homeostat.dev/source-file']).toBe('exp/lake.yaml');
    expect((await scene.get<{ metadata: { labels: Record<string, string> } }>('exp', 'disk')).metadata.labels['homeostat.dev/source']).toBe('disk');
  });

  it('a changed object is fetched and applied alone', async () => {
    const before = controller.sources?.writes ?? 0;
    await put('team-a/exp/lake.yaml', expectation('lake', '  suspend: true\n  recheckEvery: 2h\n'));
    const scans = controller.sources?.scans(scene.ns, 'lake') ?? 0;
    await scene.kubectl(['annotate', '--overwrite', 'definitionsources', 'lake', `homeostat.dev/scan-requested-at=${Date.now()}`]);
    await eventually(async () => {
      if ((controller.sources?.scans(scene.ns, 'lake') ?? 0) <= scans) throw new Error('not scanned yet');
    }, 15_000);
    expect((await scene.get<{ spec: { recheckEvery: string } }>('exp', 'lake')).spec.recheckEvery).toBe('2h');
    // One apply and the status (its revision and lastScanRequest changed).
    expect((controller.sources?.writes ?? 0) - before).toBe(2);
  });

  it('a Secret that does not name the source is not used: Ready=False, and nothing is read', async () => {
    await scene.apply(s3Source('borrower', 'private-keys'));
    const status = await scene.until('borrower', (s) => expect(conditionsOf(s).Ready).toBe('False/CredentialsUnavailable'), 20_000, 'definitionsource');
    const ready = (status.conditions as { type: string; message: string }[]).find((c) => c.type === 'Ready');
    expect(ready?.message).toBe('Secret private-keys does not allow this source: its annotation homeostat.dev/definition-sources must list borrower (or *)');
  });

  it('an endpoint the outbound policy refuses (the metadata service, a loopback not allowed): Ready=False EndpointRefused, nothing sent', async () => {
    for (const [name, endpoint, why] of [
      ['metadata', 'http://169.254.169.254', '169.254.169.254 is a link-local address'],
      ['loopback6', 'http://[::1]:9', '::1 is a loopback address'],
    ] as const) {
      await scene.apply(s3Source(name, 'lake-keys', endpoint));
      const status = await scene.until(name, (s) => expect(conditionsOf(s).Ready).toBe('False/EndpointRefused'), 20_000, 'definitionsource');
      const ready = (status.conditions as { type: string; message: string }[]).find((c) => c.type === 'Ready');
      expect(ready?.message).toContain(`endpoint ${endpoint} is refused: ${why}`);
      expect(ready?.message).toContain('--checker-url-allow');
    }
  });

  it('an unreachable endpoint: Ready=False with the reason, nothing pruned, and no credential said anywhere', async () => {
    await scene.apply(s3Source('lake', 'lake-keys', 'http://127.0.0.1:9'));
    const status = await scene.until('lake', (s) => expect(conditionsOf(s).Ready).toBe('False/BucketUnreachable'), 30_000, 'definitionsource');
    expect((await scene.get<{ spec: { suspend: boolean }; metadata: { annotations: Record<string, string> } }>('exp', 'lake')).metadata.annotations['homeostat.dev/source-pruned']).toBeUndefined();
    const said = JSON.stringify(status) + (await scene.events('DefinitionSource', 'lake')).join('\n');
    expect(said).toMatch(/listing s3:\/\/defs\/team-a\/ failed/);
    expect(said).not.toContain(KEY_ID);
    expect(said).not.toContain(SECRET_KEY);
  });
});
