import { beforeEach, describe, expect, it } from '@jest/globals';
import type { EventsV1Event } from '@kubernetes/client-node';
import { cutNote, EventRecorder, type EventsApi, microTime } from '../../src/kube/eventRecorder.js';
import { silentLogger } from '../../src/runtime/log.js';
import { FakeClock } from './fakes.js';

class FakeEvents implements EventsApi {
  readonly created: EventsV1Event[] = [];
  readonly patches: { name: string; body: Record<string, unknown> }[] = [];
  fail = false;

  async create(_namespace: string, body: EventsV1Event) {
    if (this.fail) throw new Error('HTTP 403 Forbidden');
    this.created.push(body);
    return { metadata: { name: body.metadata?.name ?? '' } };
  }

  async patch(_namespace: string, name: string, body: Record<string, unknown>) {
    if (this.fail) throw new Error('HTTP 403 Forbidden');
    this.patches.push({ name, body });
    return {};
  }
}

const owner = { kind: 'Expectation' as const, namespace: 'ns', name: 'daily' };

describe('EventRecorder', () => {
  let api: FakeEvents;
  let clock: FakeClock;
  let recorder: EventRecorder;

  beforeEach(() => {
    api = new FakeEvents();
    clock = new FakeClock(Date.parse('2026-03-01T10:00:00.123Z'));
    recorder = new EventRecorder({ api, log: silentLogger(), instance: 'homeostat-0', clock, uidOf: () => 'uid-1' });
  });

  it('records an engine event as an events.k8s.io/v1 Event on its owner, the partition first in the note', async () => {
    recorder.recordEvent({ owner, partition: 'date=2026-01-01', type: 'Warning', reason: 'ActionFailed', message: 'exit 1; retry in 60s' });
    await recorder.flush();
    expect(api.created).toEqual([
      expect.objectContaining({
        eventTime: '2026-03-01T10:00:00.123000Z',
        reportingController: 'homeostat.dev/controller',
        reportingInstance: 'homeostat-0',
        action: 'Reconcile',
        reason: 'ActionFailed',
        note: 'date=2026-01-01: exit 1; retry in 60s',
        type: 'Warning',
        regarding: { apiVersion: 'homeostat.dev/v1alpha1', kind: 'Expectation', namespace: 'ns', name: 'daily', uid: 'uid-1' },
      }),
    ]);
    expect(api.created[0]?.metadata?.namespace).toBe('ns');
    expect(api.created[0]?.metadata?.name).toMatch(/^daily\.[0-9a-f]+$/);
  });

  it('folds repeats within the window into the series of the first Event', async () => {
    for (let i = 0; i < 3; i++) {
      recorder.record(owner, 'Warning', 'CheckerFailed', 'exit 2');
      await recorder.flush();
      await clock.advance(1_000);
    }
    expect(api.created).toHaveLength(1);
    expect(api.patches.at(-1)).toEqual({ name: api.created[0]?.metadata?.name, body: { series: { count: 3, lastObservedTime: microTime(clock.now() - 1_000) } } });
  });

  it('a repeat after the window is a new Event', async () => {
    recorder.record(owner, 'Normal', 'StateSatisfied', 'the state holds');
    await clock.advance(600_000);
    recorder.record(owner, 'Normal', 'StateSatisfied', 'the state holds');
    await recorder.flush();
    expect(api.created).toHaveLength(2);
  });

  it('a different note is a different Event', async () => {
    recorder.record(owner, 'Warning', 'ActionFailed', 'a: exit 1');
    recorder.record(owner, 'Warning', 'ActionFailed', 'b: exit 1');
    await recorder.flush();
    expect(api.created).toHaveLength(2);
  });

  it('drops Events beyond the burst of one object, then lets one through per refill', async () => {
    const small = new EventRecorder({ api, log: silentLogger(), instance: 'i', clock, burst: 3, refillMs: 10_000 });
    for (let i = 0; i < 5; i++) small.record(owner, 'Normal', 'ActionStarted', `attempt ${i}`);
    expect(small.dropped).toBe(2);
    await clock.advance(10_000);
    small.record(owner, 'Normal', 'ActionStarted', 'attempt 5');
    small.record(owner, 'Normal', 'ActionStarted', 'attempt 6');
    await small.flush();
    expect(api.created.map((e) => e.note)).toEqual(['attempt 0', 'attempt 1', 'attempt 2', 'attempt 5']);
  });

  it('never throws when the API refuses', async () => {
    api.fail = true;
    expect(() => recorder.record(owner, 'Normal', 'X', 'y')).not.toThrow();
    expect(() => recorder.record(owner, 'Normal', 'X', 'y')).not.toThrow();
    await expect(recorder.flush()).resolves.toBeUndefined();
  });

  it('cuts a note to 1024 bytes without splitting a character', () => {
    const note = cutNote('é'.repeat(2000));
    expect(Buffer.byteLength(note)).toBeLessThanOrEqual(1024);
    expect(note.endsWith('…')).toBe(true);
    expect(cutNote('short')).toBe('short');
  });
});
