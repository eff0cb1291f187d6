// Benchmark: from `helm install` to the first Expectation Satisfied, as a user's first run, against a
// real kube-apiserver + etcd with no kubelet (test/integration/harness/controlPlane.ts). Prints
// figures, asserts none.
//
//   tsx bench/install.ts        (as root; BENCH_INSTALL_BUDGET_S bounds the run, 240 s by default)
//
// 1. a throw-away control plane (the envtest binaries must be cached: a benchmark never builds them);
// 2. `helm install homeostat charts/homeostat -n homeostat-system --create-namespace` (helm from
//    hack/helm/setup.sh, cached; no --wait: no Pod ever runs), helm's caches in the plane's directory,
//    so cold as on a first install;
// 3. the bench plays the kubelet for ONE Pod of the controller Deployment: the controller image
//    (dist/images/homeostat-VERSION.tar, `make image`, built if missing) run by harness/runImage.ts
//    with what the Pod would get (harness/podOfDeployment.ts): the installed Deployment's args and
//    env (POD_NAME/POD_NAMESPACE), the in-cluster env, a TokenRequest token of the chart's
//    ServiceAccount, the CA and the namespace at /var/run/secrets/kubernetes.io/serviceaccount. One
//    deviation: --metrics-addr gets a free port, since the container shares the host's network;
// 4. meanwhile the user waits for the CRDs, then `kubectl apply`s a Job-mode StateChecker and an
//    Expectation with a Job action in a namespace of their own; the bench plays the kubelet for
//    their Jobs as it sees them (a watch): checker Jobs answered unsatisfied until the action Job
//    has succeeded, satisfied after (the checker Pod's termination message, as
//    test/integration/controllerFixtures.ts's Scene.answer writes it);
// 5. prints the times from the start of `helm install`, and the image runtime (crun or chroot).
// Everything is stopped in the end, on failure and on SIGINT/SIGTERM too: the controller by SIGTERM
// (its exit is printed), then the control plane. Not root, or binaries missing: says why, prints a
// "skipped" line and exits 0.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { V1Deployment, V1Job } from '@kubernetes/client-node';
import { type ControlPlane, REPO_ROOT, startControlPlane } from '../test/integration/harness/controlPlane.js';
import { freePort, inClusterEnv, podOfDeployment, secretVolumeFiles, serviceAccountFiles } from '../test/integration/harness/podOfDeployment.js';
import { imageArchive, imageRuntime, type RunningContainer, runImage, type UnpackedImage, unpackImage } from '../test/integration/harness/runImage.js';
import { Deadline, GROUP_PATH, JobWatch, jobEnded, now, RawApi, roleOf, round, type State, until, writeCheckerPod } from './controllerScenario.js';

const run = promisify(execFile);
const RELEASE = 'homeostat';
const RELEASE_NS = 'homeostat-system';
const DEPLOYMENT = 'homeostat-controller';
const USER_NS = 'first-run';
const EXPECTATION = 'report';
const CONTROLLER_LOG = join(tmpdir(), 'homeostat-bench-install-controller.log');
const budgetS = Number(process.env.BENCH_INSTALL_BUDGET_S ?? 240);
const progress = (line: string) => process.stderr.write(`install bench: ${line}\n`);

function skip(why: string): never {
  console.log(`\ninstall benchmark skipped: ${why}`);
  process.exit(0);
}

// ---- what it needs, never built here but the image ---------------------------------------------

/** The cached envtest binaries (hack/envtest/setup.sh's stamp), or why not: building them takes ~8 min. */
function envtestBinaries(): string {
  const dir = join(process.env.HOMEOSTAT_ENVTEST_DIR ?? join(homedir(), '.cache/homeostat/envtest'), 'bin');
  const script = readFileSync(join(REPO_ROOT, 'hack/envtest/setup.sh'), 'utf8');
  const want = `kube-apiserver=${/^K8S_VERSION=(\S+)/m.exec(script)?.[1]} etcd=${/^ETCD_VERSION=(\S+)/m.exec(script)?.[1]}`;
  const stamp = existsSync(join(dir, 'VERSION')) ? readFileSync(join(dir, 'VERSION'), 'utf8').trim() : '';
  if (!existsSync(join(dir, 'kube-apiserver')) || !existsSync(join(dir, 'etcd')) || stamp !== want) skip(`no envtest binaries (${want}) in ${dir}: build them once with \`make envtest\` (~8 min cold)`);
  return dir;
}

