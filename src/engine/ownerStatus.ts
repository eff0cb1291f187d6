import type { Condition } from '../api/types.js';
import { type LastVerdicts, MAX_NOT_SATISFIED, partitionDigest, recordVerdicts } from './lastVerdicts.js';
import { type NodeRecord, type OwnerModel, PHASES } from './model.js';
import type { Lease, Phase, RetryRecord } from './types.js';

/** At most this many failures are listed in a status; the rest are counted. */
export const MAX_LISTED_FAILURES = 20;

export interface OwnerStatus {
  phase: Phase;
  counts: Record<Phase, number>;
  total: number;
  /** "364/365" */
  satisfied: string;
  leases: { partition: string; attempt: number; holder: string; action: string; acquiredAt: string; expiresAt: string }[];
  failures: { partition: string; reason: string; message: string; attempts: number }[];
  failuresNotShown: number;
  /**
   * Nodes waiting on an input (Dags: whole periods), those blocked by a failure first: phase
   * Waiting, or WorkingOnIt with reason UpstreamWorking (an input is being worked on).
   */
  waiting: { partition: string; reason: string; message: string }[];
  waitingNotShown: number;
  /**
   * Partitions Unknown because their check failed (crash, timeout, bad output, no verdict for
   * them), with the checker's reason; at most MAX_LISTED_FAILURES, the rest counted.
   */
  checkerFailures: { partition: string; reason: string; message: string }[];
  checkerFailuresNotShown: number;
  /**
   * Why the phase is what it is, in CamelCase: the reason of a node in the overall phase, the one
   * a person should look at first (a checker failure before "never checked", a node at work itself
   * before one waiting on an upstream at work, one blocked by a failure before other waiting ones);
   * the Valid reason when the object is not valid.
   */
  reason: string;
  /** Nodes WorkingOnIt only because an input is being worked on (counted in WorkingOnIt, listed in waiting). */
  upstreamWorking: number;
  valid: { ok: boolean; reason: string; message: string };
  /** Dags: the latest period whose every task succeeded. */
  lastPeriod?: string;
  /** Dags: periods with a task running (WorkingOnIt counts those only waiting on an upstream too). */
  running?: number;
  /** Expectations: which partitions are Satisfied, compactly, for a restarted controller to show (lastVerdicts.ts). */
  lastVerdicts?: LastVerdicts;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * A time as a condition shows it (seconds). One string per pass, shared by every condition that
 * changed in it, and flat: `replace` or `+` would give each condition its own rope of three strings
 * (12,000 owners keep their conditions until the next write).
 */
let stamped: { ms: number; text: string } | undefined;
export function conditionTime(ms: number): string {
  if (stamped?.ms !== ms) stamped = { ms, text: [new Date(ms).toISOString().slice(0, 19), 'Z'].join('') };
  return stamped.text;
}
const digests = new WeakMap<readonly NodeRecord[], string>();

/** The overall phase: Satisfied when every node is, else the most active phase present. */
export function overallPhase(counts: Record<Phase, number>, total: number): Phase {
  if (counts.Satisfied === total) return 'Satisfied';
  for (const phase of ['WorkingOnIt', 'Pending', 'Failed', 'Waiting', 'Unknown'] as const) if (counts[phase] > 0) return phase;
  return 'Unknown';
}

/** A small status whatever the partition count: counts, live leases, a bounded list of failures. */
export function ownerStatus(owner: OwnerModel, leaseOf: (node: string) => Lease | undefined, retryOf: (node: string) => RetryRecord | undefined): OwnerStatus {
  const counts = Object.fromEntries(PHASES.map((p) => [p, Math.max(0, owner.counts.get(p) ?? 0)])) as Record<Phase, number>;
  const total = PHASES.reduce((n, p) => n + counts[p], 0);
  const leases: OwnerStatus['leases'] = [];
  // Ids are computed on read: nodes are asked for their lease only when the owner holds some.
  for (const node of owner.activeLeases > 0 ? owner.nodes : []) {
    const lease = leaseOf(node.id);
    if (lease === undefined) continue;
    leases.push({ partition: nodeLabel(node.partition, node.policy.task), attempt: lease.attempt, holder: lease.holder, action: lease.action, acquiredAt: iso(lease.acquiredAt), expiresAt: iso(lease.expiresAt) });
  }
  const failing = [...owner.failing].sort((a, b) => (a.id < b.id ? -1 : 1));
  const failures = failing.slice(0, MAX_LISTED_FAILURES).map((node) => {
    const retry = retryOf(node.id);
    const reason = node.phase === 'Failed' ? node.reason : (retry?.reason ?? node.reason);
    const message = node.phase === 'Failed' ? node.message : (retry?.message ?? node.message);
    return { partition: nodeLabel(node.partition, node.policy.task), reason, message: message.slice(0, 1024), attempts: retry?.failures ?? 0 };
  });
  const checkerFailing = firstById(owner.checkerFailing, MAX_LISTED_FAILURES);
  const checkerFailures = checkerFailing.map((node) => ({ partition: nodeLabel(node.partition, node.policy.task), reason: node.reason, message: node.message.slice(0, 1024) }));
  // Blocked by a failure first: that is what a person can act on.
  const blocked: OwnerStatus['waiting'] = [];
  const other: OwnerStatus['waiting'] = [];
  let waitingCount = 0;
  let upstreamWorking = 0;
  const first = new Map<Phase, NodeRecord>();
  for (const node of owner.nodes) {
    if (owner.ref.kind === 'Dag' && node.policy.rule !== 'all') continue;
    const seen = first.get(node.phase);
    if (seen === undefined || rank(node) < rank(seen)) first.set(node.phase, node);
    // WorkingOnIt/UpstreamWorking waits too (on an input being worked on): the list names that input.
    const onWork = node.phase === 'WorkingOnIt' && node.reason === 'UpstreamWorking';
    if (node.phase !== 'Waiting' && !onWork) continue;
    waitingCount++;
    if (onWork) upstreamWorking++;
    const into = node.reason === 'UpstreamFailed' ? blocked : other;
    if (into.length < MAX_LISTED_FAILURES) into.push({ partition: nodeLabel(node.partition, node.policy.task), reason: node.reason, message: node.message.slice(0, 1024) });
  }
  const waiting = [...blocked, ...other].slice(0, MAX_LISTED_FAILURES);
  const phase = owner.invalid !== undefined ? 'Unknown' : overallPhase(counts, total);
  const status: OwnerStatus = {
    phase,
    counts,
    total,
    satisfied: `${counts.Satisfied}/${total}`,
    leases,
    failures,
    failuresNotShown: Math.max(0, failing.length - failures.length),
    waiting,
    waitingNotShown: waitingCount - waiting.length,
    upstreamWorking,
    checkerFailures,
    checkerFailuresNotShown: owner.checkerFailing.size - checkerFailures.length,
    reason: owner.invalid !== undefined ? (owner.invalidReason ?? 'Invalid') : (first.get(phase)?.reason ?? (total === 0 ? 'NoPartitions' : 'NeverChecked')),
    valid: owner.invalid !== undefined ? { ok: false, reason: owner.invalidReason ?? 'Invalid', message: owner.invalid } : { ok: true, reason: 'Valid', message: 'the object is valid' },
  };
  if (owner.ref.kind === 'Expectation' && owner.invalid === undefined) {
    const partitions = owner.nodes.map((n) => ({ key: n.partition, satisfied: n.phase === 'Satisfied' }));
    // The compiler gives an owner a new nodes array whenever its partitions change: the digest is computed once per set.
    let digest = digests.get(owner.nodes);
    if (digest === undefined) digests.set(owner.nodes, (digest = partitionDigest(partitions.map((p) => p.key))));
    status.lastVerdicts = recordVerdicts(partitions, MAX_NOT_SATISFIED, digest);
  }
  if (owner.ref.kind === 'Dag') {
    let last: string | undefined;
    let running = 0;
    for (const node of owner.nodes) {
      if (node.policy.rule !== 'all') continue;
      if (node.phase === 'Satisfied' && (last === undefined || (node.period ?? '') > last)) last = node.period;
      if (node.phase === 'WorkingOnIt' && node.reason !== 'UpstreamWorking') running++;
    }
    if (last !== undefined) status.lastPeriod = last;
    status.running = running;
  }
  return status;
}

/** Lower first: which node of a phase gives the owner its reason. */
function rank(node: NodeRecord): number {
  if (node.phase === 'Unknown') return node.reason === 'NeverChecked' ? 1 : 0;
  if (node.phase === 'WorkingOnIt') return node.reason === 'UpstreamWorking' ? 1 : 0;
  if (node.phase === 'Waiting') return node.reason === 'UpstreamFailed' ? 0 : 1;
  return 0;
}

/** The `count` nodes of a set with the smallest ids, in order, without sorting the whole set. */
function firstById(nodes: Iterable<NodeRecord>, count: number): NodeRecord[] {
  const out: NodeRecord[] = [];
  for (const node of nodes) {
    if (out.length === count && node.id >= (out[count - 1] as NodeRecord).id) continue;
    let i = out.length;
    while (i > 0 && (out[i - 1] as NodeRecord).id > node.id) i--;
    out.splice(i, 0, node);
    if (out.length > count) out.pop();
  }
  return out;
}

const nodeLabel = (partition: string, task: string | undefined): string => (task !== undefined ? `${task}@${partition}` : partition === '' ? '-' : partition);

/**
 * metav1.Conditions for an owner's status: Valid, Satisfied, Progressing, Degraded. A condition
 * keeps its lastTransitionTime while its status does not change. Degraded is True when a node
 * failed or is failing (its reason wins), or when a check failed (reason CheckerFailing); when
 * both, the message names both.
 */
export function ownerConditions(status: OwnerStatus, previous: readonly Pick<Condition, 'type' | 'status' | 'lastTransitionTime'>[] | undefined, generation: number, now: number): Condition[] {
  const c = status.counts;
  const working = c.WorkingOnIt + c.Pending;
  const wanted: Omit<Condition, 'lastTransitionTime'>[] = [
    { type: 'Valid', status: status.valid.ok ? 'True' : 'False', reason: status.valid.reason, message: status.valid.message, observedGeneration: generation },
    status.phase === 'Satisfied' && status.valid.ok
      ? { type: 'Satisfied', status: 'True', reason: 'AllSatisfied', message: `${status.satisfied} satisfied`, observedGeneration: generation }
      : { type: 'Satisfied', status: 'False', reason: status.valid.ok ? status.phase : 'Invalid', message: `${status.satisfied} satisfied${status.waiting[0] !== undefined ? `; ${status.waiting[0].partition} waits: ${status.waiting[0].message}` : ''}`.slice(0, 1024), observedGeneration: generation },
    working > 0
      ? { type: 'Progressing', status: 'True', reason: 'WorkingOnIt', message: progressMessage(status), observedGeneration: generation }
      : { type: 'Progressing', status: 'False', reason: 'Idle', message: 'nothing is being worked on', observedGeneration: generation },
    degraded(status, generation),
  ];
  return wanted.map((w) => ({ ...w, lastTransitionTime: transitionTime(previous, w.type, w.status, now) }));
}

/**
 * A condition's lastTransitionTime: the previous one's while its status holds, else now (as a
 * condition shows it). Every condition the controller writes keeps its time this way.
 */
export function transitionTime(previous: readonly Pick<Condition, 'type' | 'status' | 'lastTransitionTime'>[] | undefined, type: string, status: Condition['status'], now: number): string {
  const old = previous?.find((p) => p.type === type);
  return old !== undefined && old.status === status ? old.lastTransitionTime : conditionTime(now);
}

/** "2 working, 1 pending", naming what the nodes only waiting on an upstream at work wait for. */
function progressMessage(status: OwnerStatus): string {
  const c = status.counts;
  const own = c.WorkingOnIt - status.upstreamWorking;
  if (status.upstreamWorking === 0) return `${own} working, ${c.Pending} pending`;
  const first = status.waiting.find((w) => w.reason === 'UpstreamWorking');
  const naming = first !== undefined ? ` (${first.partition} waits: ${first.message})` : '';
  return `${own} working, ${status.upstreamWorking} waiting on an upstream being worked on${naming}, ${c.Pending} pending`.slice(0, 1024);
}

/**
 * Degraded: failed or failing nodes first (reason: the first one's, e.g. RetriesExhausted), then
 * partitions whose check failed (reason CheckerFailing, the first partition and its own reason in
 * the message); a failure's message also counts the checker failures, so neither hides the other.
 */
function degraded(status: OwnerStatus, generation: number): Omit<Condition, 'lastTransitionTime'> {
  const noVerdict = status.checkerFailures.length + status.checkerFailuresNotShown;
  const firstNoVerdict = status.checkerFailures[0];
  const checkerWords = firstNoVerdict === undefined ? '' : `${noVerdict} without a verdict (${firstNoVerdict.partition}: ${firstNoVerdict.reason}: ${firstNoVerdict.message})`;
  const failure = status.failures[0];
  if (status.counts.Failed > 0 || failure !== undefined) {
    const message = `${status.counts.Failed} failed${failure !== undefined ? `; ${failure.partition}: ${failure.message}` : ''}${checkerWords !== '' ? `; ${checkerWords}` : ''}`;
    return { type: 'Degraded', status: 'True', reason: failure?.reason ?? 'Failed', message: message.slice(0, 1024), observedGeneration: generation };
  }
  if (firstNoVerdict !== undefined) return { type: 'Degraded', status: 'True', reason: 'CheckerFailing', message: checkerWords.slice(0, 1024), observedGeneration: generation };
  return { type: 'Degraded', status: 'False', reason: 'NoFailures', message: 'no failures', observedGeneration: generation };
}
