// Scenario 4: Dags, the controller in-process against the real API server, the bench playing the
// kubelet (Job status written through the status subresource). Three phases, each in its own
// namespace with its own controller, so one phase's objects do not weigh on the next:
//
// 1. task -> task: Dag `chain` (a -> b), daily over N past days, every period active at once. All
//    the `a` Jobs are started (startTime, SuccessCriteriaMet); then, one period at a time, the
//    bench writes Complete=True on a@p and times from that write's start to the moment its own Job
//    watch sees b@p's Job. b@p is then completed, and the controller left to go quiet.
// 2. across a DagDependency: Dags `up` (extract -> load) and `down` (join), `down` depending on
//    `up`, daily over the same N days. The extracts are completed; then, one period at a time,
//    up/load@p's Complete write -> down/join@p's Job seen.
// 3. Jobs launched per minute: Dag `rate` with one task, hourly over months, maxActiveRuns large;
//    the bench completes every Job as soon as it sees it (one status patch) and counts the Jobs
//    created per minute over a steady window (after the first burst of maxActiveRuns Jobs), with
//    the controller's requests per Job and the CPU each process used.
//
// Job creation is observed on the client side (a watch): creationTimestamp has whole seconds only.
// Also checked: no tag (dag/task@period) gets two Jobs, every sampled downstream Job appears, each
// Dag ends with every period succeeded.
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { KubernetesObject, V1Job } from '@kubernetes/client-node';
import type { ActionLaunch } from '../src/engine/index.js';
import type { ControlPlane } from '../test/integration/harness/controlPlane.js';
import { type Instrumented, type Pass, type Span, startInstrumented } from './instrumentedController.js';
import {
  API_VERSION,
  type Deadline,
  GROUP_PATH,
  JobWatch,
  jobEnded,
  now,
  ownerOf,
  parallel,
  pct,
  RawApi,
  type RecordedRequest,
  roleOf,
  round,
  sortNum,
  splitCompleteJob,
  tally,
  until,
  addSample,
  latencySteps,
} from './controllerScenario.js';
import type { Quantiles } from './controllerScenarioLatency.js';

export interface DagsOptions {
  /** Daily periods of phases 1 and 2: one sample each. */
  periods: number;
  /** Phase 3: hourly periods (the Jobs there are to launch), maxActiveRuns, the window (s). */
  ratePeriods: number;
  rateActive: number;
  rateWindowS: number;
  only?: 'chain' | 'dependency' | 'rate';
}

export interface SampleFigures {
  what: string;
  periods: number;
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Where one sample's time goes (p50 / p99 ms of each step), over `stepSamples` samples. */
  steps: Record<string, Quantiles>;
  stepSamples: number;
  /** The controller's requests from the upstream's Complete write to quiet after the downstream's launch, per sample. */
  requestsPerSample: number;
  requestsByKind: [string, number][];
  /** Median duration of each kind of controller request during the samples (ms). */
  medianMsByKind: [string, number][];
  setupSeconds: number;
  measureSeconds: number;
  /** The first Dag at the end, its status (JSON bytes), and a PUT of that status from the bench with the controller stopped (ms). */
  dagBytes: number;
  statusBytes: number;
  statusPutMs: Quantiles;
}

