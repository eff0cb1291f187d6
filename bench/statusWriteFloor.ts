// The floor under the controller's cold start: how fast this API server takes 10,000 Expectation
// status writes from a client that does nothing else. Same control plane as bench/controller.ts
// (test/integration/harness/controlPlane.ts), same client as the controller (client-node through
// PooledKubeConfig: one undici connection pool), same request by default (put-plain below: PUT
// /status guarded by the resourceVersion last seen, as StatusStore sends it), same body (an Expectation's first status as the controller writes
// it, ~970 bytes). Prints writes/s and the time for all of them at each concurrency, how long
// listing them all takes (one list, and pages of 500 as the informers list), and the machine's
// load with every figure.
//
//   tsx bench/statusWriteFloor.ts [--count 10000] [--concurrency 1,16,64] [--serial-count 2000] [--watch]
//                                 [--shape put-plain,put,merge] [--pprof DIR [--pprof-seconds 20]]
//
// --watch: each round again with a watch of the Expectations open, as the controller's informer
// keeps one (the API server then also encodes and sends every write as a watch event).
//
// --shape: the request shapes to compare, side by side (each round of each shape writes every
// object once; rounds of the shapes alternate, so none gets the emptier etcd):
//   put       PUT /status, the whole object's status, metadata.resourceVersion as the guard, the
//             whole object as the answer, through client-node's fetch() (what StatusStore sent before put-plain)
//   merge     PATCH /status, JSON merge patch {metadata: {resourceVersion}, status}: the same guard
//             (a stale resourceVersion is a 409), the server merges instead of replacing
//   put-lean  PUT like put, the status without its empty arrays and zero counters
//   put-meta  PUT like put, asking for the answer as PartialObjectMetadata (metadata only: the
//             resourceVersion is all the writer keeps), so the server encodes less
//   put-plain put-meta sent through the connection pool's request() instead of fetch()
//             (src/kube/client.ts plainHttp, as StatusStore sends it): the client's CPU per write
//   put-tiny  PUT of a one-field status (not a status the controller writes: a probe of how much
//             of a write's cost grows with the status's size)
// --pprof DIR: a kube-apiserver CPU profile (/debug/pprof/profile) taken during the first round of
// each shape, written to DIR/apiserver-<shape>-c<concurrency>.pprof (read: go tool pprof -top FILE).
// Every round also prints the CPU seconds kube-apiserver, etcd and this client spent in it.
//
// At concurrency 1 only --serial-count writes are made (10,000 one at a time take minutes); the
// time for --count is then projected from their rate, and says so.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { plainHttp, PooledKubeConfig } from '../src/kube/client.js';
import { startControlPlane } from '../test/integration/harness/controlPlane.js';
import { ACTION, cachedBinaries, Deadline, expectationObject, installCrds, now, parallel, RawApi, round, stateChecker } from './controllerScenario.js';

const { values: args } = parseArgs({
  options: {
    count: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '1,16,64' },
    'serial-count': { type: 'string', default: '2000' },
    watch: { type: 'boolean', default: false },
    shape: { type: 'string', default: 'put-plain' },
    pprof: { type: 'string' },
    'pprof-seconds': { type: 'string', default: '20' },
  },
});
const count = Number(args.count);
const concurrencies = args.concurrency.split(',').map(Number);
const serialCount = Number(args['serial-count']);
const SHAPES = ['put', 'merge', 'put-lean', 'put-meta', 'put-plain', 'put-tiny'] as const;
type Shape = (typeof SHAPES)[number];
const shapes = args.shape.split(',') as Shape[];
for (const shape of shapes) if (!SHAPES.includes(shape)) throw new Error(`--shape ${shape}: one of ${SHAPES.join(', ')}`);
const NS = 'bench-floor';
const group = { group: 'homeostat.dev', version: 'v1alpha1', namespace: NS, plural: 'expectations' };
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
const progress = (line: string) => process.stderr.write(`${line}\n`);