/** The helm binary hack/helm/setup.sh prints, without letting it build one. */
async function helmBinary(): Promise<string> {
  try {
    const { stdout } = await run(join(REPO_ROOT, 'hack/helm/setup.sh'), [], { env: { ...process.env, HOMEOSTAT_HELM_NO_BUILD: '1' } });
    return stdout.trim().split('\n').at(-1) ?? '';
  } catch (error) {
    skip(`helm is not cached (hack/helm/setup.sh: ${(error as Error).message.split('\n')[0]}): run \`make helm\` once`);
  }
}

/** dist/images/homeostat-VERSION.tar, built by `make image` (the controller image only) when missing. */
async function controllerImage(): Promise<string> {
  const archive = imageArchive('homeostat');
  if (existsSync(archive)) return archive;
  // make may run `npm ci`, which would empty a node_modules shared with another checkout.
  if (lstatSync(join(REPO_ROOT, 'node_modules')).isSymbolicLink()) skip(`${archive} is missing and node_modules is a symlink here: run \`make image\` in the checkout that owns it`);
  progress(`${archive} is missing: make image (the controller image only)`);
  await new Promise<void>((resolve, reject) => {
    const child = spawn('make', ['-C', REPO_ROOT, 'image'], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, HOMEOSTAT_IMAGES: 'homeostat' } });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`make image: exit ${code}`))));
  });
  if (!existsSync(archive)) throw new Error(`make image did not write ${archive}`);
  return archive;
}

// ---- the user's first objects --------------------------------------------------------------------

const USER_OBJECTS = `apiVersion: homeostat.dev/v1alpha1
kind: StateChecker
metadata: {name: files}
spec: {mode: Job, image: example/check-files:1, timeout: 1m}
---
apiVersion: homeostat.dev/v1alpha1
kind: Expectation
metadata: {name: ${EXPECTATION}}
spec:
  checker: {ref: files}
  action: {job: {template: {spec: {containers: [{name: build, image: example/build:1, args: ["--build"]}]}}}}
`;

interface Condition {
  type: string;
  status: string;
}
type ExpectationStatus = { phase?: string; conditions?: Condition[] } & Record<string, unknown>;

// ---- the run -------------------------------------------------------------------------------------

if (process.getuid?.() !== 0) skip('running the controller image needs root (mount namespaces, chroot): run it as root');
const binDir = envtestBinaries();
const helm = await helmBinary();
const archive = await controllerImage();

const deadline = new Deadline(budgetS * 1000);
const cleanups: { what: string; fn: () => Promise<unknown> }[] = [];
let cleaning: Promise<void> | undefined;
const cleanUp = () =>
  (cleaning ??= (async () => {
    for (const { what, fn } of cleanups.reverse()) {
      try {
        await fn();
      } catch (error) {
        progress(`cleanup: ${what}: ${(error as Error).message}`);
      }
    }
  })());
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    progress(`${signal}: stopping everything`);
    void cleanUp().then(() => process.exit(130));
  });
}
// A backstop in case a stop() itself hangs: the harness's reaper then kills kube-apiserver and etcd.
setTimeout(() => {
  progress(`still running 60 s past its ${budgetS} s budget; exiting`);
  process.exit(3);
}, (budgetS + 60) * 1000).unref();

/** Milliseconds since `helm install` started, per event. */
const marks = new Map<string, number>();
const notes: string[] = [];
let t0 = 0;
const mark = (what: string) => {
  if (!marks.has(what)) marks.set(what, now() - t0);
};
let runtime = '?';
let unpackMs = 0;
let stopped: { code: number | null; signal: string | null; ms: number } | undefined;
let failure: string | undefined;
let container: RunningContainer | undefined;

