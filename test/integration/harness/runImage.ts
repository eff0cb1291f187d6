// Runs an image archive of `make image` the way a kubelet would, without a container engine:
// `skopeo copy docker-archive:... oci:...` and `umoci raw unpack` give the root filesystem and the
// image config; the container is the image's entrypoint + cmd (or a Pod's command/args, with the
// kubelet's rules), as the image's user, on a read-only root filesystem, with the image's env plus
// the Pod's, a tmpfs /tmp, a writable /dev/termination-log read back on exit, and bind mounts (the
// service-account directory). It shares the host's network namespace so it reaches 127.0.0.1.
//
// Two ways to run it, the first that works on this machine (HOMEOSTAT_IMAGE_RUNTIME=crun|chroot forces one):
// - crun (an OCI runtime) with a generated config.json: pid, ipc, uts and mount namespaces, no
//   capabilities, no_new_privs. crun 1.8 refuses a cgroup v1/v2 "hybrid" host whose v2 hierarchy has a
//   controller (this VM: hugetlb), so it runs with --cgroup-manager=disabled in a private mount
//   namespace where /sys/fs/cgroup/unified is unmounted (nothing changes outside that namespace).
// - unshare + chroot + setpriv: a private mount namespace (the host's pids), the rootfs bound on itself and remounted
//   read-only, the mounts bound in, chroot, then setpriv drops to the image's uid/gid with no groups
//   and no capabilities.
// Both need root (as `make test-integration` runs on CI and the developers' VMs); `imageRuntime()` says
// why not otherwise, so tests can skip loudly. Commands are argument arrays; the one shell script is a
// constant that takes its data as positional arguments.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './controlPlane.js';

const run = promisify(execFile);

/** Where `make image` writes the archive of an image: dist/images/NAME-VERSION.tar. */
export function imageArchive(name: string): string {
  const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  return join(REPO_ROOT, 'dist/images', `${name}-${version}.tar`);
}

/** The parts of an OCI image config a runtime uses (https://github.com/opencontainers/image-spec/blob/main/config.md). */
export interface ImageConfig {
  User?: string;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
  Labels?: Record<string, string>;
}

export interface UnpackedImage {
  /** The root filesystem, owned as in the image. Never written by runImage except for mount points. */
  rootfs: string;
  config: ImageConfig;
  /** Removes the unpacked image. */
  remove(): void;
}

