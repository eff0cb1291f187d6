import type { NodeRecord, Policy } from './model.js';
import type { Lease, Observation, Phase, RetryRecord } from './types.js';

/** What is known of one node's inputs, gathered before deciding (the Job controller's way). */
export interface InputsFacts {
  /** Why an input does not exist. */
  missing: string | undefined;
  failed: NodeRecord | undefined;
  working: NodeRecord | undefined;
  unsatisfied: NodeRecord | undefined;
}

export interface NodeFacts {
  now: number;
  policy: Policy;
  /** For check nodes the checker's word; for make and all nodes derived from success records. */
  observation: Observation | undefined;
  lease: Lease | undefined;
  retry: RetryRecord | undefined;
  inputs: InputsFacts;
  checkInFlight: boolean;
  /** When the node may be checked again after a failed check. */
  nextCheckAt: number;
  /** When an attempt on this node last ended without making the state hold (0: none known). */
  actedAt: number;
  /** An input of a `rebuild: OnInputChange` dependency made after this node was built: it is due again. */
  changedInput?: NodeRecord;
  /** The lease is a rebuild: the state held before it started, so only a verdict taken after it ended judges it. */
  rebuilding?: boolean;
}

/** What to do about the lease before anything else. */
export type LeaseVerdict =
  | { kind: 'keep' }
  | { kind: 'release'; outcome: 'satisfied' | 'unrecoverable'; cancel: boolean }
  | { kind: 'fail'; reason: string; message: string; cancel: boolean };

export interface Decision {
  phase: Phase;
  reason: string;
  message: string;
  /** The node that makes this one wait or fail, to name it downstream. */
  cause?: NodeRecord | 'self';
  lease: LeaseVerdict;
  check: boolean;
  /** An action is due now (subject to concurrency limits). */
  start: boolean;
  wakeAt: number;
}

const KEEP: LeaseVerdict = { kind: 'keep' };

const NOTHING_MORE: Partial<Decision> = {};

// Field by field, not a spread of `more`: a spread always makes `more` a real object, and every
// node of a plan is decided (the optimizer drops the literal when nothing forces it to exist).
const decision = (phase: Phase, reason: string, message: string, more: Partial<Decision> = NOTHING_MORE): Decision => {
  const out: Decision = { phase, reason, message, lease: more.lease ?? KEEP, check: more.check ?? false, start: more.start ?? false, wakeAt: more.wakeAt ?? Infinity };
  if (more.cause !== undefined) out.cause = more.cause;
  return out;
};

/** When the node's state should be observed again. */
function recheckAt(facts: NodeFacts): number {
  const obs = facts.observation;
  // A check in flight is the recheck: its own deadline wakes the node, never a recheck time already past.
  if (facts.policy.rule !== 'check' || facts.checkInFlight) return Infinity;
  if (obs === undefined || obs.verdict === 'unknown') return facts.nextCheckAt;
  return obs.at + facts.policy.recheckMs;
}

/**
 * Decides one node from its facts. Pure: the order of the rules is DESIGN.md section 3 —
 * the lease first, then the observation (the checker is the truth), then the inputs, then retries.
 */