try {
  // ---- the "pull": unpack the image and find how images run here (before the clock starts).
  let started = now();
  const image: UnpackedImage = await unpackImage(archive);
  cleanups.push({ what: 'remove the unpacked image', fn: async () => image.remove() });
  unpackMs = now() - started;
  const found = await imageRuntime(image);
  if (found !== 'crun' && found !== 'chroot') {
    image.remove();
    skip(found);
  }
  runtime = found;

  started = now();
  const plane: ControlPlane = await startControlPlane({ binDir });
  cleanups.push({ what: 'stop the control plane', fn: () => plane.stop() });
  progress(`kube-apiserver on ${plane.server} (${round((now() - started) / 1000)} s); image unpacked in ${round(unpackMs / 1000)} s, runtime ${runtime}`);
  const api = new RawApi(plane.kubeConfig);
  cleanups.push({ what: 'close the bench client', fn: async () => api.close() });

  // ---- the clock starts: helm install.
  t0 = now();
  const helmHome = join(plane.dir, 'helm');
  const installed = await run(helm, ['install', RELEASE, join(REPO_ROOT, 'charts/homeostat'), '-n', RELEASE_NS, '--create-namespace', '--kubeconfig', plane.kubeconfigPath], {
    env: { ...process.env, HELM_CACHE_HOME: join(helmHome, 'cache'), HELM_CONFIG_HOME: join(helmHome, 'config'), HELM_DATA_HOME: join(helmHome, 'data') },
    timeout: 120_000,
  }).catch((error: unknown) => {
    throw new Error(`helm install failed: ${(error as Error).message}`);
  });
  mark('helm install returned');
  progress(`helm install returned: ${installed.stdout.split('\n').find((l) => l.startsWith('STATUS:')) ?? ''}`);

  // ---- the kubelet's part for the user's Jobs, as the watch sees them.
  let actionSucceeded = false;
  const handled = new Set<string>();
  const kubeletErrors: Error[] = [];
  const answers: string[] = [];
  const onJob = (job: V1Job) => {
    const name = job.metadata?.name ?? '';
    const role = roleOf(job);
    if (handled.has(name) || jobEnded(job) || job.metadata?.deletionTimestamp !== undefined || (role !== 'checker' && role !== 'action')) return;
    handled.add(name);
    void (async () => {
      if (role === 'checker') {
        const state: State = actionSucceeded ? 'satisfied' : 'unsatisfied';
        mark('first checker Job seen');
        if (state === 'satisfied') mark('checker Job after the action seen');
        await writeCheckerPod(api, USER_NS, job, state);
        await plane.completeJob(name, USER_NS, true);
        answers.push(`${state} at ${round((now() - t0) / 1000, 2)} s`);
      } else {
        mark('action Job seen');
        // Before the Job completes: the re-check it triggers must be answered satisfied.
        actionSucceeded = true;
        await plane.completeJob(name, USER_NS, true);
        mark('action Job succeeded');
      }
    })().catch((error: unknown) => kubeletErrors.push(error as Error));
  };

  // Either side failing stops the other's polling.
  let failed = false;
  let exited = false;
  const check = () => {
    if (failed) throw new Error('the other side failed');
    if (exited) throw new Error(`the controller exited: ${container?.output().trim().split('\n').slice(-5).join('\n')}`);
    if (kubeletErrors.length > 0) throw kubeletErrors[0] as Error;
  };

  // ---- the kubelet: one Pod of the installed Deployment, the controller image; then its Lease.
  const kubelet = (async () => {
    const deployment = JSON.parse((await plane.kubectl(['get', 'deployment', DEPLOYMENT, '-n', RELEASE_NS, '-o', 'json'])).stdout) as V1Deployment;
    const podName = `${DEPLOYMENT}-${randomBytes(5).toString('hex')}-${randomBytes(3).toString('hex').slice(0, 5)}`;
    const pod = podOfDeployment(deployment, { name: podName, namespace: RELEASE_NS });
    const sa = await serviceAccountFiles(plane, pod.serviceAccountName, RELEASE_NS);
    cleanups.push({ what: 'remove the ServiceAccount files', fn: async () => sa.remove() });
    // The Secret volumes (the chart's serving certificate), as the kubelet mounts them.
    const secrets = await secretVolumeFiles(plane, deployment);
    cleanups.push({ what: 'remove the Secret volume files', fn: async () => secrets.remove() });
    const port = await freePort();
    const args = (pod.args ?? []).map((a) => (a.startsWith('--metrics-addr=') ? `--metrics-addr=127.0.0.1:${port}` : a));
    const c = await runImage(image, {
      ...(pod.command !== undefined ? { command: pod.command } : {}),
      args,
      env: { ...inClusterEnv(plane.kubeConfig), ...pod.env },
      mounts: [sa.mount, ...secrets.mounts],
      hostname: podName,
    });
    container = c;
    void c.exited.then(() => (exited = true));
    cleanups.push({
      what: 'stop the controller',
      fn: async () => {
        const at = now();
        const exit = await c.stop(45_000);
        stopped = { ...exit, ms: now() - at };
        writeFileSync(CONTROLLER_LOG, c.output());
      },
    });
    mark('controller container started');
    notes.push(`controller Pod ${podName}: ${c.argv.join(' ')}`);
    const leasePath = `/apis/coordination.k8s.io/v1/namespaces/${RELEASE_NS}/leases/${DEPLOYMENT}`;
    const holder = await until('the controller Pod holding the Lease', async () => {
      check();
      const res = await api.call('GET', leasePath);
      const h = (res.body as { spec?: { holderIdentity?: string } }).spec?.holderIdentity;
      return res.status === 200 && h?.startsWith(`${podName}_`) === true ? h : undefined;
    }, 120_000, deadline);
    mark('controller Pod holds the Lease');
    notes.push(`Lease ${RELEASE_NS}/${DEPLOYMENT} held by ${holder}`);
  })();

  // ---- the user (kubectl, as a user would): the CRDs, a namespace, the StateChecker and the
  // Expectation; then the first status and Satisfied (kubectl wait --for=condition=Satisfied).
  const user = (async () => {
    // The only CRDs of this throw-away cluster are the chart's.
    const crds = await plane.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
    if (crds.code !== 0) throw new Error(`kubectl wait crd Established: ${crds.stderr}`);
    mark('CRDs Established');
    const ns = await plane.kubectl(['create', 'namespace', USER_NS]);
    if (ns.code !== 0) throw new Error(`kubectl create namespace: ${ns.stderr}`);
    const watch = new JobWatch(plane.kubeConfig, USER_NS);
    cleanups.push({ what: 'stop the Job watch', fn: () => watch.stop() });
    await watch.start();
    watch.onJob(onJob);
    for (const job of watch.list(() => true)) onJob(job);
    mark('user namespace created, the bench\'s Job watch started');
    const applied = await plane.kubectl(['apply', '-n', USER_NS, '-f', '-'], { input: USER_OBJECTS });
    if (applied.code !== 0) throw new Error(`kubectl apply: ${applied.stderr}`);
    mark('StateChecker and Expectation applied (kubectl apply returned)');
    const expectationPath = `${GROUP_PATH}/namespaces/${USER_NS}/expectations/${EXPECTATION}`;
    let firstPhase: string | undefined;
    const status = await until('the Expectation Satisfied', async () => {
      check();
      const res = await api.call('GET', expectationPath);
      const st = (res.body as { status?: ExpectationStatus }).status;
      if (st === undefined || Object.keys(st).length === 0) return undefined;
      if (firstPhase === undefined) {
        firstPhase = st.phase ?? '(no phase)';
        mark('first status on the Expectation');
      }
      // kubectl wait --for=condition=Satisfied: the condition Satisfied with status True.
      return (st.conditions ?? []).some((x) => x.type === 'Satisfied' && x.status === 'True') ? st : undefined;
    }, 180_000, deadline);
    mark('Expectation Satisfied');
    notes.push(`Expectation ${USER_NS}/${EXPECTATION}: first phase ${firstPhase}, then ${status.phase} (${String(status.satisfied ?? '')}); checker answers: ${answers.join(', ')}`);
  })();

  await Promise.all([kubelet, user]).catch((error: unknown) => {
    failed = true;
    throw error;
  });
  if (/HTTP 403|Forbidden|forbidden/.test(container?.output() ?? '')) notes.push(`the controller's log mentions a refusal (403): see ${CONTROLLER_LOG}`);
} catch (error) {
  failure = (error as Error).stack ?? String(error);
} finally {
  await cleanUp();
}

