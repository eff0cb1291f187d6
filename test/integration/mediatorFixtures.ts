// What the Mediator integration tests share: Dags, DagDependencies and DagRuns as a user writes
// them, and a Scene that follows action Jobs by what they are for (`dag/task@period`, from the
// labels and annotations Homeostat writes on them), plays the kubelet for them, and reads Dag and
// DagRun statuses the way `kubectl get` does.
import { expect } from '@jest/globals';
import type { V1Job } from '@kubernetes/client-node';
import type { Controller, ControllerOptions } from '../../src/kube/controller.js';
import { cluster, eventually } from './harness/cluster.js';
import { actionTag, runningJob, Scene } from './controllerFixtures.js';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Three whole days, well in the past: every period has ended, none is added while a test runs. */
export const D1 = '2026-11-01';
export const D2 = '2026-11-02';
export const D3 = '2026-11-03';
export const DAYS = [D1, D2, D3] as const;
export const DAILY = `{from: "${D1}", to: "${D3}", every: P1D, timeZone: UTC}`;

export interface TaskDecl {
  name: string;
  dependsOn?: string[];
  /** Failed attempts allowed before the task is Failed (backoff 1s). Defaults to 1. */
  retryLimit?: number;
}

/** A Dag; each task's Job gets the period in its args. `extra`: more spec lines, indented by two spaces. */
export const dagYaml = (name: string, tasks: (string | TaskDecl)[], periods: string, extra = ''): string => {
  const lines = tasks.map((t) => {
    const task: TaskDecl = typeof t === 'string' ? { name: t } : t;
    return [
      `  - name: ${task.name}`,
      ...(task.dependsOn !== undefined ? [`    dependsOn: [${task.dependsOn.join(', ')}]`] : []),
      `    retry: {limit: ${task.retryLimit ?? 1}, backoff: {initial: 1s, max: 1s}}`,
      '    timeout: 10m',
      `    job: {template: {spec: {containers: [{name: main, image: example/${name}-${task.name}:1, args: ["--period", "{{period}}"]}]}}}`,
    ].join('\n');
  });
  return `apiVersion: homeostat.dev/v1alpha1
kind: Dag
metadata: {name: ${name}}
spec:
  periods: ${periods}
${extra}  tasks:
${lines.join('\n')}
`;
};

/** A DagDependency: `dag` depends on each upstream (a whole Dag, or one task of it). */
export const dependencyYaml = (name: string, dag: string, upstreams: { dag: string; task?: string; periods?: string }[]): string => `apiVersion: homeostat.dev/v1alpha1
kind: DagDependency
metadata: {name: ${name}}
spec:
  dag: ${dag}
  dependsOn:
${upstreams.map((u) => `    - {dag: ${u.dag}${u.task !== undefined ? `, task: ${u.task}` : ''}${u.periods !== undefined ? `, periods: ${u.periods}` : ''}}`).join('\n')}
`;

/** One day, D1: the period of the cycle scenes. */
export const ONE_DAY = `{from: "${D1}", to: "${D1}", every: P1D, timeZone: UTC}`;

/** Dags ping and pong depending on each other through two DagDependencies, and solo beside them. */
export const CYCLE_YAML = [
  dagYaml('ping', ['a'], ONE_DAY),
  dagYaml('pong', ['b'], ONE_DAY),
  dependencyYaml('ping-needs-pong', 'ping', [{ dag: 'pong' }]),
  dependencyYaml('pong-needs-ping', 'pong', [{ dag: 'ping' }]),
  dagYaml('solo', ['work'], ONE_DAY),
];

/** A DagRun as a user creates one to re-run a period (reason defaults to Manual). */
export const dagRunYaml = (name: string, dag: string, period: string): string => `apiVersion: homeostat.dev/v1alpha1
kind: DagRun
metadata: {name: ${name}}
spec: {dag: ${dag}, period: "${period}"}
`;

