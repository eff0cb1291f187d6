/**
 * At most N checks in flight: a check holds its slot from its request until its answer (a Job
 * checker's Job runs that long, an Http checker's POST or its late answer too). The others wait
 * in order of request and start as slots free up. Without it, a cold start with 10,000
 * Expectations on a Job checker creates 10,000 checker Jobs at once.
 *
 * The reconciler does not await `request` on its hot path, so a queued request costs it nothing;
 * it resolves once the check has started. A request that cannot be started frees its slot and
 * rejects, as the runner's own would (the reconciler marks the batch Unknown). The engine times
 * a check from its request: one that waited for a slot past its checker's timeout is not started
 * any more but answered CheckerTimeout (the engine has asked again by then, or will).
 */
import type { CheckRequest } from '../engine/index.js';
import type { Level } from './metrics.js';
import type { CheckAnswer, CheckRunner, Clock } from './ports.js';

/** Where the counts go (homeostat_checks_in_flight, homeostat_checks_waiting). */
export interface CheckSlotGauges {
  inFlight?: Level | undefined;
  waiting?: Level | undefined;
}

/** The default of `--max-checks-in-flight`. */
export const DEFAULT_MAX_CHECKS_IN_FLIGHT = 100;

interface Waiting {
  request: CheckRequest;
  queuedAt: number;
  start: () => void;
  /** Resolves the caller's promise without starting the check. */
  skip: () => void;
}

export class BoundedChecks implements CheckRunner {
  private listener: (answer: CheckAnswer) => void = () => undefined;
  /** Requests holding a slot, by identity: the runners answer with the request they were given. */
  private readonly running = new Set<CheckRequest>();
  private readonly queue: Waiting[] = [];
  /** The most in flight at once since the start (metrics, tests). */
  peak = 0;

  constructor(
    private readonly inner: CheckRunner,
    private readonly clock: Pick<Clock, 'now'>,
    private readonly max: number = DEFAULT_MAX_CHECKS_IN_FLIGHT,
    private readonly gauges: CheckSlotGauges = {},
  ) {
    if (!Number.isInteger(max) || max < 1) throw new Error(`the most checks in flight must be a whole number of at least 1, not ${max}`);
    inner.onAnswer((answer) => {
      // Answers to no request of ours (pushed observations) pass through and free nothing.
      if (this.running.delete(answer.request)) this.next();
      this.report();
      this.listener(answer);
    });
  }

  /** Checks started and not answered yet. */
  get inFlight(): number {
    return this.running.size;
  }

  /** Checks waiting for a slot. */
  get waiting(): number {
    return this.queue.length;
  }

  onAnswer(listener: (answer: CheckAnswer) => void): void {
    this.listener = listener;
  }

  request(request: CheckRequest): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const start = () => {
        this.running.add(request);
        this.peak = Math.max(this.peak, this.running.size);
        this.inner.request(request).then(resolve, (error: unknown) => {
          // Not started: no answer will come for it.
          if (this.running.delete(request)) this.next();
          this.report();
          reject(error);
        });
      };
      if (this.running.size < this.max) start();
      else this.queue.push({ request, queuedAt: this.clock.now(), start, skip: () => resolve() });
      this.report();
    });
  }

  /** A slot limit too low for the checks asked for shows as a waiting count that stays up. */
  private report(): void {
    this.gauges.inFlight?.set(this.running.size);
    this.gauges.waiting?.set(this.queue.length);
  }

  private next(): void {
    while (this.running.size < this.max) {
      const waiting = this.queue.shift();
      if (waiting === undefined) return;
      if (this.clock.now() < waiting.queuedAt + waiting.request.timeoutMs) {
        waiting.start();
        continue;
      }
      waiting.skip();
      const answer: CheckAnswer = { request: waiting.request, failure: { reason: 'CheckerTimeout', message: `the check waited for a free slot (${this.max} checks in flight at most) longer than its checker's timeout` } };
      queueMicrotask(() => this.listener(answer));
    }
  }
}
