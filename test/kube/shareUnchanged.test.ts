import { describe, expect, it } from '@jest/globals';
import { shareUnchanged } from '../../src/kube/shareUnchanged.js';

const copy = <T>(value: T): T => structuredClone(value);

describe('shareUnchanged', () => {
  it('gives the original back for a copy equal to it', () => {
    const original = { a: { b: [1, 'two', { c: null }] }, d: true };
    expect(shareUnchanged(copy(original), original)).toBe(original);
  });

  it('keeps what the copy changed and takes the rest from the original', () => {
    const original: Record<string, unknown> = { checker: { ref: 'x' }, action: { args: ['--a'] }, list: [{ a: 1 }, { b: 2 }] };
    const changed = copy(original) as { checker: unknown; action: unknown; list: { b?: number }[]; timeout?: string };
    changed.timeout = '1h';
    (changed.list[1] as { b: number }).b = 3;
    const out = shareUnchanged(changed, original) as typeof changed;
    expect(out).toEqual({ checker: { ref: 'x' }, action: { args: ['--a'] }, list: [{ a: 1 }, { b: 3 }], timeout: '1h' });
    expect(out).not.toBe(original);
    expect(out.checker).toBe(original.checker);
    expect(out.action).toBe(original.action);
    expect(out.list).not.toBe(original.list);
    expect(out.list[0]).toBe((original.list as unknown[])[0]);
  });

  it('keeps a copy whose keys or kinds differ from the original', () => {
    const original = { a: [1, 2], b: { c: 1 } };
    const fewer = { a: [1] };
    expect(shareUnchanged(fewer, original)).toEqual({ a: [1] });
    expect(shareUnchanged({ a: { 0: 1, 1: 2 } }, original).a).not.toBe(original.a);
    expect(shareUnchanged({ b: { c: 1 }, e: 1 }, original).b).toBe(original.b);
  });
});

describe('shareUnchanged with class instances (a typed Job carries Dates)', () => {
  it('takes an instance from the original only when it is the same instance', () => {
    const original = { startTime: new Date('2026-01-01T00:00:00Z'), name: 'a' };
    const later = { startTime: new Date('2026-01-02T00:00:00Z'), name: 'a' };
    const out = shareUnchanged(later, original);
    expect(out.startTime.toISOString()).toBe('2026-01-02T00:00:00.000Z');
    expect(out).not.toBe(original);
  });
});