export interface RateFigures {
  periods: number;
  maxActiveRuns: number;
  /** Jobs created in the window, its length, and the rate. */
  windowJobs: number;
  windowSeconds: number;
  perMinute: number;
  /** Launches per minute from the first launching pass in the window to the last (the launches come in bursts, one per pass). */
  perMinuteByPasses: number;
  /** The machine's 1-minute load average at the window's end (other work on the machine shows here). */
  loadAverage: number;
  /** Time from the Dag's creation to maxActiveRuns Jobs seen (the first burst). */
  burstJobs: number;
  burstSeconds: number;
  totalJobs: number;
  requestsInWindow: number;
  /** Counted over whole passes (from the first launching pass in the window to the last): requests / Jobs launched. */
  requestsPerJob: number;
  requestsPerJobOver: [number, number];
  requestsByKindPerJob: [string, number][];
  medianMsByKind: [string, number][];
  /** Reconcile passes in the window: how many, launches per pass, and where a pass's time goes (median ms). */
  passes: number;
  launchesPerPass: Quantiles;
  passMs: Record<string, Quantiles>;
  /** CPU used in the window, in % of one core: this process (controller + bench), kube-apiserver, etcd. */
  cpuPercent: Record<string, number>;
  /** The same, over the launch phases of the window's passes, and over the rest of those passes. */
  cpuPercentDuringLaunches: Record<string, number>;
  cpuPercentDuringRest: Record<string, number>;
  /** This process's event loop delay in the window (ms). */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  /** The Dag object's size (JSON bytes) at the window's end, and its status lists. */
  dagBytes: number;
  dagStatusCounts: Record<string, number>;
  /** status.successes.length of the Dag, every 2 s in the window. */
  successRecords: number[];
  /** Jobs the bench completed, and how long its own status patch took (median, ms). */
  completed: number;
  completePatchMs: number;
}

export interface DagsFigures {
  chain?: SampleFigures;
  dependency?: SampleFigures;
  rate?: RateFigures;
  /** Phases that failed, with why. */
  failures: string[];
  /** Anything the controller did that it should not have (duplicate Jobs, stuck periods, errors in its log). */
  anomalies: string[];
  notes: string[];
  logFiles: string[];
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const FIRST_DAY = Date.UTC(2025, 0, 1);
const TASK_LABEL = 'homeostat.dev/task';
const PARTITION_ANNOTATION = 'homeostat.dev/partition';

/** dag/task@period, as the launch and the Job both say it. */
export const tagOf = (job: V1Job): string => `${ownerOf(job)}/${job.metadata?.labels?.[TASK_LABEL] ?? ''}@${job.metadata?.annotations?.[PARTITION_ANNOTATION] ?? ''}`;
const day = (i: number): string => new Date(FIRST_DAY + i * DAY_MS).toISOString().slice(0, 10);
const hour = (i: number): string => new Date(FIRST_DAY + i * HOUR_MS).toISOString().slice(0, 16);

const q = (values: readonly number[]): Quantiles => {
  const s = sortNum(values);
  return { p50: round(pct(s, 50)), p99: round(pct(s, 99)) };
};

const medianDurations = (requests: readonly RecordedRequest[]): [string, number][] => {
  const durations = new Map<string, number[]>();
  for (const r of requests) {
    if (r.end === undefined || r.verb === 'watch') continue;
    const key = `${r.verb} ${r.resource}`;
    durations.set(key, [...(durations.get(key) ?? []), r.end - r.start]);
  }
  return [...durations.entries()].map(([k, v]): [string, number] => [k, round(pct(sortNum(v), 50))]).sort((a, b) => b[1] - a[1]);
};

// ---- manifests ------------------------------------------------------------------------------

interface TaskDecl {
  name: string;
  dependsOn?: string[];
}

function dagObject(name: string, tasks: TaskDecl[], periods: Record<string, unknown> | undefined, maxActiveRuns: number): KubernetesObject & { spec: unknown } {
  return {
    apiVersion: API_VERSION,
    kind: 'Dag',
    metadata: { name },
    spec: {
      ...(periods !== undefined ? { periods } : {}),
      maxActiveRuns,
      tasks: tasks.map((t) => ({
        name: t.name,
        ...(t.dependsOn !== undefined ? { dependsOn: t.dependsOn } : {}),
        retry: { limit: 1, backoff: { initial: '1s', max: '1s' } },
        timeout: '1h',
        job: { template: { spec: { containers: [{ name: 'main', image: `example/${name}-${t.name}:1`, args: ['--period', '{{period}}'] }] } } },
      })),
    },
  };
}

function dependencyObject(name: string, dag: string, upstream: string): KubernetesObject & { spec: unknown } {
  return { apiVersion: API_VERSION, kind: 'DagDependency', metadata: { name }, spec: { dag, dependsOn: [{ dag: upstream }] } };
}

// ---- the controller, in-process, instrumented -------------------------------------------------

/** The instrumented controller of one phase, and where its log goes. */
async function startPhaseController(plane: ControlPlane, namespace: string, reuseConnections: boolean): Promise<Instrumented & { logFile: string }> {
  const logFile = join(tmpdir(), `homeostat-bench-dags-${namespace}-${process.pid}.log`);
  const tagOf = (l: ActionLaunch) => `${l.owner.name}/${l.task ?? ''}@${l.partition}`;
  return { ...(await startInstrumented(plane, { namespace, logFile, reuseConnections, tagOf })), logFile };
}

/** Warnings and errors in a controller log (pino JSON lines: level 40 and up), by message. */
function logProblems(logFile: string): string[] {
  let text = '';
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return [];
  }
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string; error?: string; resource?: string };
      // A new CRD's watch cache answers 429 for its first second: the first controller meets it.
      if (entry.error?.includes('storage is (re)initializing') === true) continue;
      const what = `${entry.msg ?? '?'}${entry.error !== undefined ? ` (${entry.error.slice(0, 120)})` : ''}`;
      if ((entry.level ?? 0) >= 40) counts.set(what, (counts.get(what) ?? 0) + 1);
    } catch {
      // not JSON
    }
  }
  return [...counts.entries()].map(([msg, n]) => `${n} x "${msg}"`);
}