/** A DagRun as `kubectl get dr -o json` shows it, flattened. */
export interface RunRow {
  name: string;
  dag: string;
  period: string;
  reason: string;
  phase: string | undefined;
  managed: boolean;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  status: Record<string, unknown>;
}

interface RawRun {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { dag: string; period: string; reason?: string };
  status?: Record<string, unknown>;
}

const rowOf = (o: RawRun): RunRow => ({
  name: o.metadata.name,
  dag: o.spec.dag,
  period: o.spec.period,
  reason: o.spec.reason ?? '',
  phase: o.status?.phase as string | undefined,
  managed: o.metadata.labels?.['app.kubernetes.io/managed-by'] === 'homeostat',
  labels: o.metadata.labels ?? {},
  annotations: o.metadata.annotations ?? {},
  status: o.status ?? {},
});

/** `period reason phase` of each run, sorted: what a person reads off `kubectl get dr`. */
export const runSummary = (rows: RunRow[]): string[] => rows.map((r) => `${r.period} ${r.reason} ${r.phase ?? '-'}`).sort();

export class DagScene extends Scene {
  controller: Controller | undefined;

  override async start(options: Partial<ControllerOptions> = {}): Promise<Controller> {
    this.controller = await super.start(options);
    return this.controller;
  }

  /** Every action Job created so far (ended ones too). */
  async actionJobs(): Promise<V1Job[]> {
    return this.jobs('action');
  }

  /** What every action Job created so far was for, sorted (a tag appears once per Job). */
  async launched(owner?: string): Promise<string[]> {
    return (await this.actionJobs())
      .map(actionTag)
      .filter((t) => owner === undefined || t.startsWith(`${owner}/`) || t.startsWith(`${owner}@`))
      .sort();
  }

  /** What the running action Jobs are for, sorted. */
  async running(): Promise<string[]> {
    return (await this.actionJobs()).filter(runningJob).map(actionTag).sort();
  }

  /** Waits until the running action Jobs are exactly `expected` (tags, any order). */
  async untilRunning(expected: string[], timeoutMs = 20_000): Promise<void> {
    const want = [...expected].sort();
    await eventually(async () => expect(await this.running()).toEqual(want), timeoutMs);
  }

  /** Plays the job controller for the running Job of each tag: it succeeds (or fails). */
  async finish(tags: string[], succeeded = true): Promise<void> {
    const jobs = (await this.actionJobs()).filter(runningJob);
    for (const tag of tags) {
      const matching = jobs.filter((j) => actionTag(j) === tag);
      if (matching.length !== 1) throw new Error(`${matching.length} running action Jobs for ${tag} (running: ${jobs.map(actionTag).join(', ')})`);
      await cluster().completeJob(matching[0]?.metadata?.name ?? '', this.ns, succeeded);
    }
  }

  /** Waits for `tags` to be exactly what runs, then finishes them. */
  async runAndFinish(tags: string[], succeeded = true, timeoutMs = 20_000): Promise<void> {
    await this.untilRunning(tags, timeoutMs);
    await this.finish(tags, succeeded);
  }

  /**
   * Lets the controller catch up: a short while for the informers to deliver what just changed,
   * then until its reconciler has nothing pending. Used before asserting that something did NOT happen.
   */
  async settle(ms = 1_500): Promise<void> {
    await sleep(ms);
    await eventually(async () => expect(this.controller?.reconciler.idle()).toBe(true), 10_000);
    await sleep(300);
    await eventually(async () => expect(this.controller?.reconciler.idle()).toBe(true), 10_000);
  }

  dag(name: string): Promise<Record<string, unknown>> {
    return this.status(name, 'dag');
  }

  /** Waits until the Dag's status matches `check` (which throws until it does). */
  untilDag(name: string, check: (status: Record<string, unknown>) => void, timeoutMs = 20_000): Promise<Record<string, unknown>> {
    return this.until(name, check, timeoutMs, 'dag');
  }

