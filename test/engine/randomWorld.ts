import fc from 'fast-check';
import type { Expectation } from '../../src/api/types.js';
import { Engine, type ActionLaunch, type Plan, type World } from '../../src/engine/index.js';
import { checker, expectation, expId, HOUR, MIN } from './simulation.js';

/**
 * A random world for property tests: random acyclic graphs of Expectations and random orders of
 * events (checks answered late, out of order, wrongly or never; actions that finish, fail, do
 * nothing or hang; time passing; data deleted behind the engine's back; the controller restarting).
 * It checks the engine's safety rules at every plan and throws, saying what broke, when one fails.
 */

// ---- random worlds ----------------------------------------------------------------------------

export interface Shape {
  name: string;
  deps: number[];
  /** Values of the key `k`, or undefined for an unpartitioned Expectation. */
  values: string[] | undefined;
  maxConcurrent: number;
  retryLimit: number;
}

const VALUES = ['a', 'b', 'c'];

/** n Expectations; each depends on a random subset of the earlier ones (so the graph is acyclic). */
export const shapes = fc.integer({ min: 2, max: 6 }).chain((n) =>
  fc
    .tuple(
      fc.array(fc.boolean(), { minLength: n * n, maxLength: n * n }),
      fc.array(fc.record({ partitioned: fc.boolean(), values: fc.subarray(VALUES, { minLength: 1 }), maxConcurrent: fc.integer({ min: 1, max: 3 }), retryLimit: fc.integer({ min: 0, max: 3 }) }), { minLength: n, maxLength: n }),
    )
    .map(([edges, specs]) => {
      const out: Shape[] = [];
      specs.forEach((spec, i) => {
        const deps = out.map((_, j) => j).filter((j) => edges[i * n + j] === true);
        // A partition maps onto the upstream partition with its value: keep values every partitioned input has.
        const allowed = deps.reduce((vs, j) => (out[j]?.values === undefined ? vs : vs.filter((v) => out[j]?.values?.includes(v))), VALUES);
        const values = spec.values.filter((v) => allowed.includes(v));
        out.push({ name: `e${i}`, deps, values: spec.partitioned && values.length > 0 ? values : undefined, maxConcurrent: spec.maxConcurrent, retryLimit: spec.retryLimit });
      });
      return out;
    }),
);

export const toWorld = (graph: Shape[], retryLimit?: number): World => ({
  checkers: [checker('files', { batchSize: 2, timeout: '2m' })],
  expectations: graph.map(
    (s): Expectation =>
      expectation(s.name, {
        ...(s.values !== undefined ? { partitions: { k: { values: s.values } } } : {}),
        dependsOn: s.deps.map((j) => ({ expectation: `e${j}` })),
        workingTimeout: '10m',
        recheckEvery: '1h',
        retry: { limit: retryLimit ?? s.retryLimit, backoff: { initial: '1m', max: '5m' } },
        maxConcurrentActions: s.maxConcurrent,
      }),
  ),
  dags: [],
  dagDependencies: [],
  configMaps: new Map(),
});

const nodesOf = (s: Shape): string[] => (s.values === undefined ? [expId(s.name)] : s.values.map((v) => expId(s.name, `k=${v}`)));

export type Command =
  | { kind: 'plan' }
  | { kind: 'answer'; pick: number; how: 'truth' | 'crash' | 'unknown' | 'drop' }
  | { kind: 'finish'; pick: number; outcome: 'succeed' | 'fail' | 'no-effect' }
  | { kind: 'tick'; minutes: number }
  | { kind: 'renew'; pick: number }
  | { kind: 'delete'; pick: number }
  | { kind: 'restart' };

