import type { DagRun } from '../../src/api/types.js';
import type { RunRecord } from '../../src/engine/index.js';
import { newDagRunRequests } from '../../src/runtime/dagRunRequests.js';

const NOW = Date.parse('2026-03-10T12:00:00Z');
const dagRun = (name: string, extra: { annotations?: Record<string, string>; ours?: boolean; reason?: DagRun['spec']['reason'] } = {}): DagRun => ({
  apiVersion: 'homeostat.dev/v1alpha1',
  kind: 'DagRun',
  metadata: {
    name,
    namespace: 'ns',
    ...(extra.annotations !== undefined ? { annotations: extra.annotations } : {}),
    ...(extra.ours === true ? { labels: { 'app.kubernetes.io/managed-by': 'homeostat' } } : {}),
  },
  spec: { dag: 'sold', period: '2026-03-01', ...(extra.reason !== undefined ? { reason: extra.reason } : {}) },
});
const run = (name: string, rerunToken?: string): RunRecord => ({ name, namespace: 'ns', dag: 'sold', period: '2026-03-01', reason: 'Schedule', phase: 'Succeeded', startedAt: NOW - 1000, ...(rerunToken !== undefined ? { rerunToken } : {}) });
const none = { runs: [], runRequests: [] };

describe('which DagRuns ask for a run', () => {
  it("a user's new DagRun asks once for its period, named after it, reason Manual by default", () => {
    const asks = newDagRunRequests([dagRun('again')], none, new Set(), NOW);
    expect(asks).toEqual([{ dag: { namespace: 'ns', name: 'sold' }, period: '2026-03-01', request: { at: NOW, reason: 'Manual', name: 'again' }, askedKey: 'ns/again' }]);
    expect(newDagRunRequests([dagRun('again')], none, new Set(['ns/again']), NOW)).toEqual([]);
    expect(newDagRunRequests([dagRun('again')], { runs: [run('again')], runRequests: [] }, new Set(), NOW)).toEqual([]);
    expect(newDagRunRequests([dagRun('again')], { runs: [], runRequests: [['ns/sold|2026-03-01', { at: NOW - 5, reason: 'Manual', name: 'again' }]] }, new Set(), NOW)).toEqual([]);
  });

  it('a DagRun deleted and created again with the same name asks again', () => {
    const asked = new Set<string>();
    for (const r of newDagRunRequests([dagRun('again')], none, asked, NOW)) asked.add(r.askedKey);
    // Deleted: the engine forgets its run (forgetDeletedRuns), and a pass sees no DagRun.
    expect(newDagRunRequests([], none, asked, NOW)).toEqual([]);
    expect(newDagRunRequests([dagRun('again')], none, asked, NOW + 1).map((r) => r.askedKey)).toEqual(['ns/again']);
  });

  it('a DagRun created again under its name before a pass saw it gone asks again: the records of the one before are not its own', () => {
    const recreated: DagRun = { ...dagRun('again'), metadata: { ...dagRun('again').metadata, uid: 'uid-2' } };
    const before = { ...run('again'), uid: 'uid-1', byUser: true };
    const asks = newDagRunRequests([recreated], { runs: [before], runRequests: [] }, new Set(['ns/again:uid-1']), NOW);
    expect(asks).toEqual([{ dag: { namespace: 'ns', name: 'sold' }, period: '2026-03-01', request: { at: NOW, reason: 'Manual', name: 'again', uid: 'uid-2' }, askedKey: 'ns/again:uid-2' }]);
    // A request of the one before, not started yet, is not this one's either.
    expect(newDagRunRequests([recreated], { runs: [], runRequests: [['ns/sold|2026-03-01', { at: NOW - 5, reason: 'Manual', name: 'again', uid: 'uid-1' }]] }, new Set(), NOW)).toHaveLength(1);
    // Its own records are.
    expect(newDagRunRequests([recreated], { runs: [{ ...before, uid: 'uid-2' }], runRequests: [] }, new Set(), NOW)).toEqual([]);
    expect(newDagRunRequests([recreated], { runs: [], runRequests: [['ns/sold|2026-03-01', asks[0]?.request as never]] }, new Set(), NOW)).toEqual([]);
    expect(newDagRunRequests([recreated], none, new Set(['ns/again:uid-2']), NOW)).toEqual([]);
  });

  it('records kept without a uid (by an older controller) match a DagRun by its name, as before', () => {
    const withUid: DagRun = { ...dagRun('again'), metadata: { ...dagRun('again').metadata, uid: 'uid-1' } };
    expect(newDagRunRequests([withUid], { runs: [run('again')], runRequests: [] }, new Set(), NOW)).toEqual([]);
    expect(newDagRunRequests([withUid], { runs: [], runRequests: [['ns/sold|2026-03-01', { at: NOW - 5, reason: 'Manual', name: 'again' }]] }, new Set(), NOW)).toEqual([]);
  });

  it("the controller's own DagRuns ask nothing without the annotation", () => {
    expect(newDagRunRequests([dagRun('sold-20260301-1', { ours: true })], none, new Set(), NOW)).toEqual([]);
  });

  it('the rerun annotation asks once per value, on a run the controller or a user made', () => {
    for (const ours of [true, false]) {
      const annotated = dagRun('sold-20260301-1', { ours, annotations: { 'homeostat.dev/rerun': 'fix-1' } });
      const known = { runs: [run('sold-20260301-1')], runRequests: [] };
      const asks = newDagRunRequests([annotated], known, new Set(), NOW);
      expect(asks).toEqual([{ dag: { namespace: 'ns', name: 'sold' }, period: '2026-03-01', request: { at: NOW, reason: 'Manual', rerunOf: { run: 'sold-20260301-1', token: 'fix-1' } }, askedKey: 'ns/sold-20260301-1@fix-1' }]);
      // Acted on: remembered by this process, on the pending request, or on the run record (after a restart).
      expect(newDagRunRequests([annotated], known, new Set(['ns/sold-20260301-1@fix-1']), NOW)).toEqual([]);
      expect(newDagRunRequests([annotated], { runs: known.runs, runRequests: [['ns/sold|2026-03-01', asks[0]?.request as never]] }, new Set(), NOW)).toEqual([]);
      expect(newDagRunRequests([annotated], { runs: [run('sold-20260301-1', 'fix-1')], runRequests: [] }, new Set(), NOW)).toEqual([]);
      // A new value asks again.
      const again = dagRun('sold-20260301-1', { ours, annotations: { 'homeostat.dev/rerun': 'fix-2' } });
      expect(newDagRunRequests([again], { runs: [run('sold-20260301-1', 'fix-1')], runRequests: [] }, new Set(), NOW).map((a) => a.request.rerunOf?.token)).toEqual(['fix-2']);
    }
  });

  it("a DagRun's params go with its request, and with each re-run its annotation asks for", () => {
    const withParams: DagRun = { ...dagRun('campaign-7'), spec: { dag: 'sold', period: '2026-03-01', params: { campaign: '7' } } };
    expect(newDagRunRequests([withParams], none, new Set(), NOW).map((a) => a.request)).toEqual([{ at: NOW, reason: 'Manual', name: 'campaign-7', params: { campaign: '7' } }]);
    const annotated: DagRun = { ...withParams, metadata: { ...withParams.metadata, annotations: { 'homeostat.dev/rerun': 'again' } } };
    expect(newDagRunRequests([annotated], { runs: [run('campaign-7')], runRequests: [] }, new Set(), NOW).map((a) => a.request.params)).toEqual([{ campaign: '7' }]);
  });

  it('an empty annotation asks nothing', () => {
    expect(newDagRunRequests([dagRun('x', { annotations: { 'homeostat.dev/rerun': '' } })], { runs: [run('x')], runRequests: [] }, new Set(), NOW)).toEqual([]);
  });
});
