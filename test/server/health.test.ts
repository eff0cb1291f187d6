import { afterEach, describe, expect, it } from '@jest/globals';
import { Health } from '../../src/server/health.js';

describe('Health', () => {
  const opened: Health[] = [];
  const health = (options: ConstructorParameters<typeof Health>[0]) => {
    const h = new Health(options);
    opened.push(h);
    return h;
  };
  afterEach(() => opened.splice(0).forEach((h) => h.close()));
  const fresh = () => ({ ok: true, stale: [] });

  it('is live while the event loop beats', () => {
    expect(health({ watchesFresh: fresh, synced: () => true }).liveness()).toEqual({ ok: true, reasons: [] });
  });

  it('is not live after the event loop stalled longer than maxLoopStallMs', () => {
    let now = 0;
    const h = health({ watchesFresh: fresh, synced: () => true, now: () => now, maxLoopStallMs: 10_000 });
    now = 10_000;
    expect(h.liveness().ok).toBe(true);
    now = 12_345;
    expect(h.liveness()).toEqual({ ok: false, reasons: ['the event loop stalled for 12.3 s'] });
  });

  it('is live again once the heartbeat beats', async () => {
    let now = 0;
    const h = health({ watchesFresh: fresh, synced: () => true, now: () => now, heartbeatMs: 5 });
    now = 60_000;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(h.liveness().ok).toBe(true);
  });

  it('lists every reason at once', () => {
    let now = 0;
    const h = health({ watchesFresh: () => ({ ok: false, stale: [] }), synced: () => true, now: () => now });
    now = 30_000;
    expect(h.liveness().reasons).toEqual(['the event loop stalled for 30.0 s', 'stale watches']);
  });

  it('a standby is alive but not ready, and says why', () => {
    const h = health({ watchesFresh: fresh, synced: () => false, standby: () => 'standby: replica-b leads' });
    expect(h.liveness().ok).toBe(true);
    expect(h.readiness()).toEqual({ ok: false, reasons: ['standby: replica-b leads'] });
  });

  it('the leader is ready once its caches have synced', () => {
    let synced = false;
    const h = health({ watchesFresh: fresh, synced: () => synced, standby: () => undefined });
    expect(h.readiness()).toEqual({ ok: false, reasons: ['the caches have not synced yet'] });
    synced = true;
    expect(h.readiness()).toEqual({ ok: true, reasons: [] });
  });
});