export const commands = (options: { deletes: boolean; failures: boolean }) => {
  const how = options.failures ? fc.constantFrom('truth' as const, 'truth' as const, 'truth' as const, 'crash' as const, 'unknown' as const, 'drop' as const) : fc.constant('truth' as const);
  const outcome = options.failures ? fc.constantFrom('succeed' as const, 'succeed' as const, 'fail' as const, 'no-effect' as const) : fc.constant('succeed' as const);
  const choices: fc.WeightedArbitrary<Command>[] = [
    { arbitrary: fc.constant({ kind: 'plan' as const }), weight: 6 },
    { arbitrary: fc.record({ kind: fc.constant('answer' as const), pick: fc.nat(), how }), weight: 6 },
    { arbitrary: fc.record({ kind: fc.constant('finish' as const), pick: fc.nat(), outcome }), weight: 4 },
    { arbitrary: fc.record({ kind: fc.constant('tick' as const), minutes: fc.integer({ min: 1, max: 15 }) }), weight: 3 },
    { arbitrary: fc.record({ kind: fc.constant('renew' as const), pick: fc.nat() }), weight: 1 },
    { arbitrary: fc.constant({ kind: 'restart' as const }), weight: 1 },
  ];
  if (options.deletes) choices.push({ arbitrary: fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }), weight: 1 });
  return fc.array(fc.oneof(...choices), { minLength: 60, maxLength: 200 });
};

/** A broken rule: the property fails with this message. */
export function violated(broken: boolean, message: string): void {
  if (broken) throw new Error(message);
}

// ---- the world the engine acts on ------------------------------------------------------------

/** Holds the truth (which nodes hold), the checks in flight and the actions running, and checks the invariants at every plan. */
export class RandomWorld {
  engine: Engine;
  now = Date.parse('2026-03-10T12:00:00Z');
  readonly data = new Set<string>();
  readonly unrecoverable = new Set<string>();
  readonly pendingChecks: string[] = [];
  readonly running = new Map<string, ActionLaunch>();
  readonly launches: { node: string; at: number; seq: number }[] = [];
  /** What the world last told the engine about each node's state. */
  readonly lastSaid = new Map<string, string>();
  /** Attempts whose lease expired: when, whether the action had reported success, whether the state held then. */
  readonly expired: { node: string; at: number; seq: number; reportedSuccess: boolean; heldAtExpiry: boolean }[] = [];
  private readonly succeeded = new Set<string>();
  deleted = false;
  seq = 0;

  constructor(
    readonly graph: Shape[],
    readonly world: World,
  ) {
    this.engine = new Engine({ holder: 'property' });
    this.engine.setWorld(world, this.now);
  }

  get nodes(): string[] {
    return this.graph.flatMap(nodesOf);
  }

  apply(command: Command): void {
    switch (command.kind) {
      case 'plan':
        this.plan();
        return;
      case 'answer': {
        if (this.pendingChecks.length === 0) return;
        const [node] = this.pendingChecks.splice(command.pick % this.pendingChecks.length, 1) as [string];
        this.answer(node, command.how);
        return;
      }
      case 'finish': {
        const launch = [...this.running.values()][command.pick % Math.max(1, this.running.size)];
        if (launch !== undefined) this.finish(launch, command.outcome);
        return;
      }
      case 'tick':
        this.now += command.minutes * MIN;
        return;
      case 'renew': {
        const launch = [...this.running.values()][command.pick % Math.max(1, this.running.size)];
        if (launch !== undefined) this.engine.renewLease(launch.node, launch.lease.attempt, this.now + 10 * MIN);
        return;
      }
      case 'delete': {
        const nodes = this.nodes;
        const node = nodes[command.pick % nodes.length] as string;
        if (this.data.delete(node)) this.deleted = true;
        return;
      }
      case 'restart': {
        // Only what the snapshot keeps survives, through JSON as it is persisted.
        const snapshot = JSON.parse(JSON.stringify(this.engine.snapshot()));
        this.engine = new Engine({ holder: 'property-2', snapshot });
        this.engine.setWorld(this.world, this.now);
        return;
      }
    }
  }

  answer(node: string, how: 'truth' | 'crash' | 'unknown' | 'drop'): void {
    if (how === 'drop') return; // never answered: the engine's check timeout applies
    if (how === 'crash') {
      this.engine.checkFailed([node], 'CheckerFailed', 'crash', this.now);
      this.lastSaid.set(node, 'crash');
    } else if (how === 'unknown') {
      this.engine.observe(node, 'unknown', this.now);
      this.lastSaid.set(node, 'unknown');
    } else {
      const verdict = this.unrecoverable.has(node) ? 'unrecoverable' : this.data.has(node) ? 'satisfied' : 'unsatisfied';
      this.engine.observe(node, verdict, this.now);
      this.lastSaid.set(node, verdict);
    }
  }