export function decide(facts: NodeFacts): Decision {
  const { now, policy, lease, observation: obs } = facts;
  const recheck = recheckAt(facts);
  const checkDue = policy.rule === 'check' && !facts.checkInFlight && recheck <= now;
  const wakeForCheck = checkDue ? Infinity : recheck;

  if (lease !== undefined) {
    const leaseVerdict = judgeLease(facts, lease);
    if (leaseVerdict.kind === 'keep') {
      const verifying = lease.outcome === 'succeeded';
      const verifyPending = verifying && policy.rule === 'check' && !facts.checkInFlight && lease.verified === undefined;
      // A verification check that failed is asked again after the check backoff, not in a loop.
      const needCheck = verifyPending && facts.nextCheckAt <= now;
      // Past its expiry, a lease is only kept while its verification check is in flight: that check's deadline wakes the node.
      const expiry = lease.expiresAt > now ? lease.expiresAt : Infinity;
      return decision('WorkingOnIt', verifying ? 'Verifying' : 'ActionRunning', verifying ? `action ${lease.action} finished; checking the result` : `action ${lease.action} (attempt ${lease.attempt}) is running`, {
        check: needCheck || checkDue,
        wakeAt: verifyPending && !needCheck ? Math.min(expiry, facts.nextCheckAt) : expiry,
      });
    }
    // The lease ends in this pass; decide the rest as if it were gone, and say what ends it.
    const next: NodeFacts = { ...facts, lease: undefined };
    if (leaseVerdict.kind === 'fail') next.retry = failedRetry(facts, leaseVerdict);
    // A lease ending satisfied built the node: whether an input changed since is decided once it is recorded.
    if (leaseVerdict.kind === 'release') delete next.changedInput;
    const after = decide(next);
    return { ...after, lease: leaseVerdict, start: false };
  }

  if (obs?.verdict === 'satisfied') {
    if (facts.changedInput !== undefined) return decideRebuild(facts, facts.changedInput, checkDue, wakeForCheck);
    return decision('Satisfied', 'StateSatisfied', 'the state holds', { check: checkDue, wakeAt: wakeForCheck });
  }
  if (obs?.verdict === 'unrecoverable') {
    return decision('Failed', 'Unrecoverable', obs.message ?? 'the checker says this cannot be reached', { cause: 'self', check: checkDue, wakeAt: wakeForCheck });
  }
  if (obs === undefined || obs.verdict === 'unknown') {
    const reason = obs?.reason ?? 'NeverChecked';
    const message = obs?.message ?? (facts.checkInFlight ? 'a check is in flight' : 'not checked yet');
    return decision('Unknown', reason, message, { check: checkDue, wakeAt: wakeForCheck });
  }

  // Unsatisfied: the inputs decide whether anything may run.
  const inputs = facts.inputs;
  if (inputs.missing !== undefined) return decision('Waiting', 'UpstreamMissing', inputs.missing, { check: checkDue, wakeAt: wakeForCheck });
  if (inputs.failed !== undefined) {
    const root = inputs.failed.cause instanceof Object ? inputs.failed.cause : inputs.failed;
    return decision('Waiting', 'UpstreamFailed', `${root.describe()} is Failed: ${root.message}`, { cause: root, check: checkDue, wakeAt: wakeForCheck });
  }
  if (inputs.working !== undefined) {
    return decision('WorkingOnIt', 'UpstreamWorking', `${inputs.working.describe()} is being worked on`, { cause: inputs.working, check: checkDue, wakeAt: wakeForCheck });
  }
  if (inputs.unsatisfied !== undefined) {
    return decision('Waiting', 'UpstreamNotSatisfied', `waiting for ${inputs.unsatisfied.describe()} (${inputs.unsatisfied.phase})`, { cause: inputs.unsatisfied, check: checkDue, wakeAt: wakeForCheck });
  }
  if (policy.action === undefined) {
    return decision('Waiting', 'NoAction', 'not satisfied; no action is declared, so waiting for it to be reached outside Homeostat', { check: checkDue, wakeAt: wakeForCheck });
  }
  const retry = facts.retry;
  if (retry !== undefined && retry.failures > policy.retryLimit) {
    return decision('Failed', 'RetriesExhausted', `${retry.failures} attempts failed; last: ${retry.reason}: ${retry.message}`, { cause: 'self', check: checkDue, wakeAt: wakeForCheck });
  }
  if (policy.suspended) return decision('Pending', 'Suspended', 'the action is suspended', { check: checkDue, wakeAt: wakeForCheck });
  if (retry !== undefined && now < retry.nextAttemptAt) {
    return decision('Pending', 'Backoff', `attempt ${retry.attempts + 1} after backoff (last: ${retry.reason}: ${retry.message})`, {
      check: checkDue,
      wakeAt: Math.min(retry.nextAttemptAt, wakeForCheck),
    });
  }
  // The checker is the truth: after an attempt, only an observation taken once its backoff ended
  // may start the next one, so a state fixed by hand meanwhile is seen first (one check per retry).
  if (policy.rule === 'check' && obs.at < Math.max(facts.actedAt, retry?.nextAttemptAt ?? 0)) {
    return decision('Pending', 'Rechecking', `checking the state again before attempt ${(retry?.attempts ?? 0) + 1}`, { check: !facts.checkInFlight });
  }
  return decision('Pending', 'ActionDue', 'the action is due', { start: true, check: checkDue, wakeAt: wakeForCheck });
}

