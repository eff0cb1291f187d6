// What the image archives of `make image` are, before anything runs them: what skopeo reads from
// the archive (the reference, labels, user, entrypoint), and what the controller image holds and
// does not (no shell, no npm, no compiler; Node and the bundle; nonroot 65532), plus the checker
// base's promise: a user's /app/checker.mjs can import '@homeostat/checker-sdk'.
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { imageEnv, imageNodeFlags } from '../../bench/controllerNodeFlags.js';
import { imageArchive, imageRuntime, runImage, type UnpackedImage, unpackImage } from './harness/runImage.js';

const run = promisify(execFile);
const CONTROLLER_ENTRYPOINT = ['/usr/local/bin/node', ...imageNodeFlags(), '/usr/local/lib/homeostat/dist/cli/main.js'];
// hack/image/controller-env for this machine's architecture, that of the images built here.
const CONTROLLER_ENV = Object.entries(imageEnv()).map(([k, v]) => `${k}=${v}`);
const JEMALLOC = imageEnv().LD_PRELOAD ?? '(no LD_PRELOAD in hack/image/controller-env)';
const { version } = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };
const asRoot = process.getuid?.() === 0;
if (!asRoot) console.warn('\n!! IMAGE TESTS SKIPPED: unpacking and running an image needs root\n');
const describeImage = asRoot ? describe : describe.skip;

interface Inspected {
  Name: string;
  Labels: Record<string, string>;
  Architecture: string;
  Os: string;
  Layers: string[];
}

