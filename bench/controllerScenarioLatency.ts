// Scenario 1 and 2: independent pairs `up-i` -> `down-i` (down dependsOn up), the controller
// in-process, the bench playing the kubelet. Both are checked unsatisfied first; up's action
// runs and is completed; its verification check is then answered `satisfied`, one pair at a
// time, and the bench times from the write that completes that checker Job to the moment its
// own Job informer sees down's action Job. The measured path is therefore: checker Job Complete
// -> the controller's Job watch -> verdict read (Pod cache) -> engine -> leases written to the
// statuses -> action Job created -> the bench's Job watch.
// Every request the controller makes is recorded (RecordingKubeConfig) for the requests-per-action figure.
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { DEFAULT_MAX_CHECKS_IN_FLIGHT } from '../src/runtime/boundedChecks.js';
import type { ControlPlane } from '../test/integration/harness/controlPlane.js';
import {
  ACTION,
  addSample,
  type Deadline,
  expectationObject,
  JobWatch,
  jobEnded,
  now,
  ownerOf,
  parallel,
  pct,
  RawApi,
  roleOf,
  round,
  sortNum,
  splitCompleteJob,
  stateChecker,
  tally,
  until,
  writeCheckerPod,
  latencySteps,
} from './controllerScenario.js';
import { startInstrumented } from './instrumentedController.js';

export interface Quantiles {
  p50: number;
  p99: number;
}

export interface LatencyFigures {
  pairs: number;
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Where the time of one sample goes, p50 and p99 of each step (ms). */
  steps: Record<string, Quantiles>;
  /** Samples where every step could be matched to the hooks. */
  stepSamples: number;
  /** Requests the controller started between the plan's end and the lease write's end, median per sample, by kind. */
  duringLeaseWrite: [string, number][];
  /** The controller's own requests. */
  requests: {
    total: number;
    actions: number;
    perAction: number;
    /** Only the measured phase: up's verification verdict -> down's launch, and what follows it. */
    measuredTotal: number;
    measuredActions: number;
    measuredPerAction: number;
    byKind: [string, number][];
    measuredByKind: [string, number][];
    /** Median duration of one controller request during the measured phase, by kind (ms). */
    medianMsByKind: [string, number][];
  };
  setupSeconds: number;
  measureSeconds: number;
  controllerSyncMs: number;
  logFile: string;
}

const NS = 'bench-latency';

