import { describe, expect, it } from '@jest/globals';
import { notReadyConditions, scannedStatus } from '../../src/sources/sourceStatus.js';

const files = (n: number, bad: number[] = []) =>
  Array.from({ length: n }, (_, i) => ({ path: `f${String(i).padStart(3, '0')}.yaml`, checksum: `sha256:${i}`, objects: [`Expectation/e${i}`], ...(bad.includes(i) ? { problem: `problem ${i}` } : {}) }));
const T0 = Date.parse('2026-12-01T10:00:00Z');

describe("a DefinitionSource's status", () => {
  it('lists at most 100 files, those with a problem first, and counts the rest', () => {
    const status = scannedStatus({ files: files(120, [50, 110]), revision: 'sha256:abc', suspended: 1 }, 3, T0, undefined);
    expect(status.counts).toEqual({ files: 120, objects: 118, problems: 2, suspended: 1 });
    expect((status.files as { path: string }[]).slice(0, 3).map((f) => f.path)).toEqual(['f050.yaml', 'f110.yaml', 'f000.yaml']);
    expect(status.files).toHaveLength(100);
    expect(status.filesNotShown).toBe(20);
  });

  it('says which files are not applied in Valid, and "and N more" beyond three', () => {
    const status = scannedStatus({ files: files(6, [0, 1, 2, 3, 4]), revision: 'r', suspended: 0 }, 1, T0, undefined);
    expect(status.conditions.find((c) => c.type === 'Valid')).toMatchObject({
      status: 'False',
      reason: 'InvalidFiles',
      message: '5 of 6 files not applied (their last good objects stay): f000.yaml: problem 0; f001.yaml: problem 1; f002.yaml: problem 2; and 2 more',
    });
  });

  it('keeps a condition\'s lastTransitionTime while its status stays, so an equal scan gives an equal status', () => {
    const first = scannedStatus({ files: files(2), revision: 'r', suspended: 0 }, 1, T0, undefined);
    const again = scannedStatus({ files: files(2), revision: 'r', suspended: 0 }, 1, T0 + 60_000, first.conditions);
    expect(again).toEqual(first);
    const down = notReadyConditions('BucketUnreachable', 'listing s3://x/ failed', 1, T0 + 120_000, again.conditions);
    expect(down.map((c) => [c.type, c.status, c.lastTransitionTime])).toEqual([
      ['Ready', 'False', '2026-12-01T10:02:00Z'],
      ['Valid', 'True', '2026-12-01T10:00:00Z'],
    ]);
  });
});