/** Tags that got more than one Job. */
function duplicates(watch: JobWatch): string[] {
  const counts = new Map<string, number>();
  for (const job of watch.list((j) => roleOf(j) === 'action')) counts.set(tagOf(job), (counts.get(tagOf(job)) ?? 0) + 1);
  return [...counts.entries()].filter(([, n]) => n > 1).map(([t, n]) => `${t} x${n}`);
}

/** The Dag's status as the API has it. */
async function dagStatus(api: RawApi, namespace: string, name: string): Promise<Record<string, unknown>> {
  const dag = (await api.must('GET', `${GROUP_PATH}/namespaces/${namespace}/dags/${name}`)) as { status?: Record<string, unknown> };
  return dag.status ?? {};
}

// ---- phases 1 and 2: one sample at a time ------------------------------------------------------

interface SampledPhase {
  what: string;
  namespace: string;
  objects: { plural: string; object: KubernetesObject }[];
  /** Dags whose every period must have succeeded at the end. */
  dags: string[];
  /** Jobs to complete outright before measuring (tags are awaited, then the next stage). */
  stages: ((p: string) => string)[];
  upstream: (p: string) => string;
  downstream: (p: string) => string;
}

async function runSampled(plane: ControlPlane, phase: SampledPhase, periods: number, deadline: Deadline, progress: (line: string) => void, reuse: boolean, out: DagsFigures): Promise<SampleFigures> {
  const t0Setup = now();
  const { namespace: ns } = phase;
  const api = new RawApi(plane.kubeConfig);
  const watch = new JobWatch(plane.kubeConfig, ns);
  let inst: (Instrumented & { logFile: string }) | undefined;
  try {
    await api.createNamespace(ns);
    for (const { plural, object } of phase.objects) await api.apply(plural, ns, object);
    await watch.start();
    inst = await startPhaseController(plane, ns, reuse);
    out.logFiles.push(inst.logFile);
    const days = Array.from({ length: periods }, (_, i) => day(i));
    const jobOf = (tag: string) => watch.list((j) => roleOf(j) === 'action' && tagOf(j) === tag)[0];
    const allThere = (tags: string[], what: string) => until(what, () => (tags.every((t) => jobOf(t) !== undefined) ? tags.map((t) => jobOf(t) as V1Job) : undefined), 60_000, deadline, 20);
    for (const stage of phase.stages) {
      const jobs = await allThere(days.map(stage), `${periods} Jobs ${stage('<period>')}`);
      await parallel(jobs, 8, (job) => plane.completeJob(job.metadata?.name ?? '', ns, true));
      progress(`  ${periods} x ${stage('<period>')} completed (${round((now() - t0Setup) / 1000)} s)`);
    }
    const upstreams = await allThere(days.map(phase.upstream), `${periods} Jobs ${phase.upstream('<period>')}`);
    const completions = new Map<string, ReturnType<typeof splitCompleteJob>>();
    await parallel(upstreams, 8, async (job) => {
      const completion = splitCompleteJob(api, ns, job.metadata?.name ?? '');
      completions.set(tagOf(job), completion);
      await completion.prepare();
    });
    await inst.quiet(500, deadline);
    const setupSeconds = (now() - t0Setup) / 1000;
    progress(`  setup done in ${round(setupSeconds)} s: ${periods} x ${phase.upstream('<period>')} running (SuccessCriteriaMet); measuring`);

    const { kc, passes, saves, launchStart, launchEnd, endedSeen } = inst;
    const t0Measure = now();
    const latencies: number[] = [];
    const measured: RecordedRequest[] = [];
    const WRITE = 'lease write (save: PUT Dag status)';
    const steps = latencySteps(WRITE, ['(passes from Complete to launch)']);
    for (const p of days) {
      deadline.check(`measuring ${phase.what}`);
      const upTag = phase.upstream(p);
      const downTag = phase.downstream(p);
      const upJob = jobOf(upTag) as V1Job;
      const upName = upJob.metadata?.name ?? '';
      if (jobOf(downTag) !== undefined) out.anomalies.push(`${phase.what}: ${downTag} had a Job before ${upTag} completed`);
      await inst.quiet(25, deadline);
      const passesBefore = passes.length;
      const savesBefore = saves.length;
      const requestsBefore = kc.requests.length;
      const t0 = now();
      await (completions.get(upTag) as ReturnType<typeof splitCompleteJob>).complete();
      const patched = now();
      const { job: downJob, seenAt } = await watch.waitFor((j) => roleOf(j) === 'action' && tagOf(j) === downTag, 15_000).catch((error: unknown) => {
        throw new Error(`${phase.what}: no Job ${downTag} within 15 s of ${upTag} Complete (${(error as Error).message})`, { cause: error });
      });
      latencies.push(seenAt - t0);
      const le = await until('the launch to return', () => launchEnd.get(downTag), 5_000, deadline, 1).catch(() => undefined);
      await inst.quiet(25, deadline);
      measured.push(...kc.requests.slice(requestsBefore));
      const seen = endedSeen.get(upName);
      const ls = launchStart.get(downTag);
      const cycle = passes.slice(passesBefore);
      const pass = cycle.find((x) => x.launches > 0);
      const write = saves.slice(savesBefore).find((w) => pass !== undefined && w.start >= pass.end);
      if (seen !== undefined && pass !== undefined && write !== undefined && ls !== undefined && le !== undefined) {
        addSample(steps, WRITE, { t0, patched, seen, pass, write, launchStart: ls, launchEnd: le, seenAt });
        steps['(passes from Complete to launch)']?.push(cycle.filter((x) => x.start <= ls).length);
      }
      // The downstream succeeds too (not timed); the next sample waits until the controller has heard and is quiet.
      const downName = downJob.metadata?.name ?? '';
      await plane.completeJob(downName, ns, true);
      await until(`the controller to see ${downTag} end`, () => (endedSeen.has(downName) ? true : undefined), 10_000, deadline, 1);
    }
    await inst.quiet(300, deadline);
    const measureSeconds = (now() - t0Measure) / 1000;

    // Checks: every Dag settles with every period succeeded, no tag has two Jobs.
    for (const dag of phase.dags) {
      const status = await until(`Dag ${dag} to have every period succeeded`, async () => {
        const s = await dagStatus(api, ns, dag);
        return s.succeeded === `${periods}/${periods}` ? s : undefined;
      }, 10_000, deadline, 100).catch(async () => dagStatus(api, ns, dag));
      if (status.succeeded !== `${periods}/${periods}`) out.anomalies.push(`${phase.what}: Dag ${dag} ends ${String(status.phase)} with ${String(status.succeeded)} periods succeeded (${JSON.stringify(status.periods)})`);
    }
    for (const d of duplicates(watch)) out.anomalies.push(`${phase.what}: two Jobs or more for ${d}`);
    const extra = watch.list((j) => roleOf(j) === 'action').length - periods * (phase.stages.length + 2);
    if (extra !== 0) out.anomalies.push(`${phase.what}: ${extra > 0 ? `${extra} action Jobs more` : `${-extra} action Jobs fewer`} than the ${periods * (phase.stages.length + 2)} expected`);
    // With the controller stopped: how long the API server takes to PUT this Dag's status as it is
    // now (lastPeriod flipped each time, so every PUT is a real write), from the bench's keep-alive client.
    await inst.stop();
    const dagName = phase.dags[0] as string;
    const path = `${GROUP_PATH}/namespaces/${ns}/dags/${dagName}`;
    let object = (await api.must('GET', path)) as { metadata: { resourceVersion?: string }; status?: Record<string, unknown> };
    const dagBytes = JSON.stringify(object).length;
    const statusBytes = JSON.stringify(object.status ?? {}).length;
    const putMs: number[] = [];
    for (let i = 0; i < 15; i++) {
      const start = now();
      object = (await api.must('PUT', `${path}/status?fieldManager=bench`, { ...object, status: { ...object.status, lastPeriod: i % 2 === 0 ? 'probe' : day(periods - 1) } })) as typeof object;
      putMs.push(now() - start);
    }
    const sorted = sortNum(latencies);
    return {
      dagBytes,
      statusBytes,
      statusPutMs: q(putMs),
      what: phase.what,
      periods,
      samples: latencies.length,
      p50Ms: round(pct(sorted, 50)),
      p99Ms: round(pct(sorted, 99)),
      maxMs: round(sorted.at(-1) ?? NaN),
      steps: Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, q(v)])),
      stepSamples: steps.plan?.length ?? 0,
      requestsPerSample: round(measured.filter((r) => r.verb !== 'watch').length / Math.max(1, latencies.length)),
      requestsByKind: tally(measured.filter((r) => r.verb !== 'watch')).map(([k, n]): [string, number] => [k, round(n / Math.max(1, latencies.length), 2)]),
      medianMsByKind: medianDurations(measured),
      setupSeconds: round(setupSeconds),
      measureSeconds: round(measureSeconds),
    };
  } finally {
    if (inst !== undefined) for (const p of logProblems(inst.logFile)) out.anomalies.push(`${phase.what}: controller log: ${p}`);
    await inst?.stop().catch(() => undefined);
    await watch.stop().catch(() => undefined);
    api.close();
  }
}