/** An Expectation's first status as the controller writes it (copied from a memory-scenario run). */
function firstStatus(round: number): Record<string, unknown> {
  const at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const condition = (type: string, status: string, reason: string, message: string) => ({ lastTransitionTime: at, message, observedGeneration: 1, reason, status, type });
  return {
    conditions: [
      condition('Valid', 'True', 'Valid', 'the object is valid'),
      condition('Satisfied', 'False', 'Unknown', '0/1 satisfied'),
      // The round makes every write a change (an unchanged status is still a write to etcd, but the controller never sends one).
      condition('Progressing', 'False', 'Idle', `nothing is being worked on (${round})`),
      condition('Degraded', 'False', 'NoFailures', 'no failures'),
    ],
    failures: [],
    failuresNotShown: 0,
    lastVerdicts: { complete: true, digest: '811c9dc501000193', notSatisfied: [''], partitions: 1 },
    leases: [],
    observedGeneration: 1,
    partitions: { failed: 0, pending: 0, satisfied: 0, total: 1, unknown: 1, waiting: 0, workingOnIt: 0 },
    phase: 'Unknown',
    reason: 'NeverChecked',
    retries: [],
    satisfied: '0/1',
  };
}

/** The status without its empty arrays and zero counters (what put-lean writes). */
function lean(status: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(status).filter(([, v]) => !(Array.isArray(v) && v.length === 0) && v !== 0));
}

/** CPU seconds (user + system) a process has used, from /proc/PID/stat. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

/** The pid of the control plane's process whose command line starts with `binary` and names `dir`. */
function pidOf(binary: string, dir: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if ((argv[0] ?? '').endsWith(`/${binary}`) && argv.some((a) => a.includes(dir))) return Number(entry);
    } catch {
      // exited meanwhile
    }
  }
  return undefined;
}

