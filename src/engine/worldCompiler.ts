import { checkGraph } from '../api/graphChecks.js';
import type { Dag, DagDependency, Expectation, HomeostatObject, StateChecker } from '../api/types.js';
import { draftDag, draftExpectation, emptyWorld, type OwnerDraft, ownerKeyOf, type World } from './compile.js';
import { type NodeRecord, OwnerModel } from './model.js';
import { refuseOverTotalCap } from './nodeBudget.js';
import { DEFAULT_MAX_NODES_PER_OBJECT, DEFAULT_MAX_NODES_TOTAL, TOTAL_NODE_CAP } from './nodeCount.js';
import type { OwnerRef } from './types.js';
import { materialize, type NodeIndex, unwire, wire } from './wiring.js';

/** Why an object is not valid; the runtime turns it into Valid=False and an Event. */
export interface ObjectProblem {
  kind: string;
  namespace: string;
  name: string;
  reason: string;
  message: string;
}

export interface CompilerHooks {
  onCreated(node: NodeRecord): void;
  onRemoved(node: NodeRecord): void;
  onOwnerRemoved(owner: OwnerModel): void;
  /** An owner seen for the first time. */
  onOwnerCreated?(owner: OwnerModel): void;
  /** The node's definition or inputs may have changed: decide it again. */
  onTouched(node: NodeRecord): void;
}

/** Bounded work: the most nodes one object, and all objects together, may compile to. */
export interface NodeLimits {
  maxNodesPerObject?: number;
  maxNodesTotal?: number;
}

const nsOf = (o: { metadata: { namespace?: string } }): string => o.metadata.namespace ?? 'default';

/**
 * Turns declared objects into owners and nodes, and keeps them up to date: only owners whose
 * inputs changed are compiled again, and only their direct dependents are rewired.
 */
export class WorldCompiler {
  private readonly byKey = new Map<string, OwnerModel>();
  private readonly drafts = new Map<string, OwnerDraft>();
  private readonly indexes = new Map<string, NodeIndex>();
  private readonly byId = new Map<string, NodeRecord>();
  private readonly hashes = new Map<string, string>();
  private readonly changed = new Set<OwnerModel>();
  /** Owner key -> keys of the owners it reads (edges, run targets, inherited periods). */
  private refs = new Map<string, string[]>();
  private world: World = emptyWorld();
  private problemList: ObjectProblem[] = [];

  private readonly maxPerObject: number;
  private readonly maxTotal: number;

  constructor(private readonly hooks: CompilerHooks, limits: NodeLimits = {}) {
    this.maxPerObject = limits.maxNodesPerObject ?? DEFAULT_MAX_NODES_PER_OBJECT;
    this.maxTotal = limits.maxNodesTotal ?? DEFAULT_MAX_NODES_TOTAL;
  }

  node(id: string): NodeRecord | undefined {
    return this.byId.get(id);
  }

  nodes(): NodeRecord[] {
    return [...this.byId.values()];
  }

  owners(): OwnerModel[] {
    return [...this.byKey.values()];
  }

  owner(ref: OwnerRef): OwnerModel | undefined {
    return this.byKey.get(ownerKeyOf(ref.kind, ref.namespace, ref.name));
  }

  problems(): ObjectProblem[] {
    return this.problemList;
  }

  markChanged(owner: OwnerModel): void {
    this.changed.add(owner);
  }

  takeChangedOwners(): OwnerRef[] {
    const out = [...this.changed].map((o) => o.ref);
    this.changed.clear();
    return out;
  }

  nextChangeAt(): number | undefined {
    let next: number | undefined;
    for (const owner of this.byKey.values()) if (owner.nextChangeAt !== undefined) next = Math.min(next ?? Infinity, owner.nextChangeAt);
    return next;
  }

  setWorld(world: World, now: number): void {
    for (const _ of this.setWorldSteps(world, now));
  }