// ---- phase 3: Jobs per minute ---------------------------------------------------------------

/** utime + stime of a process, in ms (/proc/PID/stat, clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

/** The control plane's processes, found by their command lines naming its state directory. */
function planePids(plane: ControlPlane): Record<string, number> {
  const found: Record<string, number> = {};
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (!cmd.some((a) => a.includes(plane.dir))) continue;
      const exe = cmd[0]?.split('/').pop() ?? '';
      if (exe === 'kube-apiserver' || exe === 'etcd') found[exe] = Number(entry);
    } catch {
      // gone
    }
  }
  return found;
}

interface CpuSample {
  at: number;
  /** Cumulative CPU ms by process. */
  cpu: Record<string, number>;
}

/** CPU used over `spans` (from the samples around each span's ends), in % of one core, by process. */
function cpuOver(samples: readonly CpuSample[], spans: readonly Span[]): Record<string, number> {
  const used: Record<string, number> = {};
  let wall = 0;
  for (const span of spans) {
    const before = samples.filter((x) => x.at <= span.start).at(-1) ?? samples[0];
    const after = samples.find((x) => x.at >= span.end) ?? samples.at(-1);
    if (before === undefined || after === undefined || after.at <= before.at) continue;
    wall += after.at - before.at;
    for (const [k, v] of Object.entries(after.cpu)) used[k] = (used[k] ?? 0) + v - (before.cpu[k] ?? 0);
  }
  return Object.fromEntries(Object.entries(used).map(([k, v]) => [k, wall > 0 ? round((v / wall) * 100, 0) : NaN]));
}