describe('the archives', () => {
  it.each(['homeostat', 'homeostat-checker', 'homeostat-checker-s3-objects', 'homeostat-checker-sql-rows', 'homeostat-checker-file-exists'])('%s: a docker-archive with its reference and OCI labels', async (name) => {
    const archive = imageArchive(name);
    expect(existsSync(archive)).toBe(true);
    const inspected = JSON.parse((await run('skopeo', ['inspect', `docker-archive:${archive}`])).stdout) as Inspected;
    const config = JSON.parse((await run('skopeo', ['inspect', '--config', `docker-archive:${archive}`])).stdout) as { config: { User: string; Entrypoint: string[]; Cmd?: string[]; WorkingDir: string; Env: string[] } };
    // What docker load, podman load and kind load read: the archive's manifest.json names repo:tag.
    const [manifest] = JSON.parse((await run('tar', ['-xOf', archive, 'manifest.json'])).stdout) as { RepoTags: string[] }[];
    expect(manifest?.RepoTags).toEqual([expect.stringMatching(new RegExp(`/${name}:${version.replace(/\./g, '\\.')}$`))]);
    expect(inspected).toMatchObject({ Os: 'linux' });
    expect(inspected.Labels).toMatchObject({
      'org.opencontainers.image.version': version,
      'org.opencontainers.image.licenses': 'Apache-2.0',
      'org.opencontainers.image.title': expect.stringMatching(/Homeostat/),
      'org.opencontainers.image.source': expect.stringMatching(/^https:\/\//),
      'org.opencontainers.image.revision': expect.stringMatching(/^[0-9a-f]{40}$|^unknown$/),
      'org.opencontainers.image.created': expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(config.config.User).toBe('65532:65532');
    if (name === 'homeostat') {
      // Node with the controller's flags (hack/image/controller-node-flags), then the bundle.
      expect(config.config).toMatchObject({ Entrypoint: CONTROLLER_ENTRYPOINT, Cmd: ['--help'], WorkingDir: '/' });
      // With the controller's env (hack/image/controller-env): jemalloc preloaded.
      expect(config.config.Env).toEqual(expect.arrayContaining([...CONTROLLER_ENV, `LD_PRELOAD=${JEMALLOC}`]));
    } else {
      expect(config.config).toMatchObject({ Entrypoint: ['/usr/local/bin/node', '/app/checker.mjs'], WorkingDir: '/app' });
      expect(config.config.Env.filter((e) => e.startsWith('LD_PRELOAD='))).toEqual([]);
      // The examples are the base plus one layer: the base's layers are shared.
      expect(inspected.Layers.length).toBe(name === 'homeostat-checker' ? 2 : 3);
    }
  });
});

it("the Dockerfile's controller ENTRYPOINT is the one make image writes", () => {
  // `docker build .` and `make image` must run the controller alike; the Dockerfile cannot read the
  // flags file, so it repeats the flags.
  const dockerfile = readFileSync(join(import.meta.dirname, '../../Dockerfile'), 'utf8');
  const controllerStage = dockerfile.slice(dockerfile.indexOf('AS controller'));
  const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(controllerStage)?.[1];
  expect(entrypoint === undefined ? undefined : JSON.parse(entrypoint)).toEqual(CONTROLLER_ENTRYPOINT);
});

it("the Dockerfile's controller has the env make image writes, for each architecture", () => {
  // The Dockerfile cannot read hack/image/controller-env, nor name the multiarch directory by
  // itself: it sets the env in one stage per architecture, which the controller stage starts from.
  const dockerfile = readFileSync(join(import.meta.dirname, '../../Dockerfile'), 'utf8');
  const envFile = readFileSync(join(import.meta.dirname, '../../hack/image/controller-env'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  expect(/^FROM controller-env-\$\{TARGETARCH\} AS controller$/m.test(dockerfile)).toBe(true);
  for (const [arch, multiarch] of [['amd64', 'x86_64-linux-gnu'], ['arm64', 'aarch64-linux-gnu']]) {
    const stage = new RegExp(`^FROM runtime AS controller-env-${arch}\n((?:ENV .*\n)+)`, 'm').exec(dockerfile)?.[1] ?? '';
    expect(stage.trim().split('\n').map((l) => l.replace(/^ENV /, ''))).toEqual(envFile.map((l) => l.replaceAll('@MULTIARCH@', multiarch ?? '')));
  }
});

describeImage('the controller image', () => {
  let image: UnpackedImage;
  beforeAll(async () => {
    image = await unpackImage(imageArchive('homeostat'));
    const runtime = await imageRuntime(image);
    if (runtime !== 'crun' && runtime !== 'chroot') throw new Error(runtime);
  }, 120_000);
  afterAll(() => image?.remove());

  it('has no shell, no package manager, no compiler, and nothing setuid', () => {
    for (const dir of ['bin', 'sbin', 'usr/bin', 'usr/sbin']) {
      expect(existsSync(join(image.rootfs, dir)) ? readdirSync(join(image.rootfs, dir)) : []).toEqual([]);
    }
    expect(readdirSync(join(image.rootfs, 'usr/local/bin')).sort()).toEqual(['homeostat', 'node']);
    const all = walk(image.rootfs);
    const files = all.filter((p) => !lstatSync(join(image.rootfs, p)).isDirectory());
    expect(files.filter((p) => /(^|\/)(sh|bash|dash|busybox|npm|npx|corepack|gcc|cc|apt|dpkg)$/.test(p))).toEqual([]);
    expect(all.filter((p) => /node_modules/.test(p))).toEqual([]);
    expect(all.filter((p) => (lstatSync(join(image.rootfs, p)).mode & 0o6000) !== 0)).toEqual([]);
    expect(readFileSync(join(image.rootfs, 'etc/passwd'), 'utf8')).toMatch(/^nonroot:x:65532:65532:/m);
  });

  it('runs as 65532 with a read-only root, and its CLI works without a cluster', async () => {
    const whoami = await runImage(image, { command: ['/usr/local/bin/node', '-e', "const fs = require('fs'); let ro = false; try { fs.writeFileSync('/x', '') } catch (e) { ro = e.code === 'EROFS' } console.log(JSON.stringify({ uid: process.getuid(), gid: process.getgid(), ro }))"], timeoutMs: 30_000 });
    expect(await whoami.exited).toEqual({ code: 0, signal: null });
    expect(JSON.parse(whoami.output())).toEqual({ uid: 65532, gid: 65532, ro: true });

    const help = await runImage(image, { timeoutMs: 30_000 }); // entrypoint + cmd: homeostat --help
    expect(await help.exited).toEqual({ code: 0, signal: null });
    expect(help.output()).toMatch(/Usage: homeostat .*controller/s);
    const versioned = await runImage(image, { args: ['--version'], timeoutMs: 30_000 });
    await versioned.exited;
    expect(versioned.output().trim()).toBe(version);
  }, 60_000);

  it("has jemalloc where its env preloads it, and its entrypoint runs with it", async () => {
    // Debian's libjemalloc2, in the image (a regular file, an ELF shared object).
    expect(lstatSync(join(image.rootfs, JEMALLOC)).isFile()).toBe(true);
    expect(readFileSync(join(image.rootfs, JEMALLOC)).subarray(0, 4)).toEqual(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
    expect(existsSync(join(image.rootfs, 'var/lib/dpkg/status.d/libjemalloc2'))).toBe(true);
    // The entrypoint with its cmd (homeostat --help), with only the image's env, plus a module
    // NODE_OPTIONS imports first that prints the jemalloc libraries the process has mapped.
    const probe = "const maps = process.getBuiltinModule('fs').readFileSync('/proc/self/maps', 'utf8'); process.stdout.write('MAPPED ' + JSON.stringify([...new Set(maps.split('\\n').map((l) => l.split(/ +/)[5]).filter((p) => /\\/libjemalloc[^/]*$/.test(p ?? '')))]) + '\\n')";
    const c = await runImage(image, { env: { NODE_OPTIONS: `--import=data:text/javascript,${encodeURIComponent(probe)}` }, timeoutMs: 30_000 });
    expect(await c.exited).toEqual({ code: 0, signal: null });
    expect(c.output()).toMatch(/Usage: homeostat/);
    expect(c.output()).not.toMatch(/cannot be preloaded/);
    expect(JSON.parse(/^MAPPED (.*)$/m.exec(c.output())?.[1] ?? 'null')).toEqual([JEMALLOC]);
  }, 60_000);

  it('cannot start a shell', async () => {
    const shell = await runImage(image, { command: ['/bin/sh', '-c', 'true'], timeoutMs: 30_000 });
    expect((await shell.exited).code).not.toBe(0);
  }, 60_000);
});

describeImage('the checker base image', () => {
  let image: UnpackedImage;
  beforeAll(async () => {
    image = await unpackImage(imageArchive('homeostat-checker'));
    const runtime = await imageRuntime(image);
    if (runtime !== 'crun' && runtime !== 'chroot') throw new Error(runtime);
  }, 120_000);
  afterAll(() => image?.remove());

  it("runs a user's /app/checker.mjs that imports the SDK, with the StateChecker's args", async () => {
    // What `COPY checker.mjs /app/checker.mjs` on top of the base gives, as a bind mount.
    const checker = join(image.rootfs, '..', 'checker.mjs');
    writeFileSync(checker, "import { runChecker } from '@homeostat/checker-sdk';\nconsole.log(typeof runChecker, JSON.stringify(process.argv.slice(2)), process.cwd());\n", { mode: 0o644 });
    const c = await runImage(image, { args: ['--flag', 'x'], mounts: [{ source: checker, destination: '/app/checker.mjs' }], timeoutMs: 30_000 });
    expect(await c.exited).toEqual({ code: 0, signal: null });
    // crun honours WorkingDir /app; the chroot fallback always starts in /.
    expect(c.output().trim()).toMatch(/^function \["--flag","x"\] \/(app)?$/);
  }, 60_000);

  it("runs with glibc's malloc: jemalloc is the controller's", async () => {
    const checker = join(image.rootfs, '..', 'maps.mjs');
    writeFileSync(checker, "import { readFileSync } from 'node:fs';\nconsole.log(JSON.stringify({ preload: process.env.LD_PRELOAD ?? null, jemalloc: readFileSync('/proc/self/maps', 'utf8').includes('jemalloc') }));\n", { mode: 0o644 });
    const c = await runImage(image, { mounts: [{ source: checker, destination: '/app/checker.mjs' }], timeoutMs: 30_000 });
    expect(await c.exited).toEqual({ code: 0, signal: null });
    expect(JSON.parse(c.output().trim())).toEqual({ preload: null, jemalloc: false });
    expect(existsSync(join(image.rootfs, JEMALLOC))).toBe(false);
  }, 60_000);
});

/** Every path under root, relative, not following symlinks. */
function walk(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, rel), { withFileTypes: true })) {
    const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
    out.push(path);
    if (entry.isDirectory()) out.push(...walk(root, path));
  }
  return out;
}