  /**
   * setWorld in slices: yields the nodes compiled after each owner, so a caller can give the event
   * loop back between owners (a lease renewal must not wait for a large world). Nothing else may
   * use the compiler until the steps are done.
   */
  *setWorldSteps(world: World, now: number): Generator<number> {
    this.world = world;
    const objects: HomeostatObject[] = [...world.checkers, ...world.expectations, ...world.dags, ...world.dagDependencies];
    const graphProblems = checkGraph(objects);
    const invalid = new Map<string, ObjectProblem>();
    for (const p of graphProblems) invalid.set(`${p.kind}/${p.namespace}/${p.name}`, p);

    const checkers = new Map(world.checkers.map((c) => [`${nsOf(c)}/${c.metadata.name}`, c]));
    const depsOf = new Map<string, DagDependency[]>();
    for (const d of world.dagDependencies) {
      const key = ownerKeyOf('Dag', nsOf(d), d.spec.dag);
      depsOf.set(key, [...(depsOf.get(key) ?? []), d]);
    }
    const hashes = new Map<string, string>();
    const refs = new Map<string, string[]>();
    const sources = new Map<string, Expectation | Dag>();
    for (const exp of world.expectations) {
      const key = ownerKeyOf('Expectation', nsOf(exp), exp.metadata.name);
      const ns = nsOf(exp);
      const usedMaps = Object.values(exp.spec.partitions ?? {}).flatMap((p) => (p.valuesFrom !== undefined ? [world.configMaps.get(`${ns}/${p.valuesFrom.configMap}`) ?? null] : []));
      hashes.set(key, JSON.stringify([exp.metadata.generation, exp.spec, checkers.get(`${ns}/${exp.spec.checker.ref}`)?.spec ?? null, usedMaps, invalid.get(key)?.message]));
      refs.set(key, [
        ...(exp.spec.dependsOn ?? []).map((d) => (d.expectation !== undefined ? ownerKeyOf('Expectation', ns, d.expectation) : ownerKeyOf('Dag', ns, d.dag ?? ''))),
        ...(exp.spec.action?.dagRun !== undefined ? [ownerKeyOf('Dag', ns, exp.spec.action.dagRun.dag)] : []),
      ]);
      sources.set(key, exp);
    }
    for (const dag of world.dags) {
      const key = ownerKeyOf('Dag', nsOf(dag), dag.metadata.name);
      const mine = depsOf.get(key) ?? [];
      hashes.set(key, JSON.stringify([dag.metadata.generation, dag.spec, mine.map((d) => d.spec), invalid.get(key)?.message, ...mine.map((d) => invalid.get(`DagDependency/${nsOf(d)}/${d.metadata.name}`)?.message)]));
      refs.set(key, mine.flatMap((d) => d.spec.dependsOn.map((u) => ownerKeyOf('Dag', nsOf(d), u.dag))));
      sources.set(key, dag);
    }
    this.refs = refs;

    const changed = new Set<string>();
    for (const [key, hash] of hashes) if (this.hashes.get(key) !== hash) changed.add(key);
    for (const key of this.byKey.keys()) if (!hashes.has(key)) changed.add(key);
    this.hashes.clear();
    for (const [k, v] of hashes) this.hashes.set(k, v);

    this.problemList = graphProblems.map((p) => ({ kind: p.kind, namespace: p.namespace, name: p.name, reason: p.reason, message: p.message }));
    const overTotal = refuseOverTotalCap({ changed, owners: this.byKey, sources, depsOf, invalid, configMaps: world.configMaps, now, maxPerObject: this.maxPerObject, maxTotal: this.maxTotal });
    yield* this.recompile(changed, now, (key) => {
      const source = sources.get(key);
      const problem = invalid.get(key);
      if (problem !== undefined) return { ok: false, reason: problem.reason, message: problem.message };
      if (source === undefined) return undefined;
      const refused = overTotal.get(key);
      if (refused !== undefined) return { ok: false, reason: TOTAL_NODE_CAP, message: refused };
      if (source.kind === 'Expectation') return draftExpectation(source, checkers as Map<string, StateChecker>, world.configMaps, now, this.maxPerObject);
      const mine = depsOf.get(key) ?? [];
      const brokenDep = mine.map((d) => invalid.get(`DagDependency/${nsOf(d)}/${d.metadata.name}`)).find((p) => p !== undefined);
      if (brokenDep !== undefined) return { ok: false, reason: brokenDep.reason, message: `DagDependency ${brokenDep.name}: ${brokenDep.message}` };
      const inheritFrom = source.spec.periods === undefined ? mine[0]?.spec.dependsOn[0]?.dag : undefined;
      const inherited = inheritFrom !== undefined ? this.byKey.get(ownerKeyOf('Dag', nsOf(source), inheritFrom))?.space : undefined;
      return draftDag(source, mine, now, inherited, this.maxPerObject);
    });
  }

  /** Time passed: owners whose calendars grew are compiled again (new partitions, new periods). */
  advance(now: number): void {
    const due = new Set<string>();
    for (const owner of this.byKey.values()) if (owner.nextChangeAt !== undefined && owner.nextChangeAt <= now) due.add(owner.key);
    if (due.size > 0) this.setWorldAt(due, now);
  }

  private setWorldAt(keys: Set<string>, now: number): void {
    // Time passing grows calendars by a period or so: compiled at once, not in slices.
    for (const key of keys) this.hashes.delete(key);
    this.setWorld(this.world, now);
  }