export async function runLatency(plane: ControlPlane, pairs: number, deadline: Deadline, progress: (line: string) => void, reuseConnections = false): Promise<LatencyFigures> {
  const t0Setup = now();
  const api = new RawApi(plane.kubeConfig);
  const logFile = join(tmpdir(), `homeostat-bench-controller-${process.pid}.log`);
  const watch = new JobWatch(plane.kubeConfig, NS);
  let stop: () => Promise<void> = async () => undefined;
  try {
    await api.createNamespace(NS);
    await api.apply('statecheckers', NS, stateChecker('files', { mode: 'Job', image: 'example/check-files:1', timeout: '10m' }));
    const names = Array.from({ length: pairs }, (_, i) => String(i).padStart(3, '0'));
    const retry = { limit: 1, backoff: { initial: '1s', max: '1s' } };
    await parallel(names, 16, async (n) => {
      await api.apply('expectations', NS, expectationObject(`up-${n}`, { checker: { ref: 'files' }, action: ACTION, retry }));
      await api.apply('expectations', NS, expectationObject(`down-${n}`, { checker: { ref: 'files' }, action: ACTION, retry, dependsOn: [{ expectation: `up-${n}` }] }));
    });
    await watch.start();

    // ---- the controller, in-process, every request recorded --------------------------------
    // The scenario holds every up-* verification check unanswered, then answers them one at a
    // time: all 2 x pairs checks must be able to be in flight at once.
    const inst = await startInstrumented(plane, { namespace: NS, logFile, reuseConnections, tagOf: (launch) => launch.owner.name, maxChecksInFlight: Math.max(DEFAULT_MAX_CHECKS_IN_FLIGHT, 2 * pairs) });
    const { kc, passes, saves, launchStart, launchEnd, endedSeen: completedSeen } = inst;
    const controllerSyncMs = inst.syncMs;
    stop = inst.stop;
    const controllerPods = inst.informer<V1Pod>('pods');

    // ---- setup: initial checks unsatisfied, up's actions run and succeed --------------------
    const answered = new Set<string>();
    const pendingChecks = () => watch.list((j) => roleOf(j) === 'checker' && !jobEnded(j) && !answered.has(j.metadata?.name ?? ''));
    const answerAll = async (expected: number, state: 'satisfied' | 'unsatisfied', what: string) => {
      // Answered as they come, should the controller run fewer at once than expected.
      let done = 0;
      while (done < expected) {
        const batch = expected - done;
        const jobs = await until(what, () => (pendingChecks().length >= batch ? pendingChecks() : undefined), 60_000, deadline);
        await parallel(jobs, 8, async (job) => {
          const name = job.metadata?.name ?? '';
          answered.add(name);
          await writeCheckerPod(api, NS, job, state);
          // The harness's completeJob, on the bench's keep-alive connection (same writes, same order).
          const completion = splitCompleteJob(api, NS, name);
          await completion.prepare();
          await completion.complete();
        });
        done += jobs.length;
      }
      progress(`  ${done} checker Jobs answered (${round((now() - t0Setup) / 1000)} s)`);
    };
    await answerAll(2 * pairs, 'unsatisfied', `${2 * pairs} initial checker Jobs`);
    progress(`  ${2 * pairs} initial checks answered unsatisfied (${round((now() - t0Setup) / 1000)} s)`);
    const upActions = await until(`${pairs} action Jobs of up-*`, () => {
      const jobs = watch.list((j) => roleOf(j) === 'action' && ownerOf(j).startsWith('up-'));
      return jobs.length >= pairs ? jobs : undefined;
    }, 60_000, deadline);
    await parallel(upActions, 8, (job) => plane.completeJob(job.metadata?.name ?? '', NS, true));
    progress(`  ${pairs} up action Jobs completed (${round((now() - t0Setup) / 1000)} s)`);
    const verifications = await until(`${pairs} verification checks of up-*`, () => {
      const jobs = pendingChecks().filter((j) => ownerOf(j).startsWith('up-'));
      return jobs.length >= pairs ? new Map(jobs.map((j) => [ownerOf(j), j])) : undefined;
    }, 60_000, deadline);
    const quiet = (ms: number) => until('the controller to be quiet', () => (kc.inFlight === 0 && now() - kc.lastEndAt >= ms ? true : undefined), 30_000, deadline, 2);
    await quiet(500);
    const setupSeconds = (now() - t0Setup) / 1000;
    progress(`  setup done in ${round(setupSeconds)} s: ${pairs} up actions succeeded, their verification checks wait; measuring`);

    // ---- the samples: one pair at a time ----------------------------------------------------
    const requestsBefore = kc.requests.length;
    const launchesBefore = launchEnd.size;
    const t0Measure = now();
    const latencies: number[] = [];
    const duringWrite = new Map<string, number[]>();
    const WRITE = 'lease write (save: PUT status)';
    const steps = latencySteps(WRITE);
    for (const n of names) {
      deadline.check('measuring latency');
      const job = verifications.get(`up-${n}`) as V1Job;
      const name = job.metadata?.name ?? '';
      answered.add(name);
      const pod = await writeCheckerPod(api, NS, job, 'satisfied');
      const completion = splitCompleteJob(api, NS, name);
      await completion.prepare();
      // The controller has seen the Pod (its verdict comes from the cache) and is idle.
      await until('the checker Pod in the controller cache', () => (controllerPods.get(NS, pod)?.status?.containerStatuses?.[0]?.state?.terminated !== undefined ? true : undefined), 10_000, deadline, 1);
      await quiet(25);
      const passesBefore = passes.length;
      const savesBefore = saves.length;
      const t0 = now();
      await completion.complete();
      const patched = now();
      const { seenAt } = await watch.waitFor((j) => roleOf(j) === 'action' && ownerOf(j) === `down-${n}`, 15_000);
      latencies.push(seenAt - t0);
      const seen = completedSeen.get(name);
      const pass = passes.slice(passesBefore).find((p) => p.launches > 0);
      const write = saves.slice(savesBefore).find((w) => pass !== undefined && w.start >= pass.end);
      const ls = launchStart.get(`down-${n}`);
      // The bench's watch may hear of the Job before the controller has read the POST's answer.
      const le = await until('the launch to return', () => launchEnd.get(`down-${n}`), 5_000, deadline, 1).catch(() => undefined);
      if (seen !== undefined && pass !== undefined && write !== undefined && ls !== undefined && le !== undefined) {
        addSample(steps, WRITE, { t0, patched, seen, pass, write, launchStart: ls, launchEnd: le, seenAt });
        const during = kc.requests.filter((r) => r.verb !== 'watch' && r.start >= pass.end && r.start <= write.end);
        for (const [kind, count] of tally(during)) duringWrite.set(kind, [...(duringWrite.get(kind) ?? []), count]);
      }
    }
    await quiet(300);
    const measureSeconds = (now() - t0Measure) / 1000;
    const measured = kc.requests.slice(requestsBefore);
    const measuredActions = launchEnd.size - launchesBefore;
    const durations = new Map<string, number[]>();
    for (const r of measured) {
      if (r.end === undefined) continue;
      const key = `${r.verb} ${r.resource}`;
      durations.set(key, [...(durations.get(key) ?? []), r.end - r.start]);
    }
    const sorted = sortNum(latencies);
    const q = (values: number[]): Quantiles => {
      const s = sortNum(values);
      return { p50: round(pct(s, 50)), p99: round(pct(s, 99)) };
    };
    const actions = launchEnd.size;
    return {
      pairs,
      samples: latencies.length,
      p50Ms: round(pct(sorted, 50)),
      p99Ms: round(pct(sorted, 99)),
      maxMs: round(sorted.at(-1) ?? NaN),
      steps: Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, q(v)])),
      stepSamples: steps.plan?.length ?? 0,
      // A kind absent from a sample counts 0 there.
      duringLeaseWrite: [...duringWrite.entries()].map(([k, v]): [string, number] => [k, pct(sortNum([...v, ...Array<number>(Math.max(0, (steps.plan?.length ?? 0) - v.length)).fill(0)]), 50)]),
      requests: {
        total: kc.requests.length,
        actions,
        perAction: round(kc.requests.length / Math.max(1, actions)),
        measuredTotal: measured.length,
        measuredActions,
        measuredPerAction: round(measured.length / Math.max(1, measuredActions)),
        byKind: tally(kc.requests),
        measuredByKind: tally(measured),
        medianMsByKind: [...durations.entries()].map(([k, v]): [string, number] => [k, round(pct(sortNum(v), 50))]).sort((a, b) => b[1] - a[1]),
      },
      setupSeconds: round(setupSeconds),
      measureSeconds: round(measureSeconds),
      controllerSyncMs: round(controllerSyncMs),
      logFile,
    };
  } catch (error) {
    throw new Error(`${(error as Error).message} (controller log: ${logFile})`, { cause: error });
  } finally {
    await stop().catch(() => undefined);
    await watch.stop().catch(() => undefined);
    api.close();
  }
}
