/**
 * "Why is this not satisfied?": the chain from one node of the engine down to its root causes —
 * the inputs that are not satisfied or failed, the checker's last verdict, the lease at work, the
 * next retry or recheck. Walked iteratively with an explicit stack (chains of 12,000 Dag periods
 * exist), bounded in depth, breadth and steps. Pure: reads the engine, `now` given.
 */
import type { Engine } from '../engine/engine.js';
import type { NodeRecord, OwnerModel } from '../engine/model.js';
import type { Phase, Verdict } from '../engine/types.js';
import { dagNodeId, expectationNodeId, WHOLE_DAG } from '../engine/wiring.js';
import { ownerKeyOf } from '../engine/compile.js';

export interface ExplainStep {
  /** The engine's node id. */
  node: string;
  /** Index of the step this one explains (-1 for the first). */
  parent: number;
  depth: number;
  /** Human words: `Dag ads task load 2026-03-09`. */
  what: string;
  phase: Phase;
  reason: string;
  message: string;
  /** The checker's last verdict on it (check nodes), and when it was taken. */
  verdict?: { verdict: Verdict; at: string; message?: string };
  lease?: { holder: string; attempt: number; action: string; expiresAt: string };
  /** Failed attempts so far and when the next may start. */
  retry?: { failures: number; nextAttemptAt: string; message: string };
  nextCheckAt?: string;
  /** No input of it explains it further: look here. */
  rootCause: boolean;
  /** Inputs not satisfied beyond the breadth limit, or below the depth limit: counted, not walked. */
  notShown?: number;
}

export interface Explanation {
  /** `Kind/namespace/name`, and the partition (or period) explained. */
  object: string;
  partition: string;
  steps: ExplainStep[];
  /** Steps left out past maxSteps. */
  truncated: boolean;
}

export interface ExplainLimits {
  /** Defaults to 32: deeper chains repeat the same story (a period waiting for the one before). */
  maxDepth?: number;
  /** Inputs walked per step; defaults to 8. */
  maxBreadth?: number;
  /** Defaults to 200. */
  maxSteps?: number;
}

export type ExplainTarget = { kind: 'Expectation' | 'Dag'; namespace: string; name: string; partition?: string };

export type ExplainResult = { ok: true; value: Explanation } | { ok: false; status: 404; message: string };

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Explains `target`: its given partition (a Dag: its period), else the node that best says why the
 * object is not satisfied (a failed one first, then one waiting, then any not satisfied).
 */
export function explain(engine: Engine, target: ExplainTarget, now: number, limits: ExplainLimits = {}): ExplainResult {
  const owner = engine.owner({ kind: target.kind, namespace: target.namespace, name: target.name });
  const object = ownerKeyOf(target.kind, target.namespace, target.name);
  if (owner === undefined) return { ok: false, status: 404, message: `${target.kind} ${target.namespace}/${target.name} is not known to the controller` };
  let start: NodeRecord | undefined;
  if (target.partition !== undefined) {
    const id = target.kind === 'Dag' ? dagNodeId(owner.key, WHOLE_DAG, target.partition) : expectationNodeId(owner.key, target.partition);
    start = engine.node(id);
    if (start === undefined) return { ok: false, status: 404, message: `${target.kind} ${target.namespace}/${target.name} has no ${target.kind === 'Dag' ? 'period' : 'partition'} ${JSON.stringify(target.partition)}` };
  } else {
    start = mostTelling(owner);
    if (start === undefined) return { ok: false, status: 404, message: `${target.kind} ${target.namespace}/${target.name} has no partitions` };
  }
  return { ok: true, value: { object, partition: start.partition, ...walk(engine, start, now, limits) } };
}

/** The whole-Dag nodes of a Dag (its periods), or an Expectation's partitions; failed first, then waiting, then not satisfied. */
function mostTelling(owner: OwnerModel): NodeRecord | undefined {
  const own = owner.nodes.filter((n) => n.alive && (owner.ref.kind !== 'Dag' || n.policy.task === undefined));
  const rank = (n: NodeRecord) => (n.phase === 'Failed' ? 0 : n.phase === 'Waiting' ? 1 : n.phase !== 'Satisfied' ? 2 : 3);
  let best: NodeRecord | undefined;
  // Latest first among equals: today's period is the one a person asks about.
  for (const n of own) if (best === undefined || rank(n) < rank(best) || (rank(n) === rank(best) && n.partition > best.partition)) best = n;
  return best;
}