/** Converts a docker-archive to an OCI layout and unpacks its layers into a fresh directory (root only). */
export async function unpackImage(archive: string): Promise<UnpackedImage> {
  if (!existsSync(archive)) throw new Error(`${archive} does not exist: run make image`);
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-image-'));
  const layout = join(dir, 'oci');
  await run('skopeo', ['copy', '--quiet', `docker-archive:${archive}`, `oci:${layout}:image`]);
  const rootfs = join(dir, 'rootfs');
  await run('umoci', ['raw', 'unpack', '--image', `${layout}:image`, rootfs]);
  const blob = (digest: string) => JSON.parse(readFileSync(join(layout, 'blobs', ...digest.split(':')), 'utf8')) as Record<string, unknown>;
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  const manifest = blob(index.manifests[0]?.digest ?? '') as { config: { digest: string } };
  const config = (blob(manifest.config.digest).config ?? {}) as ImageConfig;
  rmSync(layout, { recursive: true, force: true });
  return { rootfs, config, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export type ImageRuntime = 'crun' | 'chroot';

let probed: Promise<ImageRuntime | string> | undefined;

/**
 * The way images run here ('crun' or 'chroot'), or a string saying why they cannot: found once by
 * running a tiny container of the given unpacked image (its `node --version`, or `true` via chroot).
 */
export function imageRuntime(probe: UnpackedImage): Promise<ImageRuntime | string> {
  return (probed ??= findRuntime(probe));
}

async function findRuntime(probe: UnpackedImage): Promise<ImageRuntime | string> {
  if (process.getuid?.() !== 0) return 'running images needs root (mount namespaces, chroot, setuid)';
  const forced = process.env.HOMEOSTAT_IMAGE_RUNTIME;
  const candidates: ImageRuntime[] = forced === 'crun' || forced === 'chroot' ? [forced] : ['crun', 'chroot'];
  const why: string[] = [];
  for (const runtime of candidates) {
    try {
      const c = await runImage(probe, { runtime, command: ['/usr/local/bin/node', '--version'], timeoutMs: 20_000 });
      const exit = await c.exited;
      if (exit.code === 0 && /^v\d+/.test(c.output())) return runtime;
      why.push(`${runtime}: exit ${exit.code ?? exit.signal}: ${c.output().trim().slice(-300)}`);
    } catch (error) {
      why.push(`${runtime}: ${(error as Error).message}`);
    }
  }
  return `no way to run an image works here: ${why.join('; ')}`;
}

export interface Mount {
  /** A file or directory on the host. */
  source: string;
  destination: string;
  /** Default true, as Secret and projected volumes are. */
  readonly?: boolean;
}

export interface RunOptions {
  /** Replaces the image's entrypoint (a container's `command`); the image's cmd is then dropped, as the kubelet does. */
  command?: string[];
  /** Replaces the image's cmd (a container's `args`). */
  args?: string[];
  /** Added to (and over) the image's env. */
  env?: Record<string, string>;
  mounts?: Mount[];
  /** The container's hostname (a Pod's name). */
  hostname?: string;
  /** Kills the container (SIGKILL) after this long; default: never. */
  timeoutMs?: number;
  /** Default: what imageRuntime() found, else crun. */
  runtime?: ImageRuntime;
}

export interface RunningContainer {
  /** The argv the container started with (entrypoint + cmd after the overrides). */
  argv: string[];
  runtime: ImageRuntime;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** stdout and stderr so far, interleaved. */
  output(): string;
  /** What the container wrote to /dev/termination-log (the kubelet's terminated.message). */
  terminationMessage(): string;
  /** SIGTERM, then SIGKILL after graceMs (default 10 s) if it has not exited; resolves with the exit. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts a container of an unpacked image; see the file's comment for what it gets. */
export async function runImage(image: UnpackedImage, options: RunOptions = {}): Promise<RunningContainer> {
  const runtime = options.runtime ?? (await resolvedRuntime());
  const { config } = image;
  const entrypoint = options.command ?? config.Entrypoint ?? [];
  const cmd = options.args ?? (options.command !== undefined ? [] : (config.Cmd ?? []));
  const argv = [...entrypoint, ...cmd];
  if (argv.length === 0) throw new Error('the image has no entrypoint or cmd, and no command was given');
  const { uid, gid } = userOf(config.User, image.rootfs);
  const env = new Map<string, string>();
  for (const e of config.Env ?? []) env.set(e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1));
  for (const [k, v] of Object.entries(options.env ?? {})) env.set(k, v);
  if (!env.has('HOME')) env.set('HOME', homeOf(uid, image.rootfs));
  if (!env.has('HOSTNAME') && options.hostname !== undefined) env.set('HOSTNAME', options.hostname);

  const dir = mkdtempSync(join(tmpdir(), 'homeostat-container-'));
  const terminationLog = join(dir, 'termination-log');
  writeFileSync(terminationLog, '');
  chmodSync(terminationLog, 0o666);
  const mounts: Mount[] = [...(options.mounts ?? []), { source: terminationLog, destination: '/dev/termination-log', readonly: false }];
  const spec = { argv, uid, gid, cwd: config.WorkingDir || '/', env: [...env].map(([k, v]) => `${k}=${v}`), mounts, hostname: options.hostname ?? 'container' };
  const child = runtime === 'crun' ? startCrun(image.rootfs, dir, spec) : startChroot(image.rootfs, spec);

  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
    child.on('error', (error) => {
      output += `\n${error.message}`;
      resolve({ code: null, signal: null });
    });
  });
  const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
  void exited.then(() => rmSync(dir, { recursive: true, force: true, maxRetries: 3 }));
  let lastMessage = '';
  const terminationMessage = () => {
    // Read before the directory goes; the kubelet keeps at most 4096 bytes.
    if (existsSync(terminationLog)) lastMessage = readFileSync(terminationLog, 'utf8').slice(0, 4096);
    return lastMessage;
  };
  child.on('exit', () => terminationMessage());
  return {
    argv,
    runtime,
    exited,
    output: () => output,
    terminationMessage,
    stop: async (graceMs = 10_000) => {
      // crun run and the chroot chain both pass SIGTERM on to the container's process.
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const result = await exited;
      clearTimeout(kill);
      return result;
    },
  };
}

async function resolvedRuntime(): Promise<ImageRuntime> {
  const found = probed === undefined ? undefined : await probed;
  return found === 'chroot' ? 'chroot' : 'crun';
}

interface Spec {
  argv: string[];
  uid: number;
  gid: number;
  cwd: string;
  env: string[];
  mounts: Mount[];
  hostname: string;
}

/** A constant script: hide the cgroup2 hierarchy from crun in this private mount namespace, then exec crun. */
const HIDE_UNIFIED_CGROUP = 'if mountpoint -q /sys/fs/cgroup/unified; then umount /sys/fs/cgroup/unified; fi; exec "$@"';

