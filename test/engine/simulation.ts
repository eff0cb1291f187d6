import type { Dag, DagDependency, Expectation, StateChecker } from '../../src/api/types.js';
import { Engine, type ActionCancel, type ActionLaunch, type EngineEvent, type EngineOptions, type Plan, type World } from '../../src/engine/index.js';

export type LaunchEffect = 'succeed' | 'fail' | 'succeed-without-effect' | 'hang';

/** How the checker behaves: it answers, crashes (CheckerFailed) or never answers (CheckerTimeout). */
export type CheckerMode = 'answer' | 'crash' | 'silent';

/**
 * A small world for engine tests: data is a set of node ids that hold; checkers read it, actions
 * write it. Time only moves when the test says so. Nothing here knows the engine's internals.
 */
export class Simulation {
  engine: Engine;
  now: number;
  /** Node ids whose state holds. */
  readonly data = new Set<string>();
  /** Node ids whose checker answers unrecoverable, with the message. */
  readonly unrecoverable = new Map<string, string>();
  /** What an action does; by default it makes its node hold and succeeds. */
  onLaunch: (launch: ActionLaunch) => LaunchEffect = () => 'succeed';
  checkerMode: CheckerMode = 'answer';
  /** Node ids whose check crashes whatever the mode (CheckerFailed). */
  readonly crashing = new Set<string>();
  /** Actions launched, in order. */
  readonly launches: ActionLaunch[] = [];
  readonly plans: Plan[] = [];
  /** Checks answered, as node ids. */
  readonly checked: string[] = [];
  /** Launches that hang until `finish` is called, by node id. */
  readonly running = new Map<string, ActionLaunch>();
  private pendingFinish: { node: string; attempt: number; ok: boolean }[] = [];
  private world: World;

  constructor(world: Partial<World>, start = Date.parse('2026-03-10T12:00:00Z'), private readonly options: Partial<EngineOptions> = {}) {
    this.now = start;
    this.engine = new Engine({ holder: 'test', ...options });
    this.world = fullWorld(world);
    this.engine.setWorld(this.world, this.now);
  }

  setWorld(world: Partial<World>): void {
    this.world = fullWorld(world);
    this.engine.setWorld(this.world, this.now);
  }

  /** The controller restarts: a new engine from the old one's snapshot (through JSON, as persisted). */
  restart(withObservations = false): void {
    const snapshot = JSON.parse(JSON.stringify(this.engine.snapshot(withObservations)));
    this.engine = new Engine({ ...this.options, holder: 'test-2', snapshot });
    this.engine.setWorld(this.world, this.now);
  }

  /** One reconcile pass: plan, then answer every check and finish every action at once. */
  step(): Plan {
    for (const f of this.pendingFinish) this.engine.actionFinished(f.node, f.attempt, f.ok, this.now, f.ok ? undefined : 'exit code 1');
    this.pendingFinish = [];
    const plan = this.engine.plan(this.now);
    this.plans.push(plan);
    for (const cancel of plan.cancels) {
      const hung = this.running.get(cancel.node);
      if (hung !== undefined && hung.lease.action === cancel.action) this.running.delete(cancel.node);
    }
    for (const check of plan.checks) {
      if (this.checkerMode === 'silent') continue;
      if (this.checkerMode === 'crash') {
        this.engine.checkFailed(check.items.map((i) => i.node), 'CheckerFailed', 'the checker exited with code 2', this.now);
        continue;
      }
      const crashed = check.items.filter((i) => this.crashing.has(i.node)).map((i) => i.node);
      if (crashed.length > 0) this.engine.checkFailed(crashed, 'CheckerFailed', 'the checker exited with code 2', this.now);
      for (const item of check.items) {
        if (this.crashing.has(item.node)) continue;
        this.checked.push(item.node);
        const unrecoverable = this.unrecoverable.get(item.node);
        if (unrecoverable !== undefined) this.engine.observe(item.node, 'unrecoverable', this.now, unrecoverable);
        else this.engine.observe(item.node, this.data.has(item.node) ? 'satisfied' : 'unsatisfied', this.now);
      }
    }
    for (const launch of plan.launches) {
      this.launches.push(launch);
      const effect = this.onLaunch(launch);
      if (effect === 'hang') {
        this.running.set(launch.node, launch);
        continue;
      }
      if (effect === 'succeed') this.data.add(launch.node);
      this.pendingFinish.push({ node: launch.node, attempt: launch.lease.attempt, ok: effect !== 'fail' });
    }
    return plan;
  }

  /** A hung action ends now (its report reaches the engine on the next step). */
  finish(node: string, effect: Exclude<LaunchEffect, 'hang'> = 'succeed'): void {
    const launch = this.running.get(node);
    if (launch === undefined) throw new Error(`no running action for ${node}`);
    this.running.delete(node);
    if (effect === 'succeed') this.data.add(node);
    this.pendingFinish.push({ node, attempt: launch.lease.attempt, ok: effect !== 'fail' });
  }