  /** `kubectl get dr [-l homeostat.dev/dag=<dag>] -o json`, flattened. */
  async dagRuns(labelDag?: string): Promise<RunRow[]> {
    const args = ['get', 'dr', ...(labelDag !== undefined ? ['-l', `homeostat.dev/dag=${labelDag}`] : []), '-o', 'json'];
    const list = JSON.parse((await this.kubectl(args)).stdout) as { items: RawRun[] };
    return list.items.map(rowOf);
  }

  /** One DagRun by name, or undefined when it does not exist. */
  async dagRun(name: string): Promise<RunRow | undefined> {
    const got = await cluster().kubectl(['-n', this.ns, 'get', 'dr', name, '-o', 'json']);
    if (got.code !== 0) {
      if (/NotFound/.test(got.stderr)) return undefined;
      throw new Error(`kubectl get dr ${name}: ${got.stderr}`);
    }
    return rowOf(JSON.parse(got.stdout) as RawRun);
  }
}

/**
 * The Mediator's world: sold (extract -> load), ads (fetch -> load, no retries) and enrich (join),
 * daily over DAYS, and enrich-inputs making enrich depend on the whole of sold and on ads' load.
 * `extra`: more spec lines per Dag (e.g. `  historyLimit: 1\n`).
 */
export const mediatorYaml = (extra: { sold?: string; ads?: string; enrich?: string } = {}): string =>
  [
    // The wiring first: `kubectl apply` creates the objects one by one, and a dependent Dag the
    // controller sees before its DagDependency has no inputs yet, so it starts every period at
    // once (a race of the same apply under load: known, and not what these tests are about).
    dependencyYaml('enrich-inputs', 'enrich', [{ dag: 'sold' }, { dag: 'ads', task: 'load' }]),
    dagYaml('sold', ['extract', { name: 'load', dependsOn: ['extract'] }], DAILY, extra.sold ?? ''),
    dagYaml('ads', ['fetch', { name: 'load', dependsOn: ['fetch'], retryLimit: 0 }], DAILY, extra.ads ?? ''),
    dagYaml('enrich', ['join'], DAILY, extra.enrich ?? ''),
  ].join('---\n');

/** Every tag of the Mediator's world, once per day, sorted. */
export const ALL_TAGS = DAYS.flatMap((d) => [`sold/extract@${d}`, `sold/load@${d}`, `ads/fetch@${d}`, `ads/load@${d}`, `enrich/join@${d}`]).sort();

/** Plays every Job of the Mediator's first backfill to success, stage by stage. */
export async function backfill(scene: DagScene): Promise<void> {
  await scene.runAndFinish(DAYS.flatMap((d) => [`sold/extract@${d}`, `ads/fetch@${d}`]));
  await scene.runAndFinish(DAYS.flatMap((d) => [`sold/load@${d}`, `ads/load@${d}`]));
  await scene.runAndFinish(DAYS.map((d) => `enrich/join@${d}`));
  for (const dag of ['sold', 'ads', 'enrich']) await scene.untilDag(dag, (s) => expect(s).toMatchObject({ phase: 'Satisfied', succeeded: '3/3' }));
  await scene.settle();
}

/** The tags in `after` that are not in `before` (multisets), sorted. */
export const added = (before: string[], after: string[]): string[] => {
  const left = [...before];
  return after
    .filter((t) => {
      const i = left.indexOf(t);
      if (i < 0) return true;
      left.splice(i, 1);
      return false;
    })
    .sort();
};

/**
 * Asks for something (`ask`), then expects the Jobs of `stages` to run one stage after the other
 * (exactly those running at each stage), finishes them, waits until `dag` is Satisfied again
 * and returns every action Job created meanwhile (so a caller sees extra ones too).
 */
export async function playRerun(scene: DagScene, ask: () => Promise<unknown>, stages: string[][], dag = 'enrich'): Promise<string[]> {
  await scene.settle();
  const before = await scene.launched();
  await ask();
  for (const stage of stages) await scene.runAndFinish(stage);
  await scene.untilDag(dag, (s) => expect(s).toMatchObject({ phase: 'Satisfied', succeeded: '3/3' }));
  await scene.settle();
  return added(before, await scene.launched());
}