const binaries = cachedBinaries();
if ('skip' in binaries) {
  console.log(`\nstatus write floor skipped: ${binaries.skip}`);
  process.exit(0);
}
const deadline = new Deadline(900_000);
const plane = await startControlPlane({ binDir: binaries.dir });
const raw = new RawApi(plane.kubeConfig);
const lines: string[] = [];
try {
  await installCrds(raw, deadline);
  await raw.createNamespace(NS);
  await raw.apply('statecheckers', NS, stateChecker('table', { mode: 'Push', timeout: '1h' }));
  const names = Array.from({ length: count }, (_, i) => `exp-${String(i).padStart(5, '0')}`);
  const created = now();
  await parallel(names, 16, async (name) => void (await raw.apply('expectations', NS, expectationObject(name, { checker: { ref: 'table' }, action: ACTION }))));
  progress(`${count} Expectations created in ${round((now() - created) / 1000)} s (load ${load()})`);

  const config = new PooledKubeConfig();
  config.loadFromFile(plane.kubeconfigPath);
  const custom = config.makeApiClient(CustomObjectsApi);
  type Listed = { kind?: string; metadata: { name: string; resourceVersion: string } };
  const versions = new Map<string, string>();
  const pids = { apiserver: pidOf('kube-apiserver', plane.dir), etcd: pidOf('etcd', plane.dir) };
  const cpuOf = (pid: number | undefined) => (pid === undefined ? Number.NaN : cpuSeconds(pid));
  if (args.pprof !== undefined) mkdirSync(args.pprof, { recursive: true });
  const profiled = new Set<string>();

  // ---- listing: what the informers' first sync pays ----
  for (let attempt = 1; attempt <= 2; attempt++) {
    let t = now();
    const all = (await custom.listNamespacedCustomObject(group)) as { items: Listed[] };
    lines.push(`list of ${all.items.length} Expectations, one request, run ${attempt}: ${Math.round(now() - t)} ms (load ${load()})`);
    for (const o of all.items) versions.set(o.metadata.name, o.metadata.resourceVersion);
    t = now();
    let pages = 0;
    let continueToken: string | undefined;
    do {
      const page = (await custom.listNamespacedCustomObject({ ...group, limit: 500, ...(continueToken !== undefined ? { _continue: continueToken } : {}) })) as { metadata?: { continue?: string } };
      pages++;
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken !== undefined);
    lines.push(`list of ${all.items.length} Expectations, ${pages} pages of 500, run ${attempt}: ${Math.round(now() - t)} ms (load ${load()})`);
  }

  // ---- status writes: PUT /status with the last resourceVersion, as StatusStore does ----
  let writeRound = 0;
  // With --watch, watched and unwatched rounds alternate, so neither gets the emptier etcd; so do the shapes.
  const rounds = concurrencies.flatMap((concurrency) => [1, 2].flatMap((attempt) => (args.watch ? [false, true] : [false]).flatMap((watched) => shapes.map((shape) => ({ concurrency, watched, attempt, shape })))));
  const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  const metadataOnly = setHeaderOptions('Accept', 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1');
  for (const { concurrency, watched, attempt, shape } of rounds) {
    writeRound++;
    const stopWatch = watched ? raw.drain(`/apis/homeostat.dev/v1alpha1/namespaces/${NS}/expectations?watch=1&allowWatchBookmarks=true`) : () => undefined;
    const targets = concurrency === 1 ? names.slice(0, Math.min(serialCount, count)) : names;
    const status = shape === 'put-lean' ? lean(firstStatus(writeRound)) : shape === 'put-tiny' ? { satisfied: `0/${writeRound}` } : firstStatus(writeRound);
    let conflicts = 0;
    let answerKind: string | undefined;
    const profileKey = `${shape}-c${concurrency}${watched ? '-watch' : ''}`;
    const profile = args.pprof !== undefined && concurrency > 1 && !profiled.has(profileKey) ? raw.bytes(`/debug/pprof/profile?seconds=${Number(args['pprof-seconds'])}`) : undefined;
    profiled.add(profileKey);
    const cpuBefore = { apiserver: cpuOf(pids.apiserver), etcd: cpuOf(pids.etcd), client: process.cpuUsage() };
    const t = now();
    await parallel(targets, concurrency, async (name) => {
      const resourceVersion = versions.get(name);
      try {
        const written = (
          shape === 'merge'
            ? await custom.patchNamespacedCustomObjectStatus({ ...group, name, body: { metadata: { resourceVersion }, status }, fieldManager: 'homeostat' }, mergePatch)
            : await custom.replaceNamespacedCustomObjectStatus({ ...group, name, body: { apiVersion: 'homeostat.dev/v1alpha1', kind: 'Expectation', metadata: { name, namespace: NS, resourceVersion }, status }, fieldManager: 'homeostat' }, shape === 'put-meta' ? metadataOnly : shape === 'put-plain' ? { ...metadataOnly, httpApi: plainHttp } : undefined)
        ) as Listed;
        versions.set(name, written.metadata.resourceVersion);
        answerKind ??= written.kind;
      } catch {
        conflicts++;
      }
    });
    const seconds = (now() - t) / 1000;
    const client = process.cpuUsage(cpuBefore.client);
    const cpu = `CPU s: kube-apiserver ${round(cpuOf(pids.apiserver) - cpuBefore.apiserver)}, etcd ${round(cpuOf(pids.etcd) - cpuBefore.etcd)}, client ${round((client.user + client.system) / 1e6)}`;
    stopWatch();
    if (profile !== undefined) {
      const file = join(args.pprof as string, `apiserver-${profileKey}.pprof`);
      writeFileSync(file, await profile);
      progress(`kube-apiserver CPU profile: ${file}`);
    }
    const rate = (targets.length - conflicts) / seconds;
    const forAll = targets.length === count ? `${round(seconds)} s for ${count}` : `${round(count / rate)} s for ${count} projected from ${targets.length} in ${round(seconds)} s`;
    lines.push(`status writes, ${shape.padEnd(8)}, concurrency ${String(concurrency).padStart(2)}${watched ? ', a watch open' : ''}, run ${attempt}: ${Math.round(rate)} writes/s, ${forAll}, answered with a ${answerKind}${conflicts > 0 ? `, ${conflicts} failed` : ''}; ${cpu} (load ${load()})`);
    progress(lines.at(-1) as string);
  }
  // Whether the API server's own limits refused or queued anything (system:masters is exempt
  // from API Priority and Fairness; --max-mutating-requests-inflight defaults to 200).
  const metrics = String((await raw.call('GET', '/metrics')).body);
  const rejected = metrics.split('\n').filter((l) => /^apiserver_flowcontrol_rejected_requests_total|^apiserver_request_terminations_total/.test(l) && !l.endsWith(' 0'));
  lines.push(`API server rejections (APF or in-flight limits): ${rejected.length === 0 ? 'none' : rejected.join('; ')}`);
} finally {
  raw.close();
  await plane.stop();
}
console.log(['', `Status write floor (real kube-apiserver + etcd on loopback, etcd --unsafe-no-fsync; client-node, one connection pool)`, ...lines].join('\n'));