  /** Steps until a pass does nothing, advancing the clock by `tick` when only timers remain. */
  settle(maxSteps = 200, tick = 0): void {
    for (let i = 0; i < maxSteps; i++) {
      const plan = this.step();
      const idle = plan.checks.length === 0 && plan.launches.length === 0 && this.pendingFinish.length === 0;
      if (idle) {
        if (tick === 0 || plan.nextWakeAt === undefined) return;
        this.now = Math.max(this.now + 1, Math.min(plan.nextWakeAt, this.now + tick));
      }
    }
  }

  /** Steps with the clock moving by `tick` until `until`, or until nothing is left to do. */
  runUntil(until: number, tick: number, maxSteps = 10_000): void {
    for (let i = 0; i < maxSteps && this.now < until; i++) {
      const plan = this.step();
      const idle = plan.checks.length === 0 && plan.launches.length === 0 && this.pendingFinish.length === 0;
      if (idle) this.now = Math.min(until, plan.nextWakeAt !== undefined ? Math.max(this.now + 1, Math.min(plan.nextWakeAt, this.now + tick)) : this.now + tick);
    }
  }

  advance(ms: number): void {
    this.now += ms;
  }

  phaseOf(id: string): string | undefined {
    const node = this.engine.node(id);
    return node === undefined ? undefined : `${node.phase}/${node.reason}`;
  }

  messageOf(id: string): string | undefined {
    return this.engine.node(id)?.message;
  }

  launchesOf(id: string): ActionLaunch[] {
    return this.launches.filter((l) => l.node === id);
  }

  events(): EngineEvent[] {
    return this.plans.flatMap((p) => p.events);
  }

  cancels(): ActionCancel[] {
    return this.plans.flatMap((p) => p.cancels);
  }
}

const fullWorld = (world: Partial<World>): World => ({ checkers: [], expectations: [], dags: [], dagDependencies: [], configMaps: new Map(), ...world });

// ---- object builders ---------------------------------------------------------------------------

const meta = (name: string, generation = 1) => ({ name, namespace: 'default', generation });

export const checker = (name = 'files', spec: Partial<StateChecker['spec']> = {}): StateChecker => ({
  apiVersion: 'homeostat.dev/v1alpha1',
  kind: 'StateChecker',
  metadata: meta(name),
  spec: { mode: 'Job', command: ['check'], timeout: '1m', batchSize: 100, ...spec },
});

const job = (name: string) => ({ template: { spec: { containers: [{ name, image: 'example/job:1' }] } } });

export const expectation = (name: string, spec: Partial<Expectation['spec']> = {}, generation = 1): Expectation => ({
  apiVersion: 'homeostat.dev/v1alpha1',
  kind: 'Expectation',
  metadata: meta(name, generation),
  spec: {
    checker: { ref: 'files' },
    action: { job: job(name) },
    workingTimeout: '10m',
    recheckEvery: '6h',
    retry: { limit: 2, backoff: { initial: '1m', max: '10m' } },
    maxConcurrentActions: 1000,
    ...spec,
  },
});

export interface TaskSketch {
  name: string;
  dependsOn?: string[];
  retry?: { limit?: number; backoff?: { initial?: string; max?: string } };
  timeout?: string;
}

export const dag = (name: string, tasks: TaskSketch[], periods?: Dag['spec']['periods'], more: Partial<Dag['spec']> = {}): Dag => ({
  apiVersion: 'homeostat.dev/v1alpha1',
  kind: 'Dag',
  metadata: meta(name),
  spec: {
    ...(periods !== undefined ? { periods } : {}),
    tasks: tasks.map((t) => ({ retry: { limit: 1, backoff: { initial: '1m', max: '5m' } }, timeout: '30m', ...t, job: job(t.name) })),
    maxActiveRuns: 16,
    historyLimit: 3,
    ...more,
  },
});

export const dagDependency = (name: string, dependent: string, upstreams: { dag: string; task?: string; periods?: 'Auto' | 'Same' | 'Within' | 'Containing' | 'Latest' }[]): DagDependency => ({
  apiVersion: 'homeostat.dev/v1alpha1',
  kind: 'DagDependency',
  metadata: meta(name),
  spec: { dag: dependent, dependsOn: upstreams },
});

export const expId = (name: string, partition = ''): string => `Expectation/default/${name}|${partition}`;
export const taskId = (dagName: string, task: string, period: string): string => `Dag/default/${dagName}|${task}|${period}`;
export const dagPeriodId = (dagName: string, period: string): string => `Dag/default/${dagName}||${period}`;

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;