function startCrun(rootfs: string, dir: string, spec: Spec): ChildProcess {
  const bundle = join(dir, 'bundle');
  mkdirSync(bundle);
  const config = {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: spec.uid, gid: spec.gid, additionalGids: [] },
      args: spec.argv,
      env: spec.env,
      cwd: spec.cwd,
      // securityContext: capabilities: {drop: [ALL]}, allowPrivilegeEscalation: false
      capabilities: { bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] },
      noNewPrivileges: true,
    },
    root: { path: rootfs, readonly: true },
    hostname: spec.hostname,
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777', 'size=65536k'] },
      ...spec.mounts.map((m) => ({ destination: m.destination, type: 'bind', source: m.source, options: ['rbind', m.readonly === false ? 'rw' : 'ro', 'nosuid', 'nodev'] })),
    ],
    linux: {
      // No network namespace: the host's, so the container reaches the test servers on 127.0.0.1.
      namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      maskedPaths: ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/sched_debug', '/sys/firmware'],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(config, null, 2));
  const state = join(dir, 'crun-state');
  const id = `homeostat-${randomBytes(4).toString('hex')}`;
  return spawn(
    'unshare',
    ['--mount', '--propagation', 'private', '--', 'bash', '-c', HIDE_UNIFIED_CGROUP, 'bash', 'crun', '--root', state, '--cgroup-manager=disabled', 'run', '--bundle', bundle, id],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

/**
 * A constant script, run as root in a new mount namespace (not a pid namespace: every step execs
 * the next, so the spawned process becomes the container's and gets its signals): $1 the rootfs, $2 the number of
 * mounts, then that many (source, destination, rw|ro) triples, then the uid, the gid, the number
 * of env entries, the env (K=V...) and the argv. Mount points are created in the rootfs before it is
 * made read-only (as a runtime does). setpriv leaves chroot only CAP_SYS_CHROOT, CAP_SETUID and
 * CAP_SETGID, which chroot's own setgroups/setgid/setuid then drop; no_new_privs stays. The working
 * directory is always / (GNU chroot's), unlike crun, which honours the image's.
 */
const CHROOT_SCRIPT = `set -eu
root=$1 n=$2; shift 2
mount --bind "$root" "$root"
mkdir -p "$root/proc" "$root/dev" "$root/tmp"
mount -t proc -o nosuid,noexec,nodev proc "$root/proc"
mount -t tmpfs -o nosuid,mode=755 tmpfs "$root/dev"
for d in null zero random urandom full tty; do touch "$root/dev/$d"; mount --bind "/dev/$d" "$root/dev/$d"; done
mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs "$root/tmp"
i=0
while [ "$i" -lt "$n" ]; do
  src=$1 dst=$2 mode=$3; shift 3; i=$((i + 1))
  if [ -d "$src" ]; then mkdir -p "$root$dst"; else mkdir -p "$(dirname "$root$dst")"; [ -e "$root$dst" ] || touch "$root$dst"; fi
  mount --bind "$src" "$root$dst"
  mount -o "remount,bind,nosuid,nodev,$mode" "$root$dst"
done
mount -o remount,bind,ro "$root"
uid=$1 gid=$2 n=$3; shift 3
envs=("\${@:1:$n}"); shift "$n"
exec setpriv --no-new-privs --bounding-set=-all,+sys_chroot,+setuid,+setgid --inh-caps=-all -- \\
  env -i "\${envs[@]}" "$(command -v chroot)" --userspec="$uid:$gid" --groups="$gid" "$root" "$@"`;

function startChroot(rootfs: string, spec: Spec): ChildProcess {
  const mountArgs = spec.mounts.flatMap((m) => [m.source, m.destination, m.readonly === false ? 'rw' : 'ro']);
  return spawn(
    'unshare',
    ['--mount', '--propagation', 'private', '--', 'bash', '-c', CHROOT_SCRIPT, 'bash', rootfs, String(spec.mounts.length), ...mountArgs, String(spec.uid), String(spec.gid), String(spec.env.length), ...spec.env, ...spec.argv],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

/** `65532:65532`, `65532`, or a name from the image's /etc/passwd; default root, as a runtime does. */
function userOf(user: string | undefined, rootfs: string): { uid: number; gid: number } {
  if (user === undefined || user === '') return { uid: 0, gid: 0 };
  const [u = '', g] = user.split(':');
  const passwd = readPasswd(rootfs);
  const entry = /^\d+$/.test(u) ? passwd.find((p) => p.uid === Number(u)) : passwd.find((p) => p.name === u);
  const uid = /^\d+$/.test(u) ? Number(u) : entry?.uid;
  if (uid === undefined) throw new Error(`user ${u} is not in the image's /etc/passwd`);
  const gid = g !== undefined ? Number(g) : (entry?.gid ?? uid);
  return { uid, gid };
}

function homeOf(uid: number, rootfs: string): string {
  return readPasswd(rootfs).find((p) => p.uid === uid)?.home ?? '/';
}

function readPasswd(rootfs: string): { name: string; uid: number; gid: number; home: string }[] {
  const file = join(rootfs, 'etc/passwd');
  if (!existsSync(file) || !statSync(file).isFile()) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.includes(':'))
    .map((l) => l.split(':'))
    .map(([name = '', , uid = '', gid = '', , home = '/']) => ({ name, uid: Number(uid), gid: Number(gid), home }));
}