function walk(engine: Engine, start: NodeRecord, now: number, limits: ExplainLimits): { steps: ExplainStep[]; truncated: boolean } {
  const maxDepth = limits.maxDepth ?? 32;
  const maxBreadth = limits.maxBreadth ?? 8;
  const maxSteps = limits.maxSteps ?? 200;
  const steps: ExplainStep[] = [];
  const seen = new Set<string>([start.id]);
  // Depth first, with an explicit stack: the steps come out in the order a tree prints.
  const stack: { node: NodeRecord; parent: number; depth: number }[] = [{ node: start, parent: -1, depth: 0 }];
  let truncated = false;
  while (stack.length > 0) {
    if (steps.length >= maxSteps) {
      truncated = true;
      break;
    }
    const { node, parent, depth } = stack.pop() as { node: NodeRecord; parent: number; depth: number };
    const step = describe(engine, node, parent, depth, now);
    const index = steps.push(step) - 1;
    const blocking = blockingInputs(node);
    // Inputs already explained above are not walked twice, but a node waiting on them is no root cause.
    step.rootCause = blocking.length === 0;
    const inputs = blocking.filter((n) => !seen.has(n.id));
    if (inputs.length === 0) continue;
    if (depth + 1 > maxDepth) {
      step.notShown = inputs.length;
      continue;
    }
    const walked = inputs.slice(0, maxBreadth);
    if (inputs.length > walked.length) step.notShown = inputs.length - walked.length;
    for (const n of walked) seen.add(n.id);
    // Pushed in reverse: the first input (the named cause) is explained first.
    for (let i = walked.length - 1; i >= 0; i--) stack.push({ node: walked[i] as NodeRecord, parent: index, depth: depth + 1 });
  }
  return { steps, truncated };
}

/** The inputs that keep `node` from holding: the one it names as its cause first, then others not satisfied. */
function blockingInputs(node: NodeRecord): NodeRecord[] {
  const out: NodeRecord[] = [];
  const cause = node.cause !== undefined && node.cause !== node ? node.cause : undefined;
  if (cause !== undefined) out.push(cause);
  if (node.phase === 'Satisfied' || node.phase === 'Failed') return out;
  for (const d of node.deps) if (d !== cause && d.phase !== 'Satisfied') out.push(d);
  // An Expectation whose action runs a Dag: the run's period is an input too.
  if (node.runTarget !== undefined && node.runTarget !== cause && node.runTarget.phase !== 'Satisfied') out.push(node.runTarget);
  return out;
}

function describe(engine: Engine, node: NodeRecord, parent: number, depth: number, now: number): ExplainStep {
  const step: ExplainStep = { node: node.id, parent, depth, what: node.describe(), phase: node.phase, reason: node.reason, message: node.message, rootCause: false };
  const obs = node.observation;
  if (obs !== undefined && node.policy.rule === 'check') step.verdict = { verdict: obs.verdict, at: iso(obs.at), ...(obs.message !== undefined ? { message: obs.message } : {}) };
  const lease = engine.lease(node.id);
  if (lease !== undefined && lease.outcome === undefined) step.lease = { holder: lease.holder, attempt: lease.attempt, action: lease.action, expiresAt: iso(lease.expiresAt) };
  const retry = engine.retry(node.id);
  if (retry !== undefined && retry.failures > 0) step.retry = { failures: retry.failures, nextAttemptAt: iso(retry.nextAttemptAt), message: retry.message };
  if (node.policy.rule === 'check' && node.nextCheckAt > now && Number.isFinite(node.nextCheckAt)) step.nextCheckAt = iso(node.nextCheckAt);
  return step;
}

/** The chain as an indented tree, one line per step (what `homeostat explain` prints). */
export function explanationText(explanation: Explanation): string[] {
  const lines: string[] = [];
  for (const s of explanation.steps) {
    const pad = '  '.repeat(s.depth);
    lines.push(`${pad}${s.depth === 0 ? '' : '└─ '}${s.what}: ${s.phase} (${s.reason}) ${s.message}${s.rootCause && s.phase !== 'Satisfied' ? '  <- root cause' : ''}`);
    const more = `${pad}${s.depth === 0 ? '' : '   '}   `;
    if (s.verdict !== undefined) lines.push(`${more}checker said ${s.verdict.verdict} at ${s.verdict.at}${s.verdict.message !== undefined ? `: ${s.verdict.message}` : ''}`);
    if (s.lease !== undefined) lines.push(`${more}lease: attempt ${s.lease.attempt} (${s.lease.action}) held by ${s.lease.holder} until ${s.lease.expiresAt}`);
    if (s.retry !== undefined) lines.push(`${more}${s.retry.failures} failed attempt(s); next attempt at ${s.retry.nextAttemptAt}`);
    if (s.nextCheckAt !== undefined) lines.push(`${more}next check at ${s.nextCheckAt}`);
    if (s.notShown !== undefined) lines.push(`${more}... and ${s.notShown} more input(s) not satisfied`);
  }
  if (explanation.truncated) lines.push('... (more steps not shown)');
  return lines;
}