  private *recompile(changed: Set<string>, now: number, draftOf: (key: string) => ReturnType<typeof draftDag> | undefined): Generator<number> {
    if (changed.size === 0) return;
    // Dags that inherit periods from a changed Dag change too; readers of a changed owner are rewired.
    const order = this.topologicalOrder();
    for (const key of order) {
      const source = this.refs.get(key) ?? [];
      if (key.startsWith('Dag/') && source.some((k) => changed.has(k))) changed.add(key);
    }
    const rewire = new Set<string>(changed);
    for (const [key, reads] of this.refs) if (reads.some((k) => changed.has(k))) rewire.add(key);

    for (const key of rewire) {
      const owner = this.byKey.get(key);
      if (owner !== undefined) unwire(owner);
    }
    for (const key of [...order.filter((k) => changed.has(k)), ...[...changed].filter((k) => !this.refs.has(k))]) {
      const drafted = draftOf(key);
      const existing = this.byKey.get(key);
      if (drafted === undefined) {
        if (existing !== undefined) this.removeOwner(existing);
        continue;
      }
      const [kind, namespace, name] = key.split('/') as [OwnerRef['kind'], string, string];
      const owner = existing ?? new OwnerModel(key, { kind, namespace, name });
      this.byKey.set(key, owner);
      if (existing === undefined) this.hooks.onOwnerCreated?.(owner);
      if (!drafted.ok) {
        this.dropNodes(owner, owner.nodes);
        owner.nodes = [];
        owner.space = undefined;
        owner.invalid = drafted.message;
        owner.invalidReason = drafted.reason;
        owner.nextChangeAt = undefined;
        this.drafts.delete(key);
        this.indexes.set(key, new Map());
        const [k, ns, n] = key.split('/') as [string, string, string];
        if (!this.problemList.some((p) => p.kind === k && p.namespace === ns && p.name === n)) this.problemList.push({ kind: k, namespace: ns, name: n, reason: drafted.reason, message: drafted.message });
        this.markChanged(owner);
        continue;
      }
      const draft = drafted.draft;
      owner.invalid = undefined;
      owner.invalidReason = undefined;
      owner.space = draft.space;
      owner.generation = draft.generation;
      owner.maxConcurrent = draft.maxConcurrent;
      owner.historyLimit = draft.historyLimit;
      owner.nextChangeAt = draft.nextChangeAt;
      const { index, created, removed } = materialize(owner, draft, this.byId);
      this.dropNodes(owner, removed);
      for (const node of created) {
        this.byId.set(node.id, node);
        if (node.policy.rule !== 'make') owner.counts.set('Unknown', (owner.counts.get('Unknown') ?? 0) + 1);
        this.hooks.onCreated(node);
      }
      this.drafts.set(key, draft);
      this.indexes.set(key, index);
      this.markChanged(owner);
      yield owner.nodes.length;
    }
    const upstreamOf = (key: string) => ({ owner: this.byKey.get(key), index: this.indexes.get(key) });
    for (const key of rewire) {
      const owner = this.byKey.get(key);
      const draft = this.drafts.get(key);
      const index = this.indexes.get(key);
      if (owner === undefined || draft === undefined || index === undefined || owner.invalid !== undefined) continue;
      wire(owner, draft, index, upstreamOf);
      for (const node of owner.nodes) this.hooks.onTouched(node);
      yield owner.nodes.length;
    }
  }

  private dropNodes(owner: OwnerModel, nodes: NodeRecord[]): void {
    for (const node of nodes) {
      if (node.policy.rule !== 'make') owner.counts.set(node.phase, (owner.counts.get(node.phase) ?? 0) - 1);
      this.byId.delete(node.id);
      this.hooks.onRemoved(node);
    }
  }

  private removeOwner(owner: OwnerModel): void {
    this.dropNodes(owner, owner.nodes);
    owner.nodes = [];
    this.byKey.delete(owner.key);
    this.drafts.delete(owner.key);
    this.indexes.delete(owner.key);
    this.changed.delete(owner);
    this.hooks.onOwnerRemoved(owner);
  }

  /** Owner keys, each after the owners it reads. Cycles are invalid objects; they are cut here. */
  private topologicalOrder(): string[] {
    const order: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (key: string): void => {
      if (state.has(key)) return;
      state.set(key, 'visiting');
      for (const up of this.refs.get(key) ?? []) if (this.refs.has(up)) visit(up);
      state.set(key, 'done');
      order.push(key);
    };
    for (const key of [...this.refs.keys()].sort()) visit(key);
    return order;
  }
}
