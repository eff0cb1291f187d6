import { checkGraph, GraphReason } from '../api/graphChecks.js';
import { checkPodPolicy, type PodPolicy, PolicyReason } from '../api/podPolicy.js';
import type { Dag, DagDependency, Expectation, HomeostatObject, StateChecker } from '../api/types.js';
import { draftDag, type Drafted, draftExpectation, emptyWorld, ownerKeyOf, type World } from './compile.js';
import { type NodeRecord, OwnerModel, type Policy } from './model.js';
import { refuseOverTotalCap } from './nodeBudget.js';
import { DEFAULT_MAX_NODES_PER_OBJECT, DEFAULT_MAX_NODES_TOTAL, TOTAL_NODE_CAP } from './nodeCount.js';
import type { OwnerRef } from './types.js';
import { type PartitionSpace, rowCount, rowOfKey, rowValue, type SpaceColumn } from './partitions.js';
import { NodeStore } from './nodeStore.js';
import { materialize, NO_INDEX, type NodeIndex, unwire, WHOLE_DAG, wire, type Wiring, wiringOf } from './wiring.js';
import { readersLast } from './ownerOrder.js';

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
 * What an owner's inputs hash to: a digest of their JSON, not the JSON, so the compiler keeps
 * 44 characters per owner between worlds instead of a copy of every spec.
 */
const digest = (inputs: unknown[]): string => sha256(JSON.stringify(inputs));

interface NodeCrypto {
  createHash(algorithm: 'sha256'): { update(text: string): { digest(encoding: 'base64'): string } };
}
/**
 * SHA-256 from Node's crypto when there is one (the controller), found without an import: the
 * engine also type-checks and bundles for the browser (web/). Without it, the text itself: exact,
 * only bigger.
 */
const sha256: (text: string) => string = (() => {
  const crypto = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined;
  return crypto !== undefined ? (text) => crypto.createHash('sha256').update(text).digest('base64') : (text) => text;
})();
/** The owners most owners read: none (one array for all of them). */
const NO_KEYS: string[] = [];
const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** An Expectation whose valuesFrom ConfigMap could not be read (not missing): held until it can be. */
function unreadableConfigMap(exp: Expectation, world: World): { ok: false; reason: string; message: string } | undefined {
  for (const [key, p] of Object.entries(exp.spec.partitions ?? {})) {
    if (p.valuesFrom === undefined || world.configMaps.has(`${nsOf(exp)}/${p.valuesFrom.configMap}`)) continue;
    const error = world.configMapErrors?.get(`${nsOf(exp)}/${p.valuesFrom.configMap}`);
    if (error !== undefined) return { ok: false, reason: 'ConfigMapUnreadable', message: `partitions.${key}.valuesFrom: ConfigMap ${p.valuesFrom.configMap} could not be read (${error}); trying again` };
  }
  return undefined;
}

/**
 * Turns declared objects into owners and nodes, and keeps them up to date: only owners whose
 * inputs changed are compiled again, and only their direct dependents are rewired.
 */
export class WorldCompiler {
  private readonly byKey = new Map<string, OwnerModel>();
  /** What each owner's next wiring reads of its draft (the rest of the draft is dropped once compiled). */
  private readonly drafts = new Map<string, Wiring>();
  private readonly indexes = new Map<string, NodeIndex>();
  /** Lookups built on demand to find a node by id: per column, its encoded values; per Dag space, its periods. */
  private readonly columnLookups = new WeakMap<SpaceColumn, Map<string, number>>();
  private readonly periodRows = new WeakMap<PartitionSpace, Map<string, number>>();
  /** The numbers of every node (timestamps, counters) in typed arrays. */
  private readonly store = new NodeStore();
  private readonly hashes = new Map<string, string>();
  private readonly changed = new Set<OwnerModel>();
  /** Owner key -> keys of the owners it reads (edges, run targets, inherited periods). */
  private refs = new Map<string, string[]>();
  private world: World = emptyWorld();
  /** Namespace names, one string each for every owner's ref (a namespace name is short, they are few). */
  private readonly namespaces = new Map<string, string>();
  private problemList: ObjectProblem[] = [];
  /** The earliest owner change time, or null when a compile may have moved it. */
  private nextChange: number | undefined | null = null;

