/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection package does
 * it, so several replicas can run and only one acts.
 *
 * Every retryPeriod each replica reads the Lease. A standby takes it when nobody holds it, or when
 * the record has not changed for leaseDuration by its own clock; the leader renews it. Every write
 * is a create, or a replace guarded by the resourceVersion just read, so two replicas never both
 * win the same round.
 *
 * Why the leader cannot outlive its Lease: a standby measures expiry from the moment it *saw* the
 * record change (its own clock, never the leader's timestamps, so clock skew between nodes does
 * not matter), which is after the leader sent that renewal. The leader counts its term from the
 * moment it *sent* its last successful renewal and gives up after renewDeadline, which is shorter
 * than leaseDuration: it stops acting at least leaseDuration - renewDeadline (5 s by default)
 * before anyone else may start. `isLeader()` checks that deadline against the clock on every call,
 * so a write fenced by it (leaderFence.ts) is refused even when a stalled event loop fires the
 * deadline timer late.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { CoordinationV1Api, V1Lease, V1LeaseSpec } from '@kubernetes/client-node';
import type { Logger } from '../runtime/log.js';
import type { Level } from '../runtime/metrics.js';
import { type Clock, systemClock } from '../runtime/ports.js';
import { describeError, statusOf } from './client.js';
import { microTime } from './eventRecorder.js';

/** How long a term lasts and how often the Lease is tried: client-go's and controller-runtime's defaults. */
export interface LeaseTimings {
  /** How long a standby waits, after it last saw the Lease change, before taking it over. Defaults to 15 s. */
  leaseDurationMs: number;
  /** How long the leader keeps acting without a successful renewal. Defaults to 10 s. */
  renewDeadlineMs: number;
  /** How often the Lease is read and renewed (or tried). Defaults to 2 s. */
  retryPeriodMs: number;
}

export const DEFAULT_TIMINGS: LeaseTimings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

/** Why a term ended: the Lease could not be renewed in time, or the elector was stopped (with or without releasing). */
export type StopReason = 'lost' | 'released' | 'abandoned';

/** The three Lease calls the elector makes; `get` resolves to undefined when there is no Lease. */
export interface LeaseApi {
  get(namespace: string, name: string): Promise<V1Lease | undefined>;
  create(namespace: string, lease: V1Lease): Promise<V1Lease>;
  replace(namespace: string, name: string, lease: V1Lease): Promise<V1Lease>;
}

