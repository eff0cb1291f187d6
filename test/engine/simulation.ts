import type { Dag, DagDependency, Expectation, StateChecker } from '../../src/api/types.js';
import { Engine, type ActionLaunch, type Plan, type World } from '../../src/engine/index.js';

/**
 * A small world for engine tests: data is a set of node ids that hold; checkers read it, actions
 * write it. Time only moves when the test says so. Nothing here knows the engine's internals.
 */
export class Simulation {
  readonly engine: Engine;
  now: number;
  /** Node ids whose state holds. */
  readonly data = new Set<string>();
  /** Node ids whose checker answers unrecoverable, with the message. */
  readonly unrecoverable = new Map<string, string>();
  /** What an action does; by default it makes its node hold and succeeds. */
  onLaunch: (launch: ActionLaunch) => 'succeed' | 'fail' | 'succeed-without-effect' | 'hang' = () => 'succeed';
  /** Actions launched, in order. */
  readonly launches: ActionLaunch[] = [];
  readonly plans: Plan[] = [];
  /** Checks answered, as node ids. */
  readonly checked: string[] = [];
  private pendingFinish: { node: string; attempt: number; ok: boolean }[] = [];

  constructor(world: Partial<World>, start = Date.parse('2026-03-10T12:00:00Z')) {
    this.now = start;
    this.engine = new Engine({ holder: 'test' });
    this.engine.setWorld({ checkers: [], expectations: [], dags: [], dagDependencies: [], configMaps: new Map(), ...world }, this.now);
  }

  setWorld(world: Partial<World>): void {
    this.engine.setWorld({ checkers: [], expectations: [], dags: [], dagDependencies: [], configMaps: new Map(), ...world }, this.now);
  }

  /** One reconcile pass: plan, then answer every check and finish every action at once. */
  step(): Plan {
    for (const f of this.pendingFinish) this.engine.actionFinished(f.node, f.attempt, f.ok, this.now, f.ok ? undefined : 'exit code 1');
    this.pendingFinish = [];
    const plan = this.engine.plan(this.now);
    this.plans.push(plan);
    for (const check of plan.checks) {
      for (const item of check.items) {
        this.checked.push(item.node);
        const unrecoverable = this.unrecoverable.get(item.node);
        if (unrecoverable !== undefined) this.engine.observe(item.node, 'unrecoverable', this.now, unrecoverable);
        else this.engine.observe(item.node, this.data.has(item.node) ? 'satisfied' : 'unsatisfied', this.now);
      }
    }
    for (const launch of plan.launches) {
      this.launches.push(launch);
      const effect = this.onLaunch(launch);
      if (effect === 'hang') continue;
      if (effect === 'succeed') this.data.add(launch.node);
      this.pendingFinish.push({ node: launch.node, attempt: launch.lease.attempt, ok: effect !== 'fail' });
    }
    return plan;
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

  advance(ms: number): void {
    this.now += ms;
  }

  phaseOf(id: string): string | undefined {
    const node = this.engine.node(id);
    return node === undefined ? undefined : `${node.phase}/${node.reason}`;
  }
}

// ---- object builders ---------------------------------------------------------------------------

const meta = (name: string) => ({ name, namespace: 'default', generation: 1 });

export const checker = (name = 'files'): StateChecker => ({
  apiVersion: 'homeostat.dev/v1alpha1',
  kind: 'StateChecker',
  metadata: meta(name),
  spec: { mode: 'Job', command: ['check'], timeout: '1m', batchSize: 100 },
});

const job = (name: string) => ({ template: { spec: { containers: [{ name, image: 'example/job:1' }] } } });

export const expectation = (name: string, spec: Partial<Expectation['spec']> = {}): Expectation => ({
  apiVersion: 'homeostat.dev/v1alpha1',
  kind: 'Expectation',
  metadata: meta(name),
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

export const dag = (name: string, tasks: { name: string; dependsOn?: string[] }[], periods?: Dag['spec']['periods']): Dag => ({
  apiVersion: 'homeostat.dev/v1alpha1',
  kind: 'Dag',
  metadata: meta(name),
  spec: {
    ...(periods !== undefined ? { periods } : {}),
    tasks: tasks.map((t) => ({ ...t, job: job(t.name), retry: { limit: 1, backoff: { initial: '1m', max: '5m' } }, timeout: '30m' })),
    maxActiveRuns: 16,
    historyLimit: 3,
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