async function runRate(plane: ControlPlane, options: DagsOptions, deadline: Deadline, progress: (line: string) => void, reuse: boolean, out: DagsFigures): Promise<RateFigures> {
  const ns = 'bench-dag-rate';
  const { ratePeriods: periods, rateActive: active } = options;
  const api = new RawApi(plane.kubeConfig);
  const watch = new JobWatch(plane.kubeConfig, ns);
  let inst: (Instrumented & { logFile: string }) | undefined;
  let stopped = false;
  let workers: Promise<void>[] = [];
  const cpuSamples: CpuSample[] = [];
  let sampler: NodeJS.Timeout | undefined;
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  try {
    await api.createNamespace(ns);
    await watch.start();
    inst = await startPhaseController(plane, ns, reuse);
    out.logFiles.push(inst.logFile);
    const { kc, passes, saves, launchStart, launchEnd } = inst;

    // The kubelet: every new action Job is completed at once, in one status patch.
    const queue: string[] = [];
    const queued = new Set<string>();
    const patchMs: number[] = [];
    let completed = 0;
    let wake: (() => void) | undefined;
    watch.onJob((job) => {
      const name = job.metadata?.name ?? '';
      if (roleOf(job) !== 'action' || jobEnded(job) || queued.has(name)) return;
      queued.add(name);
      queue.push(name);
      wake?.();
    });
    const worker = async () => {
      while (!stopped) {
        const name = queue.shift();
        if (name === undefined) {
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, 50);
          });
          continue;
        }
        const at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
        const condition = (type: string) => ({ type, status: 'True', reason: 'CompletionsReached', lastTransitionTime: at });
        const start = now();
        await api.must('PATCH', `/apis/batch/v1/namespaces/${ns}/jobs/${name}/status`, { status: { startTime: at, completionTime: at, active: 0, succeeded: 1, conditions: [condition('SuccessCriteriaMet'), condition('Complete')] } }, 'application/merge-patch+json').catch((error: unknown) => {
          out.anomalies.push(`rate: completing ${name} failed: ${(error as Error).message.slice(0, 200)}`);
        });
        patchMs.push(now() - start);
        completed++;
      }
    };
    workers = Array.from({ length: 16 }, worker);

    const to = hour(periods - 1);
    const created = now();
    await api.apply('dags', ns, dagObject('rate', [{ name: 't' }], { from: hour(0), to, every: 'PT1H', timeZone: 'UTC' }, active));
    const actionJobs = () => watch.firstSeen.size;
    const burst = Math.min(active, periods);
    await until(`the first ${burst} Jobs`, () => (actionJobs() >= burst ? true : undefined), 90_000, deadline, 20);
    const burstSeconds = (now() - created) / 1000;
    progress(`  first ${burst} Jobs created in ${round(burstSeconds)} s; measuring for ${options.rateWindowS} s`);

    // The window: from the burst's end, rateWindowS long, or until every period has its Job.
    const pids = planePids(plane);
    const readCpu = (): Record<string, number> => {
      const u = process.cpuUsage();
      return { 'this process (controller + bench)': (u.user + u.system) / 1000, ...Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMs(pid)])) };
    };
    cpuSamples.push({ at: now(), cpu: readCpu() });
    sampler = setInterval(() => cpuSamples.push({ at: now(), cpu: readCpu() }), 100);
    loopDelay.enable();
    const t0 = now();
    const seenBefore = actionJobs();
    const requestsBefore = kc.requests.length;
    const passesBefore = passes.length;
    const windowEnd = t0 + options.rateWindowS * 1000;
    // The Dag's success records over the window (the engine folds them past 200 by default).
    const successCounts: number[] = [];
    let lastPoll = 0;
    await until('the window to end', async () => {
      if (now() - lastPoll >= 2_000) {
        lastPoll = now();
        const status = await dagStatus(api, ns, 'rate').catch(() => ({}) as Record<string, unknown>);
        if (Array.isArray(status.successes)) successCounts.push(status.successes.length);
      }
      return now() >= windowEnd || actionJobs() >= periods || deadline.left < 15_000 ? true : undefined;
    }, options.rateWindowS * 1000 + 5_000, deadline, 50);
    const t1 = now();
    const windowJobs = actionJobs() - seenBefore;
    const windowMs = t1 - t0;
    const requests = kc.requests.slice(requestsBefore).filter((r) => r.verb !== 'watch');
    loopDelay.disable();
    cpuSamples.push({ at: now(), cpu: readCpu() });
    const cpu = cpuOver(cpuSamples, [{ start: t0, end: t1 }]);
    const dag = await api.must('GET', `${GROUP_PATH}/namespaces/${ns}/dags/rate`);
    const dagStatusNow = ((dag as { status?: Record<string, unknown> }).status ?? {}) as Record<string, unknown>;
    const dagStatusCounts = Object.fromEntries(Object.entries(dagStatusNow).filter(([, v]) => Array.isArray(v)).map(([k, v]) => [k, (v as unknown[]).length]));

    // Where a pass's time goes: from one plan's start to the next.
    const window = passes.slice(passesBefore).filter((p) => p.start < t1);
    const passMs: Record<string, number[]> = { 'whole pass (plan start -> next plan start)': [], plan: [], 'save (PUT Dag status)': [], 'launches (first start -> last POST answered)': [], 'the rest (DagRun creates + status writes)': [] };
    const launchesPerPass: number[] = [];
    const launchSpans: Span[] = [];
    const restSpans: Span[] = [];
    const starts = [...launchStart.entries()];
    for (let i = 0; i + 1 < window.length; i++) {
      const p = window[i] as Pass;
      const next = (window[i + 1] as Pass).start;
      const save = saves.find((s) => s.start >= p.end && s.start < next);
      const ls = starts.filter(([, at]) => at >= p.end && at < next);
      const lastEnd = Math.max(...ls.map(([t]) => launchEnd.get(t) ?? 0));
      passMs['whole pass (plan start -> next plan start)']?.push(next - p.start);
      passMs.plan?.push(p.end - p.start);
      if (save !== undefined) passMs['save (PUT Dag status)']?.push(save.end - save.start);
      if (ls.length > 0) {
        passMs['launches (first start -> last POST answered)']?.push(lastEnd - Math.min(...ls.map(([, at]) => at)));
        passMs['the rest (DagRun creates + status writes)']?.push(next - lastEnd);
        launchSpans.push({ start: Math.min(...ls.map(([, at]) => at)), end: lastEnd });
        restSpans.push({ start: lastEnd, end: next });
      }
      launchesPerPass.push(p.launches);
    }
    if (Math.max(0, ...successCounts) > 600) out.anomalies.push(`rate: the Dag's status held up to ${Math.max(...successCounts)} success records in the window (every 2 s: ${successCounts.join(' ')}); the engine folds past 200 by default, and the CRD refuses more than 5000`);
    // The same rate counted from pass to pass (the launches come in one burst per pass).
    const aligned = passes.slice(passesBefore).filter((p) => p.start >= t0 && p.start <= t1 && p.launches > 0);
    const first = aligned[0];
    const last = aligned.at(-1);
    const alignedLaunches = aligned.slice(0, -1).reduce((n, p) => n + p.launches, 0);
    const perMinuteByPasses = first !== undefined && last !== undefined && last.start > first.start ? Math.round((alignedLaunches / (last.start - first.start)) * 60_000) : NaN;
    // Requests per Job over whole passes: what a pass sends (its save, launches, DagRun writes) over what it launched.
    const perJob = first !== undefined && last !== undefined && alignedLaunches > 0 ? requests.filter((r) => r.start >= first.start && r.start < last.start) : requests;
    const perJobDivisor = first !== undefined && last !== undefined && alignedLaunches > 0 ? alignedLaunches : windowJobs;
    return {
      periods,
      maxActiveRuns: active,
      perMinuteByPasses,
      loadAverage: round(loadavg()[0] ?? NaN, 2),
      windowJobs,
      windowSeconds: round(windowMs / 1000),
      perMinute: Math.round((windowJobs / windowMs) * 60_000),
      burstJobs: burst,
      burstSeconds: round(burstSeconds),
      totalJobs: actionJobs(),
      requestsInWindow: requests.length,
      requestsPerJob: round(perJob.length / Math.max(1, perJobDivisor), 2),
      requestsPerJobOver: [perJob.length, perJobDivisor],
      requestsByKindPerJob: tally(perJob).map(([k, n]): [string, number] => [k, round(n / Math.max(1, perJobDivisor), 2)]),
      medianMsByKind: medianDurations(requests),
      passes: Math.max(0, window.length - 1),
      launchesPerPass: q(launchesPerPass),
      passMs: Object.fromEntries(Object.entries(passMs).map(([k, v]) => [k, q(v)])),
      cpuPercent: cpu,
      cpuPercentDuringLaunches: cpuOver(cpuSamples, launchSpans),
      cpuPercentDuringRest: cpuOver(cpuSamples, restSpans),
      eventLoopDelayMs: { p50: round(loopDelay.percentile(50) / 1e6), p99: round(loopDelay.percentile(99) / 1e6), max: round(loopDelay.max / 1e6) },
      dagBytes: JSON.stringify(dag).length,
      dagStatusCounts,
      successRecords: successCounts,
      completed,
      completePatchMs: round(pct(sortNum(patchMs), 50)),
    };
  } finally {
    clearInterval(sampler);
    loopDelay.disable();
    stopped = true;
    await Promise.all(workers);
    for (const d of duplicates(watch)) out.anomalies.push(`rate: two Jobs or more for ${d}`);
    if (inst !== undefined) for (const p of logProblems(inst.logFile)) out.anomalies.push(`rate: controller log: ${p}`);
    await inst?.stop().catch(() => undefined);
    await watch.stop().catch(() => undefined);
    api.close();
  }
}