  finish(launch: ActionLaunch, outcome: 'succeed' | 'fail' | 'no-effect'): void {
    this.running.delete(launch.node);
    if (outcome === 'succeed') this.data.add(launch.node);
    if (outcome !== 'fail') this.succeeded.add(`${launch.node}@${launch.lease.action}`);
    this.engine.actionFinished(launch.node, launch.lease.attempt, outcome !== 'fail', this.now, outcome === 'fail' ? 'exit 1' : undefined);
  }

  plan(): Plan {
    const liveBefore = new Set(this.nodes.filter((n) => {
      const lease = this.engine.lease(n);
      return lease !== undefined && lease.outcome === undefined && lease.expiresAt > this.now;
    }));
    const leaseBefore = new Map(this.nodes.map((n) => [n, this.engine.lease(n)]));
    const plan = this.engine.plan(this.now);
    for (const cancel of plan.cancels) {
      if (this.running.get(cancel.node)?.lease.action === cancel.action) this.running.delete(cancel.node);
    }
    for (const event of plan.events) {
      if (event.reason !== 'LeaseExpired' || event.node === undefined) continue;
      const lease = leaseBefore.get(event.node);
      this.expired.push({ node: event.node, at: this.now, seq: this.seq, reportedSuccess: lease !== undefined && this.succeeded.has(`${event.node}@${lease.action}`), heldAtExpiry: this.data.has(event.node) });
    }
    for (const launch of plan.launches) {
      const node = this.engine.node(launch.node);
      const at = `launch of ${launch.node} (attempt ${launch.lease.attempt}) at pass ${this.seq}`;
      // Never two actions at once for one node: the previous one has ended or was cancelled.
      violated(this.running.has(launch.node), `${at}: its previous action ${this.running.get(launch.node)?.lease.action} still runs`);
      // Never a launch for a node that held a live lease when the pass began.
      violated(liveBefore.has(launch.node), `${at}: it held a live lease`);
      // Never an action while an input is unsatisfied: every input node is Satisfied...
      const unsatisfied = (node?.deps ?? []).filter((d) => d.phase !== 'Satisfied').map((d) => `${d.id} ${d.phase}/${d.reason}`);
      violated(unsatisfied.length > 0 || node?.missing !== undefined, `${at}: inputs not Satisfied: ${unsatisfied.join(', ')} ${node?.missing ?? ''}`);
      // ...and, while nothing was deleted behind the engine's back, every input truly holds.
      const notHolding = (node?.deps ?? []).filter((d) => !this.data.has(d.id)).map((d) => d.id);
      violated(!this.deleted && notHolding.length > 0, `${at}: inputs do not hold: ${notHolding.join(', ')}`);
      // Never an action on Unknown: the latest verdict said unsatisfied.
      const observed = node?.observation?.verdict;
      const said = this.lastSaid.get(launch.node);
      violated(observed !== 'unsatisfied' || said !== 'unsatisfied', `${at}: the engine's latest observation is ${observed}, the checker last said ${said}`);
      this.running.set(launch.node, launch);
      this.launches.push({ node: launch.node, at: this.now, seq: this.seq });
    }
    for (const check of plan.checks) for (const item of check.items) this.pendingChecks.push(item.node);
    // maxConcurrentActions bounds the leases of every Expectation.
    for (const owner of this.engine.owners()) {
      const limit = this.graph.find((s) => s.name === owner.ref.name)?.maxConcurrent ?? 0;
      const leases = this.engine.leasesOf(owner).length;
      violated(leases > limit, `pass ${this.seq}: ${owner.ref.name} holds ${leases} leases, more than maxConcurrentActions ${limit}`);
    }
    this.seq++;
    return plan;
  }

  /** Honest checkers and actions that work, with time moving on: what should happen eventually. */
  drain(maxPasses: number, until: () => boolean): void {
    for (let i = 0; i < maxPasses && !until(); i++) {
      const plan = this.plan();
      const checks = this.pendingChecks.splice(0);
      for (const node of checks) this.answer(node, 'truth');
      const running = [...this.running.values()];
      for (const launch of running) this.finish(launch, 'succeed');
      if (checks.length === 0 && running.length === 0 && plan.launches.length === 0) {
        this.now = plan.nextWakeAt !== undefined ? Math.max(this.now + 1, plan.nextWakeAt) : this.now + HOUR;
      }
    }
  }
}

