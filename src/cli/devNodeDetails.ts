/**
 * The node page's extras in `homeostat dev`: the Events the embedded loop recorded (the bounded
 * list status.json keeps), and its DagRuns by way of the engine (no standby here). Re-runs are
 * added to the embedded world, so the engine runs them as it runs a DagRun file.
 */
import { userInfo } from 'node:os';
import type { DagRun } from '../api/types.js';
import type { StoredEvent } from '../local/statusFile.js';
import type { DevLoop } from '../local/devLoop.js';
import { manualDagRun, manualRunPrefix } from '../runtime/manualRuns.js';
import { MAX_EVENTS_SHOWN, type NodeDetailsSource, type RecentEvent } from '../server/nodeDetails.js';
import type { RerunOptions } from '../server/rerunRoute.js';
import type { ViewSource } from '../server/readApi.js';

export function devNodeDetails(loop: DevLoop): NodeDetailsSource {
  return {
    events: (ref) => Promise.resolve(foldEvents(loop.status.recentEvents().filter((e) => e.owner.kind === ref.kind && e.owner.namespace === ref.namespace && e.owner.name === ref.name))),
  };
}

/** Newest first, repeats (same type, reason and message) folded into one with a count, as Kubernetes folds a series. */
export function foldEvents(events: readonly StoredEvent[]): RecentEvent[] {
  const folded = new Map<string, RecentEvent>();
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i] as StoredEvent;
    const key = JSON.stringify([e.type, e.reason, e.message]);
    const seen = folded.get(key);
    if (seen !== undefined) seen.count++;
    else if (folded.size < MAX_EVENTS_SHOWN) folded.set(key, { type: e.type, reason: e.reason, message: e.message, time: e.time, count: 1 });
  }
  return [...folded.values()];
}

/** The re-run route of `homeostat dev`: on loopback, for the user who runs it. */
export function devRerun(loop: DevLoop, source: ViewSource): RerunOptions {
  let serial = 0;
  return {
    auth: 'local',
    localUser: localUser(),
    source,
    create(request) {
      // Unique in this process and across restarts (a run of the previous process may keep its name in the state).
      const name = `${manualRunPrefix(request.dag, request.period)}${Date.now().toString(36)}${(serial++).toString(36)}`;
      const run: DagRun = manualDagRun(request, name);
      return Promise.resolve(loop.addDagRun(run) === 'added' ? { ok: true as const, name } : { ok: false as const, status: 409, reason: 'AlreadyExists', message: `DagRun ${request.namespace}/${name} exists already; try again` });
    },
  };
}

function localUser(): string {
  try {
    return `local:${userInfo().username}`;
  } catch {
    return 'local';
  }
}
