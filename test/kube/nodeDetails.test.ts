// Where a node page's Events come from: the API server's (newest first, series folded, at most 20,
// one list call per object per 2 s whatever the number of open pages) and the embedded loop's.
import { describe, expect, it } from '@jest/globals';
import type { CoreV1Event } from '@kubernetes/client-node';
import { foldEvents } from '../../src/cli/devNodeDetails.js';
import type { KubeClients } from '../../src/kube/client.js';
import { kubeNodeDetails, recentEvents } from '../../src/kube/nodeDetails.js';
import { silentLogger } from '../../src/runtime/log.js';

const event = (reason: string, at: string, more: Partial<CoreV1Event> = {}): CoreV1Event => ({ metadata: { name: reason }, involvedObject: {}, type: 'Normal', reason, message: `${reason} happened`, ...more, lastTimestamp: new Date(at) });

describe("a node page's Events", () => {
  it('from the API server: newest first, a series counted, at most 20', () => {
    const items = [event('RunStarted', '2026-03-09T00:00:00Z'), event('ActionFailed', '2026-03-09T02:00:00Z', { type: 'Warning', count: 3 }), ...Array.from({ length: 30 }, (_, i) => event(`Old${i}`, `2026-03-01T00:00:${String(i).padStart(2, '0')}Z`))];
    const shown = recentEvents(items);
    expect(shown).toHaveLength(20);
    expect(shown.slice(0, 2)).toEqual([
      { type: 'Warning', reason: 'ActionFailed', message: 'ActionFailed happened', time: '2026-03-09T02:00:00.000Z', count: 3 },
      { type: 'Normal', reason: 'RunStarted', message: 'RunStarted happened', time: '2026-03-09T00:00:00.000Z', count: 1 },
    ]);
  });

  it('asks the API server once per object per 2 s, with a fieldSelector on the object', async () => {
    const calls: { fieldSelector?: string }[] = [];
    const clients = { core: { listNamespacedEvent: async (args: { fieldSelector?: string }) => (calls.push(args), { items: [event('RunStarted', '2026-03-09T00:00:00Z')] }) } } as unknown as KubeClients;
    let now = 0;
    const details = kubeNodeDetails(clients, silentLogger(), () => now);
    const ref = { kind: 'Dag', namespace: 'default', name: 'ads' };
    await Promise.all([details.events(ref), details.events(ref), details.events(ref)]);
    expect(calls).toEqual([expect.objectContaining({ fieldSelector: 'involvedObject.kind=Dag,involvedObject.name=ads' })]);
    now = 2_000;
    expect(await details.events(ref)).toHaveLength(1);
    expect(calls).toHaveLength(2);
  });

  it('in homeostat dev: the loop’s recorded events, newest first, repeats folded into a count', () => {
    const owner = { kind: 'Dag' as const, namespace: 'default', name: 'ads' };
    const shown = foldEvents([
      { owner, type: 'Warning', reason: 'ActionFailed', message: 'load failed', time: '2026-03-09T00:00:00Z' },
      { owner, type: 'Normal', reason: 'RunStarted', message: 'run 1', time: '2026-03-09T00:01:00Z' },
      { owner, type: 'Warning', reason: 'ActionFailed', message: 'load failed', time: '2026-03-09T00:02:00Z' },
    ]);
    expect(shown).toEqual([
      { type: 'Warning', reason: 'ActionFailed', message: 'load failed', time: '2026-03-09T00:02:00Z', count: 2 },
      { type: 'Normal', reason: 'RunStarted', message: 'run 1', time: '2026-03-09T00:01:00Z', count: 1 },
    ]);
  });
});
