// A call the outside world refuses for good (RBAC, a namespace gone) is said on the owner
// (Degraded and one Event, same words), retried on a backoff of its own, logged once per step;
// a transient failure keeps the fast retry; the first call that goes through clears it all.
import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import type { Expectation, StateChecker } from '../../src/api/types.js';
import { type ActionLaunch, emptyWorld, type EngineEvent } from '../../src/engine/index.js';
import { createLogger } from '../../src/runtime/log.js';
import { type CheckAnswer, type ObjectRef, type Ports, systemClock } from '../../src/runtime/ports.js';
import { Reconciler } from '../../src/runtime/reconciler.js';
import { PermanentRefusal, RefusalBook } from '../../src/runtime/refusals.js';

const CHECKER: StateChecker = { apiVersion: 'homeostat.dev/v1alpha1', kind: 'StateChecker', metadata: { name: 'files', namespace: 'default', generation: 1 }, spec: { mode: 'Job', command: ['check'], timeout: '1m' } };
const report = (name: string, partitions: string[]): Expectation => ({
  apiVersion: 'homeostat.dev/v1alpha1',
  kind: 'Expectation',
  metadata: { name, namespace: 'default', generation: 1 },
  spec: {
    checker: { ref: 'files' },
    partitions: { day: { values: partitions } },
    action: { job: { template: { spec: { containers: [{ name: 'build', image: 'x' }] } } } },
    workingTimeout: '1h',
  },
});
const FORBIDDEN = 'create jobs.batch in namespace default is forbidden: User "u" cannot create resource "jobs"';

/** Ports whose checks say "unsatisfied" and whose launches fail as `refuse` says. */
function fakes(refuse: (launch: ActionLaunch) => Error | undefined) {
  const statuses = new Map<string, Record<string, unknown>>();
  const events: EngineEvent[] = [];
  const attempts: string[] = [];
  let answer: (a: CheckAnswer) => void = () => undefined;
  const ports: Ports = {
    clock: systemClock,
    actions: {
      onEnded: () => undefined,
      launch: async (launch) => {
        attempts.push(`${launch.owner.name}|${launch.partition.replace('day=', '')}`);
        const error = refuse(launch);
        if (error !== undefined) throw error;
      },
      cancel: async () => undefined,
      adopt: async () => undefined,
    },
    checks: {
      onAnswer: (listener) => void (answer = listener),
      request: async (request) => void setImmediate(() => answer({ request, verdicts: request.items.map((i) => ({ node: i.node, verdict: 'unsatisfied' })), unanswered: [] })),
    },
    state: { load: async () => undefined, save: async () => undefined },
    status: {
      writeStatus: async (o: ObjectRef, status) => void statuses.set(o.name, status),
      writeRun: async () => undefined,
      removeRun: async () => undefined,
      recordEvent: (e) => void events.push(e),
    },
  };
  const lines: string[] = [];
  const log = createLogger({ level: 'info', destination: new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(String(chunk)), done()) }) });
  const degraded = (name: string) => ((statuses.get(name)?.conditions ?? []) as { type: string; status: string; reason: string; message: string }[]).find((c) => c.type === 'Degraded');
  return { ports, statuses, events, attempts, lines, log, degraded };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const declare = (r: Reconciler, ...expectations: Expectation[]) => r.setDeclared({ world: { ...emptyWorld(), checkers: [CHECKER], expectations }, side: { checkers: [CHECKER], dagDependencies: [], dagRuns: [] } });

