import { describe, expect, it } from '@jest/globals';
import { stableJson } from '../../src/kube/stableJson.js';

// The StatusStore skips a write, and `save` a lease, when this text has not changed: two equal
// documents must give the same text whatever the order their keys were set in.
describe('stableJson', () => {
  it('gives equal documents the same text, keys sorted at every depth', () => {
    const a = { phase: 'Ready', leases: [{ node: 'p/2026-01-01', attempt: 1, holder: 'c-1' }], conditions: [{ type: 'Ready', status: 'True' }] };
    const b = { conditions: [{ status: 'True', type: 'Ready' }], leases: [{ holder: 'c-1', attempt: 1, node: 'p/2026-01-01' }], phase: 'Ready' };
    expect(stableJson(a)).toBe(stableJson(b));
    expect(stableJson(a)).toBe('{"conditions":[{"status":"True","type":"Ready"}],"leases":[{"attempt":1,"holder":"c-1","node":"p/2026-01-01"}],"phase":"Ready"}');
  });

  it('writes what JSON.stringify writes: undefined members left out, undefined items as null, dates as text, escapes', () => {
    const value = { z: undefined, y: [1, undefined, null, 'a"b\n'], x: new Date(Date.UTC(2026, 0, 2)), w: { f: () => 1, n: -0.5, t: true } };
    expect(stableJson(value)).toBe('{"w":{"n":-0.5,"t":true},"x":"2026-01-02T00:00:00.000Z","y":[1,null,null,"a\\"b\\n"]}');
    expect(JSON.parse(stableJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
  });

  it('tells different documents apart', () => {
    expect(stableJson({ leases: [{ attempt: 1 }] })).not.toBe(stableJson({ leases: [{ attempt: 2 }] }));
    expect(stableJson({ a: '1' })).not.toBe(stableJson({ a: 1 }));
  });
});