  private readonly maxPerObject: number;
  private readonly maxTotal: number;

  /** `podPolicy`: objects that break it are invalid like graph problems (api/podPolicy.ts). */
  constructor(
    private readonly hooks: CompilerHooks,
    limits: NodeLimits = {},
    private readonly podPolicy?: PodPolicy,
  ) {
    this.maxPerObject = limits.maxNodesPerObject ?? DEFAULT_MAX_NODES_PER_OBJECT;
    this.maxTotal = limits.maxNodesTotal ?? DEFAULT_MAX_NODES_TOTAL;
  }

  /**
   * The node with this id, found through its owner: the id names the owner, then the row (an
   * Expectation's partition key, parsed by column; a Dag's task and period). No table of every id.
   */
  node(id: string): NodeRecord | undefined {
    const bar = id.indexOf('|');
    if (bar < 0) return undefined;
    const key = id.slice(0, bar);
    const owner = this.byKey.get(key);
    const index = this.indexes.get(key);
    const space = owner?.space;
    if (owner === undefined || index === undefined || space === undefined) return undefined;
    let found: NodeRecord | undefined;
    if (owner.ref.kind === 'Expectation') {
      const row = rowOfKey(space, id.slice(bar + 1), this.columnLookups);
      found = row === undefined ? undefined : index.get(WHOLE_DAG)?.[row];
    } else {
      const rest = id.slice(bar + 1);
      const second = rest.indexOf('|');
      if (second < 0) return undefined;
      const row = this.periodRow(space, rest.slice(second + 1));
      found = row === undefined ? undefined : index.get(rest.slice(0, second))?.[row];
    }
    // The row was parsed from the id part by part, each part an exact value of its column, so the
    // node at it has this id: not computed again (observing a whole plan's verdicts would build
    // every id a second time).
    return found !== undefined && found.alive && found.owner === owner ? found : undefined;
  }

  nodes(): NodeRecord[] {
    return [...this.byKey.values()].flatMap((owner) => owner.nodes);
  }

