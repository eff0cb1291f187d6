import { tooMany } from './calendar.js';
import type { NodeCount } from './nodeCount.js';

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
