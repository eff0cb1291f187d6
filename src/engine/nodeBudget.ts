import type { Dag, DagDependency, Expectation } from '../api/types.js';
import { tooMany } from './calendar.js';
import { countDagPeriods, countOwnerNodes, ownerKeyOf, type World } from './compile.js';
import type { OwnerModel } from './model.js';
import { type NodeCount, TOTAL_NODE_CAP } from './nodeCount.js';
import type { PeriodCount } from './periodCount.js';

/** An owner asking for room under the total cap: compiled again, or refused before and asking again. */
export interface BudgetClaim {
  key: string;
  count: NodeCount;
  /** It holds its nodes now (it was valid before this world): it goes first. */
  admittedBefore: boolean;
  /** metadata.creationTimestamp: among the rest, older objects go first. */
  createdAt: string;
}

/**
 * Which claims do not fit under the total cap, with why. `reserved` is held by the owners not
 * claiming (valid and unchanged): a new object, however large, never takes their room. The order
 * is stable (owners that held nodes, then older objects, then by key), so the same world always
 * admits the same objects, and a claim that does not fit does not stop a smaller one after it.
 */
export function refuseOverTotal(claims: BudgetClaim[], reserved: number, cap: number): Map<string, string> {
  const ordered = [...claims].sort((a, b) => Number(b.admittedBefore) - Number(a.admittedBefore) || a.createdAt.localeCompare(b.createdAt) || a.key.localeCompare(b.key));
  const refused = new Map<string, string>();
  let used = reserved;
  for (const claim of ordered) {
    const nodes = claim.count.nodes.atLeast;
    if (used + nodes <= cap) {
      used += nodes;
      continue;
    }
    refused.set(
      claim.key,
      `${tooMany(claim.count.nodes)} nodes (${claim.count.product}) do not fit under the cap of ${cap.toLocaleString('en-US')} nodes for all objects together, most of which objects admitted before this one hold; narrow it, remove others, or raise --max-nodes-total`,
    );
  }
  return refused;
}

/** What the compiler knows of a new world when it decides the total cap. */
export interface TotalCapInput {
  /** Owner keys compiled again in this world; owners refused before and admitted now are added. */
  changed: Set<string>;
  /** The owners compiled so far, by key. */
  owners: ReadonlyMap<string, OwnerModel>;
  sources: ReadonlyMap<string, Expectation | Dag>;
  /** Dag key -> the DagDependencies whose dependent it is. */
  depsOf: ReadonlyMap<string, DagDependency[]>;
  /** Owners invalid for another reason (graph problems): they hold nothing. */
  invalid: ReadonlyMap<string, unknown>;
  configMaps: World['configMaps'];
  now: number;
  maxPerObject: number;
  maxTotal: number;
}

const nsOf = (o: { metadata: { namespace?: string } }): string => o.metadata.namespace ?? 'default';

/**
 * The total cap, decided on counts before anything is built: owners compiled again, and owners
 * refused for the total before (room may have freed), claim room; the valid unchanged keep
 * theirs. Returns the refused with why; adds the newly admitted to `changed`.
 */
export function refuseOverTotalCap(input: TotalCapInput): Map<string, string> {
  const { changed, owners, sources, depsOf, invalid, now } = input;
  const claiming = new Set([...changed].filter((k) => sources.has(k) && !invalid.has(k)));
  for (const owner of owners.values()) if (owner.invalidReason === TOTAL_NODE_CAP && sources.has(owner.key) && !invalid.has(owner.key)) claiming.add(owner.key);
  let reserved = 0;
  // Held by the valid owners that stay as they are (deleted ones give their room back now).
  for (const owner of owners.values()) if (!claiming.has(owner.key) && sources.has(owner.key) && owner.invalid === undefined) reserved += owner.nodes.length;
  // A Dag without periods of its own counts those of the Dag it inherits them from, up the chain.
  const inherited = (dag: Dag): PeriodCount | undefined => {
    const seen = new Set<string>();
    for (let key = ownerKeyOf('Dag', nsOf(dag), dag.metadata.name); !seen.has(key); ) {
      seen.add(key);
      const up = depsOf.get(key)?.[0]?.spec.dependsOn[0]?.dag;
      if (up === undefined) return undefined;
      const source = sources.get(ownerKeyOf('Dag', nsOf(dag), up));
      if (source === undefined || source.kind !== 'Dag') return undefined;
      const own = countDagPeriods(source, now);
      if (own !== undefined) return own.ok ? own.value : undefined;
      key = ownerKeyOf('Dag', nsOf(dag), up);
    }
    return undefined;
  };
  const claims: BudgetClaim[] = [];
  for (const key of claiming) {
    const source = sources.get(key) as Expectation | Dag;
    const count = countOwnerNodes(source, input.configMaps, now, () => (source.kind === 'Dag' ? inherited(source) : undefined));
    // Unknown or over the per-object cap: its draft says why, and it holds nothing.
    if (count === undefined || count.nodes.atLeast > input.maxPerObject) continue;
    const owner = owners.get(key);
    claims.push({ key, count, admittedBefore: owner !== undefined && owner.invalid === undefined && owner.nodes.length > 0, createdAt: source.metadata.creationTimestamp ?? '' });
  }
  const refused = refuseOverTotal(claims, reserved, input.maxTotal);
  // Refused before and admitted now: compiled in this world. Refused again and unchanged: left as it is.
  for (const key of claiming) if (!changed.has(key) && !refused.has(key)) changed.add(key);
  for (const key of refused.keys()) if (owners.get(key)?.invalidReason === TOTAL_NODE_CAP && !changed.has(key)) refused.delete(key);
  return refused;
}
