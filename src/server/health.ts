/**
 * Liveness (/healthz) and readiness (/readyz), answered from callbacks the controller passes:
 * this folder knows nothing of informers, it only asks.
 */
import type { Route } from './route.js';
import { sendText } from './route.js';

/** What the controller tells the probes. Both are called on every probe: keep them cheap. */
export interface HealthChecks {
  /**
   * Whether every watch had an event or a bookmark recently enough (the controller picks the
   * threshold, e.g. a few bookmark intervals); `stale` names the others, e.g. `jobs`.
   */
  watchesFresh(): { ok: boolean; stale: string[] };
  /** Whether every cache has synced once (the first list of each watched resource is in). */
  synced(): boolean;
  /**
   * Why this replica is a standby (another one leads), or undefined when it acts. A standby is
   * alive but never ready, so the Service sends observations and heartbeats to the leader only.
   * Defaults to never a standby.
   */
  standby?(): string | undefined;
}

export interface HealthOptions extends HealthChecks {
  /** The event loop counts as stalled when its heartbeat is older than this. Defaults to 10 s. */
  maxLoopStallMs?: number;
  /** How often the heartbeat beats. Defaults to 1 s. */
  heartbeatMs?: number;
  /** Epoch milliseconds; injected by tests. Defaults to Date.now. */
  now?: () => number;
}

/** A probe's answer: ok, or the reasons why not (one line each). */
export interface ProbeResult {
  ok: boolean;
  reasons: string[];
}

/**
 * The probes. A heartbeat timer (unref'd) proves the event loop turns: a loop blocked for longer
 * than maxLoopStallMs fails the next /healthz even if the request itself gets through once the
 * loop is free again; Kubernetes restarts the process only after failureThreshold failures.
 */
export class Health {
  private lastBeat: number;
  private readonly timer: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(private readonly options: HealthOptions) {
    this.now = options.now ?? Date.now;
    this.lastBeat = this.now();
    this.timer = setInterval(() => (this.lastBeat = this.now()), options.heartbeatMs ?? 1_000);
    this.timer.unref();
  }

  /** /healthz: the event loop turns and every watch is fresh. */
  liveness(): ProbeResult {
    const reasons: string[] = [];
    const stalledMs = this.now() - this.lastBeat;
    if (stalledMs > (this.options.maxLoopStallMs ?? 10_000)) reasons.push(`the event loop stalled for ${(stalledMs / 1000).toFixed(1)} s`);
    const watches = ask(() => this.options.watchesFresh());
    if (watches instanceof Error) reasons.push(`checking the watches failed: ${watches.message}`);
    else if (!watches.ok) reasons.push(watches.stale.length > 0 ? `stale watches: ${watches.stale.join(', ')}` : 'stale watches');
    return { ok: reasons.length === 0, reasons };
  }

  /** /readyz: this replica acts (it is no standby) and its caches have synced. */
  readiness(): ProbeResult {
    const standby = ask(() => this.options.standby?.());
    if (standby instanceof Error) return { ok: false, reasons: [`checking leader election failed: ${standby.message}`] };
    if (standby !== undefined) return { ok: false, reasons: [standby] };
    const synced = ask(() => this.options.synced());
    if (synced instanceof Error) return { ok: false, reasons: [`checking the caches failed: ${synced.message}`] };
    return synced ? { ok: true, reasons: [] } : { ok: false, reasons: ['the caches have not synced yet'] };
  }

  /** Stops the heartbeat. */
  close(): void {
    clearInterval(this.timer);
  }

  routes(): Route[] {
    const probe = (path: string, check: () => ProbeResult): Route => ({
      method: 'GET',
      path,
      handle(_req, res) {
        const result = check();
        sendText(res, result.ok ? 200 : 503, result.ok ? 'ok' : result.reasons.join('\n'));
      },
    });
    return [probe('/healthz', () => this.liveness()), probe('/readyz', () => this.readiness())];
  }
}

/** A callback that throws is a failed check, not a crashed probe. */
function ask<T>(check: () => T): T | Error {
  try {
    return check();
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}