  private periodRow(space: PartitionSpace, period: string): number | undefined {
    let rows = this.periodRows.get(space);
    if (rows === undefined) {
      rows = new Map();
      const count = rowCount(space);
      for (let row = 0; row < count; row++) rows.set(rowValue(space, row, 'period') as string, row);
      this.periodRows.set(space, rows);
    }
    return rows.get(period);
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
    // Owners' change times move only when they are compiled: kept between compiles, so a plan
    // does not scan every owner (a 12,000-long chain takes 12,000 plans to converge).
    if (this.nextChange !== null) return this.nextChange;
    let next: number | undefined;
    for (const owner of this.byKey.values()) if (owner.nextChangeAt !== undefined) next = Math.min(next ?? Infinity, owner.nextChangeAt);
    this.nextChange = next;
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
    // Refused by policy after graph problems (a later problem of the same object wins the map).
    const problems: ObjectProblem[] = [...checkGraph(objects), ...(this.podPolicy !== undefined ? checkPodPolicy(objects, this.podPolicy) : [])];
    const invalid = new Map<string, ObjectProblem>();
    for (const p of problems) invalid.set(`${p.kind}/${p.namespace}/${p.name}`, p);
    // An object that makes reading it throw is invalid alone (CompileError); the others compile.
    const broken = (kind: string, object: HomeostatObject, doing: string, error: unknown): void => {
      const problem = { kind, namespace: nsOf(object), name: object.metadata.name, reason: GraphReason.CompileError, message: `${doing}: ${errorText(error)}` };
      if (invalid.has(`${kind}/${problem.namespace}/${problem.name}`)) return; // already invalid: its first problem says why
      problems.push(problem);
      invalid.set(`${kind}/${problem.namespace}/${problem.name}`, problem);
    };

    const checkers = new Map(world.checkers.map((c) => [`${nsOf(c)}/${c.metadata.name}`, c]));
    const depsOf = new Map<string, DagDependency[]>();
    for (const d of world.dagDependencies) {
      try {
        const key = ownerKeyOf('Dag', nsOf(d), d.spec.dag);
        depsOf.set(key, [...(depsOf.get(key) ?? []), d]);
      } catch (error) {
        broken('DagDependency', d, 'reading its Dag', error);
      }
    }
    const hashes = new Map<string, string>();
    const refs = new Map<string, string[]>();
    const sources = new Map<string, Expectation | Dag>();
    /** An owner whose inputs cannot be read: compiled as invalid, its hash changes with its generation and error. */
    const unreadable = (key: string, object: Expectation | Dag, error: unknown): void => {
      broken(object.kind, object, 'reading its inputs', error);
      hashes.set(key, digest([object.metadata.generation, invalid.get(key)?.message]));
      refs.set(key, []);
    };
    for (const exp of world.expectations) {
      const key = ownerKeyOf('Expectation', nsOf(exp), exp.metadata.name);
      const ns = nsOf(exp);
      try {
        hashExpectation(exp, key, ns);
      } catch (error) {
        unreadable(key, exp, error);
      }
    }
    function hashExpectation(exp: Expectation, key: string, ns: string): void {
      const usedMaps = Object.values(exp.spec.partitions ?? {}).flatMap((p) => {
        if (p.valuesFrom === undefined) return [];
        const mapKey = `${ns}/${p.valuesFrom.configMap}`;
        return [world.configMaps.get(mapKey) ?? world.configMapErrors?.get(mapKey) ?? null];
      });
      hashes.set(key, digest([exp.metadata.generation, exp.spec, checkers.get(`${ns}/${exp.spec.checker.ref}`)?.spec ?? null, usedMaps, invalid.get(key)?.message]));
      refs.set(key, [
        ...(exp.spec.dependsOn ?? []).map((d) => (d.expectation !== undefined ? ownerKeyOf('Expectation', ns, d.expectation) : ownerKeyOf('Dag', ns, d.dag ?? ''))),
        ...(exp.spec.action?.dagRun !== undefined ? [ownerKeyOf('Dag', ns, exp.spec.action.dagRun.dag)] : []),
      ]);
      sources.set(key, exp);
    }
    for (const dag of world.dags) {
      const key = ownerKeyOf('Dag', nsOf(dag), dag.metadata.name);
      const mine = depsOf.get(key) ?? [];
      try {
        hashDag(dag, key, mine);
      } catch (error) {
        unreadable(key, dag, error);
      }
    }
    function hashDag(dag: Dag, key: string, mine: DagDependency[]): void {
      hashes.set(key, digest([dag.metadata.generation, dag.spec, mine.map((d) => d.spec), invalid.get(key)?.message, ...mine.map((d) => invalid.get(`DagDependency/${nsOf(d)}/${d.metadata.name}`)?.message)]));
      refs.set(key, mine.flatMap((d) => d.spec.dependsOn.map((u) => ownerKeyOf('Dag', nsOf(d), u.dag))));
      sources.set(key, dag);
    }
    this.refs = refs;

    const changed = new Set<string>();
    for (const [key, hash] of hashes) if (this.hashes.get(key) !== hash) changed.add(key);
    for (const key of this.byKey.keys()) if (!hashes.has(key)) changed.add(key);

    this.problemList = problems.map((p) => ({ kind: p.kind, namespace: p.namespace, name: p.name, reason: p.reason, message: p.message }));
    const overTotal = refuseOverTotalCap({ changed, owners: this.byKey, sources, depsOf, invalid, configMaps: world.configMaps, now, maxPerObject: this.maxPerObject, maxTotal: this.maxTotal });
    const draftOf = (key: string): Drafted | undefined => {
      const source = sources.get(key);
      const problem = invalid.get(key);
      if (problem !== undefined) return { ok: false, reason: problem.reason, message: problem.message };
      if (source === undefined) return undefined;
      const refused = overTotal.get(key);
      if (refused !== undefined) return { ok: false, reason: TOTAL_NODE_CAP, message: refused };
      if (source.kind === 'Expectation') {
        // Its checks would run the refused checker's Pods: the Expectation cannot work either.
        const checker = invalid.get(`StateChecker/${nsOf(source)}/${source.spec.checker.ref}`);
        if (checker?.reason === PolicyReason.PodPolicyViolation) return { ok: false, reason: PolicyReason.CheckerRefused, message: `StateChecker ${source.spec.checker.ref}: ${checker.message}` };
        return unreadableConfigMap(source, world) ?? draftExpectation(source, checkers as Map<string, StateChecker>, world.configMaps, now, this.maxPerObject);
      }
      const mine = depsOf.get(key) ?? [];
      const brokenDep = mine.map((d) => invalid.get(`DagDependency/${nsOf(d)}/${d.metadata.name}`)).find((p) => p !== undefined);
      if (brokenDep !== undefined) return { ok: false, reason: brokenDep.reason, message: `DagDependency ${brokenDep.name}: ${brokenDep.message}` };
      const inheritFrom = source.spec.periods === undefined ? mine[0]?.spec.dependsOn[0]?.dag : undefined;
      const inherited = inheritFrom !== undefined ? this.byKey.get(ownerKeyOf('Dag', nsOf(source), inheritFrom))?.space : undefined;
      return draftDag(source, mine, now, inherited, this.maxPerObject);
    };
    // Equal policies are one object: 10,000 Expectations of one checker and action need not hold 10,000 copies.
    const policies = new Map<string, Policy>();
    const shared = (policy: Policy): Policy => {
      const text = JSON.stringify(policy, (_, v: unknown) => (v === Infinity ? 'Infinity' : v));
      const found = policies.get(text);
      if (found !== undefined) return found;
      policies.set(text, policy);
      return policy;
    };
    yield* this.recompile(changed, now, (key) => {
      const drafted = draftOf(key);
      if (drafted?.ok === true) {
        drafted.draft.policy = shared(drafted.draft.policy);
        for (const task of drafted.draft.tasks) task.policy = shared(task.policy);
      }
      return drafted;
    });
    // Only now: had the compile thrown (a bug), the next world would compile these owners again.
    this.hashes.clear();
    // Kept between worlds under the owners' own key strings: this world's are copies.
    const keyOf = (k: string): string => this.byKey.get(k)?.key ?? k;
    for (const [k, v] of hashes) this.hashes.set(keyOf(k), v);
    const kept = new Map<string, string[]>();
    for (const [k, reads] of this.refs) kept.set(keyOf(k), reads.length === 0 ? NO_KEYS : reads.map(keyOf));
    this.refs = kept;
  }