export function kubeLeaseApi(coordination: CoordinationV1Api): LeaseApi {
  return {
    async get(namespace, name) {
      try {
        return await coordination.readNamespacedLease({ namespace, name });
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
    },
    create: (namespace, body) => coordination.createNamespacedLease({ namespace, body }),
    replace: (namespace, name, body) => coordination.replaceNamespacedLease({ namespace, name, body }),
  };
}

export interface LeaderElectorOptions {
  api: LeaseApi;
  namespace: string;
  /** The Lease's name. */
  name: string;
  /** Who this replica is; unique among the replicas (see `electionIdentity`). */
  identity: string;
  timings?: Partial<LeaseTimings>;
  log: Logger;
  clock?: Clock;
  /** homeostat_leader: set to 1 while this replica leads, else 0. */
  leader?: Pick<Level, 'set'>;
  /** Called once when this replica becomes the leader. Must not throw; may start work without waiting. */
  onStartedLeading(): void;
  /**
   * Called once when the term ends: `lost` (not renewed within renewDeadline, or taken over),
   * `released` or `abandoned` (stop() with or without releasing). After `lost` the elector has
   * ended: run a new one (in a fresh process, as controller-runtime does) to stand again.
   */
  onStoppedLeading?(reason: StopReason): void;
  /** Called when the holder this replica sees changes (undefined: nobody holds the Lease). */
  onNewLeader?(identity: string | undefined): void;
}

/** A unique identity: $POD_NAME (else the host name) and a random suffix, as client-go does, so a restarted Pod is a new candidate. */
export const electionIdentity = (): string => `${process.env.POD_NAME ?? hostname()}_${randomBytes(4).toString('hex')}`;

/** The Lease as this replica last saw it, and when (its own clock) it saw it change. */
export interface ObservedLease {
  holder: string | undefined;
  durationMs: number;
  resourceVersion: string;
  observedAt: number;
}

/** Whether a Lease a replica has seen is held by someone else and not expired yet, by that replica's clock. */
export function heldByAnother(observed: ObservedLease, identity: string, now: number): boolean {
  return observed.holder !== undefined && observed.holder !== '' && observed.holder !== identity && now < observed.observedAt + observed.durationMs;
}

/** What `lease` looks like to a replica now: unchanged records keep the time they were first seen. */
export function observe(previous: ObservedLease | undefined, lease: V1Lease, now: number): ObservedLease {
  const resourceVersion = lease.metadata?.resourceVersion ?? '';
  if (previous !== undefined && previous.resourceVersion === resourceVersion) return previous;
  const holder = lease.spec?.holderIdentity;
  return { holder: holder === '' ? undefined : holder, durationMs: (lease.spec?.leaseDurationSeconds ?? 0) * 1000, resourceVersion, observedAt: now };
}

/**
 * The spec that makes `identity` the holder at `now`: a renewal keeps acquireTime, a takeover
 * sets it and counts a transition.
 */
export function heldSpec(current: V1LeaseSpec | undefined, identity: string, now: number, leaseDurationMs: number): V1LeaseSpec {
  const renewal = current?.holderIdentity === identity;
  const at = microTime(now) as unknown as Date; // metav1.MicroTime wants six fraction digits; a string passes through the serializer
  return {
    holderIdentity: identity,
    leaseDurationSeconds: Math.ceil(leaseDurationMs / 1000),
    acquireTime: renewal && current?.acquireTime !== undefined ? current.acquireTime : at,
    renewTime: at,
    leaseTransitions: (current?.leaseTransitions ?? 0) + (renewal || current === undefined ? 0 : 1),
  };
}

/** The spec of a released Lease (client-go's ReleaseOnCancel): no holder, and a one-second duration so nobody waits long. */
export function releasedSpec(current: V1LeaseSpec | undefined, now: number): V1LeaseSpec {
  const at = microTime(now) as unknown as Date;
  return { leaseDurationSeconds: 1, acquireTime: at, renewTime: at, leaseTransitions: current?.leaseTransitions ?? 0 };
}

/** Why timings are unsafe, or undefined when they are fine. */
export function checkTimings(t: LeaseTimings): string | undefined {
  if (t.leaseDurationMs < 1_000) return 'leaseDuration must be at least 1s (the Lease counts whole seconds)';
  if (t.renewDeadlineMs >= t.leaseDurationMs) return 'renewDeadline must be shorter than leaseDuration, or a leader could act after its Lease was taken over';
  if (t.retryPeriodMs <= 0 || t.retryPeriodMs * 1.2 >= t.renewDeadlineMs) return 'retryPeriod must be positive and shorter than renewDeadline / 1.2, so a leader gets more than one try per term';
  return undefined;
}

type Attempt = 'ours' | 'theirs' | 'failed';

/**
 * Stands for the Lease until stopped. `run()` loops: a standby tries every retryPeriod (plus up to
 * 20 % jitter, so replicas started together do not collide forever); the leader renews every
 * retryPeriod. The loop never throws: API errors are logged and tried again.
 */
export class LeaderElector {
  private readonly timings: LeaseTimings;
  private readonly clock: Clock;
  private readonly log: Logger;
  private observed: ObservedLease | undefined;
  private seenHolder: string | undefined = '\0'; // nobody seen yet, not even "nobody"
  private leading = false;
  private validUntil = 0;
  private cancelDeadline: (() => void) | undefined;
  private ended = false;
  private stopping: { release: boolean } | undefined;
  private wake: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private lastError: string | undefined;

  constructor(private readonly options: LeaderElectorOptions) {
    this.timings = { ...DEFAULT_TIMINGS, ...options.timings };
    const problem = checkTimings(this.timings);
    if (problem !== undefined) throw new Error(`leader election: ${problem}`);
    this.clock = options.clock ?? systemClock;
    this.log = options.log.child({ component: 'leader-election', lease: `${options.namespace}/${options.name}`, identity: options.identity });
    options.leader?.set(0);
  }

  get identity(): string {
    return this.options.identity;
  }

  /** The holder this replica last saw (itself when leading); undefined when none. */
  get holder(): string | undefined {
    return this.observed?.holder;
  }

  /**
   * Whether this replica leads right now: its term has not ended and its last successful renewal
   * was sent less than renewDeadline ago. Fence every write with it.
   */
  isLeader(): boolean {
    return this.leading && this.clock.now() < this.validUntil;
  }

  /** Starts the loop (once); resolves when it ends: after stop(), or once leadership was lost. */
  run(): Promise<void> {
    return (this.running ??= this.loop());
  }

  /**
   * Ends the loop and waits for it. With `release` (the default) a held Lease is given up at once
   * so a standby takes over within its retryPeriod; without it the Lease is left to expire, as
   * when a process dies (tests simulate crashes so). Call it after the work the Lease guards has
   * stopped: until then the term goes on, renewals included.
   */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    this.stopping ??= { release: options.release ?? true };
    if (!this.stopping.release) this.endTerm('abandoned');
    this.wake?.();
    await this.running;
  }

  private async loop(): Promise<void> {
    this.log.info({ ...this.timings }, 'standing for leader: acting only once the Lease is ours');
    while (this.stopping === undefined && !this.ended) {
      const sentAt = this.clock.now();
      const attempt = await this.attempt(sentAt);
      // The deadline passed, or stop() abandoned the Lease, while the call was out: that is final.
      if (this.ended || this.stopRequest()?.release === false) break;
      if (attempt === 'ours') this.renewed(sentAt);
      else if (this.leading && attempt === 'theirs') this.endTerm('lost', 'another replica holds the Lease');
      if (this.ended || this.stopRequest() !== undefined) break;
      await this.sleep(this.leading ? this.timings.retryPeriodMs : this.timings.retryPeriodMs * (1 + Math.random() * 0.2));
    }
    if (this.stopRequest()?.release === true) await this.release();
    this.endTerm('abandoned');
    this.ended = true;
    this.log.info('stopped standing for leader');
  }

  /** A method, not the field: TypeScript would narrow the field as if nothing set it while we await. */
  private stopRequest(): { release: boolean } | undefined {
    return this.stopping;
  }

  /** One round: read the Lease, then create it, renew it or take it over when it is free. */
  private async attempt(now: number): Promise<Attempt> {
    const { api, namespace, name, identity } = this.options;
    const call = async (): Promise<Attempt> => {
      const current = await api.get(namespace, name);
      if (current === undefined) {
        const created = await api.create(namespace, { metadata: { name, namespace }, spec: heldSpec(undefined, identity, now, this.timings.leaseDurationMs) });
        this.see(created, this.clock.now());
        return 'ours';
      }
      // Expiry counts from when the change reached us, never earlier: that keeps the leader's margin.
      this.see(current, this.clock.now());
      const observed = this.observed as ObservedLease;
      if (heldByAnother(observed, identity, this.clock.now())) return 'theirs';
      if (this.leading && observed.holder !== identity) return 'theirs'; // it expired and was taken: our term is over
      const replaced = await api.replace(namespace, name, { metadata: { ...current.metadata, name, namespace }, spec: heldSpec(current.spec, identity, now, this.timings.leaseDurationMs) });
      this.see(replaced, this.clock.now());
      return 'ours';
    };
    let message: string;
    try {
      const result = await this.withTimeout(call(), this.timings.renewDeadlineMs);
      if (result !== undefined) {
        this.lastError = undefined;
        return result;
      }
      message = `no answer within ${this.timings.renewDeadlineMs} ms`;
    } catch (error) {
      // 409: another replica wrote first (created it, or changed it since we read it). The next
      // round reads who holds it now; a leader keeps its term until then (or its deadline).
      if (statusOf(error) === 409) {
        this.log.debug('the Lease changed while we wrote it; reading it again next round');
        return 'failed';
      }
      message = describeError(error);
    }
    if (message !== this.lastError) this.log.warn({ err: message, leading: this.leading }, 'reading or writing the Lease failed; trying again');
    this.lastError = message;
    return 'failed';
  }

  private see(lease: V1Lease, now: number): void {
    this.observed = observe(this.observed, lease, now);
    const holder = this.observed.holder;
    if (holder === this.seenHolder) return;
    this.seenHolder = holder;
    if (holder !== this.options.identity) this.log.info({ holder: holder ?? null }, holder === undefined ? 'nobody holds the Lease' : 'another replica leads');
    this.call(() => this.options.onNewLeader?.(holder), 'onNewLeader');
  }

  private renewed(sentAt: number): void {
    this.validUntil = sentAt + this.timings.renewDeadlineMs;
    if (this.stopping !== undefined && !this.leading) return; // won just as we stop: hold it only to release it
    this.cancelDeadline?.();
    this.cancelDeadline = this.clock.setTimer(this.validUntil, () => this.endTerm('lost', `the Lease was not renewed within renewDeadline (${this.timings.renewDeadlineMs} ms)`));
    if (this.leading) return;
    this.leading = true;
    this.options.leader?.set(1);
    this.log.info('became the leader');
    this.call(() => this.options.onStartedLeading(), 'onStartedLeading');
  }

  /** A callback that throws is logged: it must not end the loop (nor the term: the fence still holds). */
  private call(callback: () => void, name: string): void {
    try {
      callback();
    } catch (error) {
      this.log.error({ err: error }, `${name} threw`);
    }
  }

  /** Ends the term (once): no more acting. `lost` also ends the loop for good. */
  private endTerm(reason: StopReason, why?: string): void {
    if (reason === 'lost') this.ended = true;
    if (reason !== 'released') this.wake?.();
    if (reason !== 'released') this.validUntil = 0; // nor release it: it may be someone else's already
    if (!this.leading) return;
    this.leading = false;
    this.cancelDeadline?.();
    this.cancelDeadline = undefined;
    this.options.leader?.set(0);
    if (reason === 'lost') this.log.error({ reason: why }, 'lost leadership: stopping at once');
    else this.log.info({ reason }, 'no longer the leader');
    this.call(() => this.options.onStoppedLeading?.(reason), 'onStoppedLeading');
  }

  /** Gives the Lease up (holder cleared, duration 1 s), guarded by the resourceVersion just read. */
  private async release(): Promise<void> {
    const { api, namespace, name } = this.options;
    // Ours only until validUntil: past it another replica may hold it, and we must not clear it.
    if (this.clock.now() >= this.validUntil) return;
    try {
      const current = await this.withTimeout(api.get(namespace, name), this.timings.renewDeadlineMs);
      if (current?.spec?.holderIdentity !== this.options.identity || this.clock.now() >= this.validUntil) return;
      await api.replace(namespace, name, { metadata: current.metadata ?? { name, namespace }, spec: releasedSpec(current.spec, this.clock.now()) });
      this.endTerm('released');
      this.log.info('released the Lease');
    } catch (error) {
      this.log.warn({ err: describeError(error) }, 'releasing the Lease failed; it expires after leaseDuration');
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const cancel = this.clock.setTimer(this.clock.now() + ms, () => done());
      const done = () => {
        cancel();
        this.wake = undefined;
        resolve();
      };
      this.wake = done;
    });
  }

  /** A call that hangs must not hold the loop: it counts as failed after `ms` (its answer, if any, is ignored). */
  private withTimeout<T>(call: Promise<T>, ms: number): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      const cancel = this.clock.setTimer(this.clock.now() + ms, () => resolve(undefined));
      call.then(
        (value) => {
          cancel();
          resolve(value);
        },
        (error: unknown) => {
          cancel();
          reject(error);
        },
      );
    });
  }
}