// ---- the three phases --------------------------------------------------------------------------

export async function runDags(plane: ControlPlane, options: DagsOptions, deadline: Deadline, progress: (line: string) => void, reuse = true): Promise<DagsFigures> {
  const out: DagsFigures = { failures: [], anomalies: [], notes: [], logFiles: [] };
  const n = options.periods;
  const daily = { from: day(0), to: day(n - 1), every: 'P1D', timeZone: 'UTC' };
  const phase = async (name: NonNullable<DagsOptions['only']>, minLeftMs: number, fn: () => Promise<void>) => {
    if (options.only !== undefined && options.only !== name) return;
    if (deadline.left < minLeftMs) {
      out.failures.push(`${name}: skipped, only ${Math.round(deadline.left / 1000)} s of the budget left`);
      return;
    }
    try {
      await fn();
    } catch (error) {
      out.failures.push(`${name}: ${(error as Error).stack ?? String(error)}`);
    }
  };
  await phase('chain', 20_000, async () => {
    progress(`controller bench: dags, task -> task, Dag chain (a -> b) over ${n} daily periods`);
    out.chain = await runSampled(plane, {
      what: 'task -> task',
      namespace: 'bench-dag-chain',
      objects: [{ plural: 'dags', object: dagObject('chain', [{ name: 'a' }, { name: 'b', dependsOn: ['a'] }], daily, 1000) }],
      dags: ['chain'],
      stages: [],
      upstream: (p) => `chain/a@${p}`,
      downstream: (p) => `chain/b@${p}`,
    }, n, deadline, progress, reuse, out);
  });
  await phase('dependency', 20_000, async () => {
    progress(`controller bench: dags, across a DagDependency, up (extract -> load) -> down (join), ${n} daily periods`);
    out.dependency = await runSampled(plane, {
      what: 'DagDependency',
      namespace: 'bench-dag-dependency',
      objects: [
        { plural: 'dags', object: dagObject('up', [{ name: 'extract' }, { name: 'load', dependsOn: ['extract'] }], daily, 1000) },
        { plural: 'dags', object: dagObject('down', [{ name: 'join' }], daily, 1000) },
        { plural: 'dagdependencies', object: dependencyObject('down-after-up', 'down', 'up') },
      ],
      dags: ['up', 'down'],
      stages: [(p) => `up/extract@${p}`],
      upstream: (p) => `up/load@${p}`,
      downstream: (p) => `down/join@${p}`,
    }, n, deadline, progress, reuse, out);
  });
  await phase('rate', 30_000, async () => {
    progress(`controller bench: dags, Jobs per minute, Dag rate (one task) over ${options.ratePeriods} hourly periods, maxActiveRuns ${options.rateActive}`);
    out.rate = await runRate(plane, options, deadline, progress, reuse, out);
  });
  return out;
}