  /** Time passed: owners whose calendars grew are compiled again (new partitions, new periods). */
  advance(now: number): void {
    const next = this.nextChangeAt();
    if (next === undefined || next > now) return;
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
    this.nextChange = null;
    // Dags that inherit periods from a changed Dag change too; readers of a changed owner are rewired.
    const order = readersLast(this.refs);
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
      let drafted: ReturnType<typeof draftDag> | undefined;
      try {
        drafted = draftOf(key);
      } catch (error) {
        drafted = { ok: false, reason: GraphReason.CompileError, message: `compiling: ${errorText(error)}` };
      }
      const existing = this.byKey.get(key);
      if (drafted === undefined) {
        if (existing !== undefined) this.removeOwner(existing);
        continue;
      }
      const owner = existing ?? new OwnerModel(key, this.refOf(key), this.store);
      this.byKey.set(key, owner);
      if (existing === undefined) this.hooks.onOwnerCreated?.(owner);
      if (!drafted.ok) {
        this.holdOwner(owner, drafted.reason, drafted.message);
        continue;
      }
      const draft = drafted.draft;
      let made: ReturnType<typeof materialize>;
      try {
        made = materialize(owner, draft, (id) => this.node(id), this.store);
      } catch (error) {
        this.holdOwner(owner, GraphReason.CompileError, `creating its nodes: ${errorText(error)}`);
        continue;
      }
      const { index, created, removed } = made;
      // Before the owner takes its new space: a removed node's id is read from its row in the old one.
      this.dropNodes(owner, removed);
      owner.invalid = undefined;
      owner.invalidReason = undefined;
      owner.space = draft.space;
      owner.generation = draft.generation;
      owner.maxConcurrent = draft.maxConcurrent;
      owner.historyLimit = draft.historyLimit;
      owner.nextChangeAt = draft.nextChangeAt;
      for (const node of created) {
        if (node.policy.rule !== 'make') owner.counts.set('Unknown', (owner.counts.get('Unknown') ?? 0) + 1);
        this.hooks.onCreated(node);
      }
      this.drafts.set(owner.key, wiringOf(draft, owner));
      this.indexes.set(owner.key, index);
      this.markChanged(owner);
      yield owner.nodes.length;
    }
    const upstreamOf = (key: string) => ({ owner: this.byKey.get(key), index: this.indexes.get(key) });
    for (const key of rewire) {
      const owner = this.byKey.get(key);
      const draft = this.drafts.get(key);
      const index = this.indexes.get(key);
      if (owner === undefined || draft === undefined || index === undefined || owner.invalid !== undefined) continue;
      try {
        wire(owner, draft, index, upstreamOf);
      } catch (error) {
        unwire(owner);
        this.holdOwner(owner, GraphReason.CompileError, `wiring its dependencies: ${errorText(error)}`);
        continue;
      }
      for (const node of owner.nodes) this.hooks.onTouched(node);
      yield owner.nodes.length;
    }
  }

  /**
   * An owner's ref, its kind and namespace strings shared by every owner that has them (split
   * from the key, each would be a copy per owner).
   */
  private refOf(key: string): OwnerRef {
    const [kind, namespace, name] = key.split('/') as [OwnerRef['kind'], string, string];
    let shared = this.namespaces.get(namespace);
    if (shared === undefined) this.namespaces.set(namespace, (shared = namespace));
    return { kind: kind === 'Dag' ? 'Dag' : 'Expectation', namespace: shared, name };
  }

  /**
   * The owner is not valid (for now): it says why, and its nodes are held, not dropped. Their
   * leases, running actions and records stay until the owner is valid again (the same nodes carry
   * on) or deleted (removeOwner cancels them): a StateChecker deleted by mistake, or a ConfigMap
   * that cannot be read for a while, must not cancel every running Job. Held nodes are not
   * decided (Engine.plan skips them): nothing is launched or checked for them meanwhile.
   */
  private holdOwner(owner: OwnerModel, reason: string, message: string): void {
    owner.invalid = message;
    owner.invalidReason = reason;
    owner.nextChangeAt = undefined;
    this.drafts.delete(owner.key);
    if (!this.indexes.has(owner.key)) this.indexes.set(owner.key, NO_INDEX);
    const [k, ns, n] = owner.key.split('/') as [string, string, string];
    if (!this.problemList.some((p) => p.kind === k && p.namespace === ns && p.name === n)) this.problemList.push({ kind: k, namespace: ns, name: n, reason, message });
    this.markChanged(owner);
  }

  private dropNodes(owner: OwnerModel, nodes: NodeRecord[]): void {
    for (const node of nodes) {
      if (node.policy.rule !== 'make') owner.counts.set(node.phase, (owner.counts.get(node.phase) ?? 0) - 1);
      this.hooks.onRemoved(node);
      node.release();
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
}