describe('the reconciler: calls refused for good', () => {
  it('says Degraded=True with the reason and one Event, probes on its own backoff, logs once per step, and clears on success', async () => {
    let allowed = false;
    const f = fakes((l) => (allowed || l.owner.name !== 'report' ? undefined : new PermanentRefusal('Forbidden', FORBIDDEN)));
    const reconciler = await Reconciler.start(f.ports, { holder: 't', log: f.log, retryInitialMs: 1, retryMaxMs: 5, refusalInitialMs: 100, refusalMaxMs: 200 });
    try {
      declare(reconciler, report('report', ['d1', 'd2', 'd3']), report('other', ['d1']));
      await sleep(450);

      expect(f.degraded('report')).toMatchObject({ status: 'True', reason: 'Forbidden', message: FORBIDDEN, observedGeneration: 1 });
      expect(f.events.filter((e) => e.reason === 'Forbidden')).toEqual([{ owner: { kind: 'Expectation', namespace: 'default', name: 'report' }, type: 'Warning', reason: 'Forbidden', message: FORBIDDEN }]);
      // The 3 launches at once, then one probe at ~100 and ~300 ms (waits of 100, 200, 200): not one per millisecond.
      const refused = f.attempts.filter((a) => a.startsWith('report|'));
      expect(refused.length).toBeGreaterThanOrEqual(4);
      expect(refused.length).toBeLessThanOrEqual(6);
      // Another owner is not held back.
      expect(f.attempts).toContain('other|d1');
      expect(f.degraded('other')).toMatchObject({ status: 'False' });
      const logged = f.lines.filter((l) => l.includes('forbidden'));
      expect(logged.length).toBeLessThanOrEqual(3);
      expect(logged.some((l) => l.includes('"step":2'))).toBe(true);

      allowed = true;
      await sleep(300);
      expect(f.attempts.filter((a) => a.startsWith('report|')).slice(-3).sort()).toEqual(['report|d1', 'report|d2', 'report|d3']);
      expect(f.degraded('report')).toMatchObject({ status: 'False', reason: 'NoFailures' });
      expect(f.events.filter((e) => e.reason === 'Forbidden')).toHaveLength(1);
    } finally {
      await reconciler.stop();
    }
  });

  it('a transient failure keeps the fast retry and no condition', async () => {
    let failures = 5;
    const f = fakes(() => (failures-- > 0 ? new Error('HTTP 503') : undefined));
    const reconciler = await Reconciler.start(f.ports, { holder: 't', log: f.log, retryInitialMs: 1, retryMaxMs: 5, refusalInitialMs: 60_000 });
    declare(reconciler, report('report', ['d1']));
    await sleep(200);
    await reconciler.stop();
    expect(f.attempts).toHaveLength(6);
    expect(f.events.filter((e) => e.type === 'Warning')).toEqual([]);
    expect(f.degraded('report')).toMatchObject({ status: 'False' });
  });
});

describe('RefusalBook', () => {
  const owner = { kind: 'Expectation' as const, namespace: 'default', name: 'report' };
  const error = new PermanentRefusal('Forbidden', FORBIDDEN);

  it('backs off from the initial wait, doubling to the max; repeats within a step are counted, not news', () => {
    const book = new RefusalBook({ initialMs: 60_000, maxMs: 600_000 });
    expect(book.refused(owner, error, 0)).toMatchObject({ news: 'new', refusal: { step: 1, dueAt: 60_000 } });
    expect(book.refused(owner, error, 10)).toMatchObject({ news: 'repeat', refusal: { suppressed: 1 } });
    expect(book.waiting(owner, 59_999)).toBe(true);
    expect(book.due(owner, 60_000)).toBe(true);
    const dues = [60_000, 180_000, 420_000, 900_000, 1_500_000].map((at) => book.refused(owner, error, at).refusal.dueAt - at);
    expect(dues).toEqual([120_000, 240_000, 480_000, 600_000, 600_000]);
    expect(book.clear(owner)).toBe(true);
    expect(book.clear(owner)).toBe(false);
    expect(book.get(owner)).toBeUndefined();
  });

  it('another reason or message is news again', () => {
    const book = new RefusalBook();
    book.refused(owner, error, 0);
    expect(book.refused(owner, new PermanentRefusal('NotFound', 'create jobs.batch in namespace default failed (not found): namespaces "default" not found'), 1).news).toBe('new');
  });
});