/** A satisfied node whose input was made again (rebuild: OnInputChange): its action is due, with the usual retries. */
function decideRebuild(facts: NodeFacts, input: NodeRecord, checkDue: boolean, wakeForCheck: number): Decision {
  const { now, policy, retry } = facts;
  if (retry !== undefined && retry.failures > policy.retryLimit) {
    return decision('Failed', 'RetriesExhausted', `rebuilding after ${input.describe()} changed: ${retry.failures} attempts failed; last: ${retry.reason}: ${retry.message}`, { cause: 'self', check: checkDue, wakeAt: wakeForCheck });
  }
  if (retry !== undefined && now < retry.nextAttemptAt) {
    return decision('Pending', 'Backoff', `rebuild attempt ${retry.attempts + 1} after backoff (last: ${retry.reason}: ${retry.message})`, { check: checkDue, wakeAt: Math.min(retry.nextAttemptAt, wakeForCheck) });
  }
  return decision('Pending', 'InputChanged', `${input.describe()} was made again after this partition was built`, { start: true, check: checkDue, wakeAt: wakeForCheck });
}

/** Decides whether the lease holds, and if not, how it ends. */
function judgeLease(facts: NodeFacts, lease: Lease): LeaseVerdict {
  const { now, observation: obs, policy } = facts;
  const running = lease.outcome === undefined;
  // A rebuild starts on a state that holds: only a verdict taken once the action ended says it was rebuilt.
  const judgedFrom = facts.rebuilding === true ? (lease.finishedAt ?? Infinity) : lease.acquiredAt;
  if (obs?.verdict === 'satisfied' && (policy.rule !== 'check' || obs.at >= judgedFrom)) {
    return { kind: 'release', outcome: 'satisfied', cancel: running };
  }
  if (obs?.verdict === 'unrecoverable' && obs.at >= lease.acquiredAt) return { kind: 'release', outcome: 'unrecoverable', cancel: running };
  // A task whose input changed while it ran is due again: its success does not count, nor fail.
  if (lease.outcome === 'succeeded' && policy.rule !== 'check') return { kind: 'release', outcome: 'satisfied', cancel: false };
  if (lease.outcome === 'failed') return { kind: 'fail', reason: 'ActionFailed', message: lease.message ?? `action ${lease.action} failed`, cancel: false };
  if (lease.outcome === 'succeeded' && policy.rule === 'check' && lease.verified === 'unsatisfied') {
    return { kind: 'fail', reason: 'ActionDidNotSatisfy', message: `action ${lease.action} succeeded but the checker says the state does not hold`, cancel: false };
  }
  // An action that finished in time is judged by its verification, not by the clock, while that check is in flight.
  const verifying = lease.outcome === 'succeeded' && facts.checkInFlight;
  if (now >= lease.expiresAt && !verifying) {
    const message = running ? `action ${lease.action} did not finish within its lease` : `action ${lease.action} finished but its result could not be checked within its lease`;
    return { kind: 'fail', reason: 'LeaseExpired', message, cancel: running };
  }
  return KEEP;
}

/** The exponential backoff after `failures` failed attempts. */
export function backoffMs(policy: Pick<Policy, 'backoffInitialMs' | 'backoffMaxMs'>, failures: number): number {
  const exp = policy.backoffInitialMs * 2 ** Math.max(0, failures - 1);
  return Math.min(exp, policy.backoffMaxMs);
}

/** The retry record after one more failed attempt. */
export function failedRetry(facts: Pick<NodeFacts, 'now' | 'policy' | 'retry'>, failure: { reason: string; message: string }, generation = facts.retry?.generation ?? 0): RetryRecord {
  const failures = (facts.retry?.failures ?? 0) + 1;
  return {
    failures,
    attempts: Math.max(facts.retry?.attempts ?? 0, failures),
    reason: failure.reason,
    message: failure.message,
    nextAttemptAt: facts.now + backoffMs(facts.policy, failures),
    generation,
  };
}