// ---- the figures ---------------------------------------------------------------------------------
const s = (ms: number | undefined) => (ms === undefined ? '-' : `${round(ms / 1000, 2)} s`);
const lines: string[] = ['', `Install: from \`helm install\` to the first Expectation Satisfied (real kube-apiserver + etcd, no kubelet: the bench runs the controller image as one Pod of the Deployment and plays the kubelet for the Jobs)`, ''];
const row = (figure: string, value: string) => lines.push(`${figure.padEnd(64)}${value}`);
row('figure', 'measured');
row('image runtime (the controller Pod run by)', runtime);
row('image unpack, skopeo + umoci (the "pull", before the clock)', s(unpackMs));
row('helm install returned (no --wait)', s(marks.get('helm install returned')));
row('helm install start -> controller Pod holds the Lease', s(marks.get('controller Pod holds the Lease')));
row('helm install start -> first status written on the Expectation', s(marks.get('first status on the Expectation')));
row('helm install start -> Expectation Satisfied', s(marks.get('Expectation Satisfied')));
lines.push('', 'timeline, from helm install start:');
for (const [what, ms] of [...marks.entries()].sort((a, b) => a[1] - b[1])) lines.push(`  ${s(ms).padStart(9)}  ${what}`);
if (stopped !== undefined) lines.push('', `controller stopped on SIGTERM: exit ${stopped.code ?? stopped.signal} in ${s(stopped.ms)}; its log: ${CONTROLLER_LOG}`);
for (const note of notes) lines.push(note);
console.log(lines.join('\n'));
if (failure !== undefined) {
  console.log(`\ninstall benchmark failed: ${failure}`);
  if (container !== undefined) console.log(`the controller's output: ${CONTROLLER_LOG}`);
  process.exitCode = 1;
}
