import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { decodeCompactVerdict, decodeTerminationMessage, encodeCompactVerdict, TERMINATION_MESSAGE_LIMIT } from '../src/compactVerdict.js';
import type { CheckerResult, CheckerState } from '../src/protocol.js';

const keysOf = (n: number) => Array.from({ length: n }, (_, i) => `date=d${i}`);
const bytes = (text: string) => Buffer.byteLength(text);
/** Results cycling through `states` (undefined: no verdict), one per key. */
const cycling = (keys: string[], states: (CheckerState | undefined)[], message?: (i: number) => string): CheckerResult[] =>
  keys.flatMap((key, i) => {
    const state = states[i % states.length];
    return state === undefined ? [] : [{ key, state, ...(message !== undefined ? { message: message(i) } : {}) }];
  });
const encoded = (keys: string[], results: CheckerResult[], limit?: number) => {
  const e = encodeCompactVerdict(keys, results, limit);
  if (!e.ok) throw new Error(e.error);
  return e;
};

describe('encodeCompactVerdict', () => {
  it.each([
    ['no partitions', [], [], 'h1 0 r'],
    ['one satisfied partition', ['a'], [{ key: 'a', state: 'satisfied' }], 'h1 1 rs'],
    ['runs, unknowns and a message', ['a', 'b', 'c', 'd'], [{ key: 'a', state: 'satisfied' }, { key: 'b', state: 'satisfied' }, { key: 'c', state: 'unrecoverable', message: 'source gone' }], 'h1 4 rs2x?\n2 source gone'],
    ['long runs', keysOf(1000), cycling(keysOf(1000), ['unsatisfied']), 'h1 1000 ru1000'],
    ['alternating states, still as runs while short', keysOf(6), cycling(keysOf(6), ['satisfied', 'unsatisfied']), 'h1 6 rsususu'],
    ['alternating states, packed (three per character) when runs grow long', keysOf(300), cycling(keysOf(300), ['satisfied', 'unsatisfied']), `h1 300 p${'ER'.repeat(50)}`],
    ['a message on one line', ['a'], [{ key: 'a', state: 'unsatisfied', message: 'line one\n  line two\r\n' }], 'h1 1 ru\n0 line one line two'],
    ['answers about partitions not asked are left out', ['a'], [{ key: 'zzz', state: 'satisfied' }], 'h1 1 r?'],
  ] as [string, string[], CheckerResult[], string][])('%s', (_name, keys, results, text) => {
    expect(encodeCompactVerdict(keys, results)).toEqual({ ok: true, text, shortened: 0, dropped: 0 });
  });

  it('refuses a partition answered twice', () => {
    expect(encodeCompactVerdict(['a'], [{ key: 'a', state: 'satisfied' }, { key: 'a', state: 'unsatisfied' }])).toEqual({ ok: false, error: 'partition "a" is answered twice' });
  });

  describe('the 4 KiB edge', () => {
    it('packs 10,000 alternating partitions (the largest batchSize) into the limit', () => {
      const keys = keysOf(10_000);
      const e = encoded(keys, cycling(keys, ['satisfied', 'unsatisfied', 'unrecoverable', undefined]));
      expect(bytes(e.text)).toBeLessThanOrEqual(TERMINATION_MESSAGE_LIMIT);
      expect(e.text.startsWith('h1 10000 p')).toBe(true);
    });

    it('refuses more partitions than the states can fit', () => {
      const keys = keysOf(13_000);
      expect(encodeCompactVerdict(keys, cycling(keys, ['satisfied', 'unsatisfied']))).toEqual({ ok: false, error: '13000 partitions do not fit in 4096 bytes' });
    });

    it('keeps a message that fits to the byte', () => {
      const limit = bytes('h1 1 rx\n0 ') + 1024;
      const e = encoded(['a'], [{ key: 'a', state: 'unrecoverable', message: 'm'.repeat(1024) }], limit);
      expect(e).toMatchObject({ shortened: 0, dropped: 0 });
      expect(bytes(e.text)).toBe(limit);
    });

    it('cuts a message one byte too long, ending it with an ellipsis, exactly at the limit', () => {
      const head = 'h1 1 rx\n0 ';
      const limit = bytes(head) + 100;
      const e = encoded(['a'], [{ key: 'a', state: 'unrecoverable', message: 'm'.repeat(101) }], limit);
      expect(e).toMatchObject({ shortened: 1, dropped: 0 });
      expect(bytes(e.text)).toBe(limit);
      expect(e.text.endsWith('m…')).toBe(true);
    });

    it('never splits a multi-byte character', () => {
      const e = encoded(['a'], [{ key: 'a', state: 'unrecoverable', message: 'é'.repeat(100) }], 'h1 1 rx\n0 '.length + 50);
      expect(e.text).not.toContain('\uFFFD');
      expect(Buffer.from(e.text).toString('utf8')).toBe(e.text);
      expect(bytes(e.text)).toBeLessThanOrEqual('h1 1 rx\n0 '.length + 50);
    });

    it('shares the room fairly among many long messages, unrecoverable ones first', () => {
      const keys = keysOf(3000);
      const results = cycling(keys, ['unrecoverable', 'unsatisfied'], (i) => `partition ${i}: ${'why '.repeat(300)}`);
      const e = encoded(keys, results);
      expect(bytes(e.text)).toBeLessThanOrEqual(TERMINATION_MESSAGE_LIMIT);
      const decoded = decodeCompactVerdict(e.text, keys);
      if (!decoded.ok) throw new Error(decoded.message);
      const withMessage = [...decoded.results.values()].filter((r) => r.message !== undefined);
      expect(withMessage.length).toBeGreaterThan(0);
      expect(withMessage.every((r) => r.state === 'unrecoverable')).toBe(true);
      expect(e.dropped).toBe(3000 - withMessage.length);
    });

    it('gives short unrecoverable messages room before long unsatisfied ones', () => {
      const e = encoded(['a', 'b'], [{ key: 'a', state: 'unsatisfied', message: 'u'.repeat(1000) }, { key: 'b', state: 'unrecoverable', message: 'file gone' }], 60);
      expect(e.text).toContain('\n1 file gone');
      expect(bytes(e.text)).toBeLessThanOrEqual(60);
    });
  });
});

describe('decodeCompactVerdict', () => {
  const asked = ['a', 'b', 'c', 'd'];

  it('reads states in request order, messages by index, and leaves `?` unknown', () => {
    expect(decodeCompactVerdict('h1 4 rs2x?\n2 source gone\n', asked)).toEqual({
      ok: true,
      results: new Map([
        ['a', { state: 'satisfied' }],
        ['b', { state: 'satisfied' }],
        ['c', { state: 'unrecoverable', message: 'source gone' }],
      ]),
      missing: ['d'],
      unexpected: [],
    });
  });

  it('reads packed states', () => {
    const decoded = decodeCompactVerdict('h1 4 pEQ', asked);
    expect(decoded.ok && [...decoded.results.values()].map((r) => r.state)).toEqual(['satisfied', 'unsatisfied', 'satisfied', 'unsatisfied']);
  });

  it.each([
    ['no header', 'satisfied', 'the first line must be "h1 <count> r<runs>|p<packed>", not "satisfied"'],
    ['another version', 'h2 4 rs4', 'the first line must be'],
    ['a count that is not the number asked', 'h1 3 rs3', 'it answers 3 partitions, 4 were asked'],
    ['an unknown state', 'h1 4 rs3y', 'unknown state "y" (s, u, x or ?)'],
    ['runs that hold too many states', 'h1 4 rs5', 'the runs hold more than 4 states'],
    ['runs that hold too few states', 'h1 4 rs3', 'the runs hold 3 states, not 4'],
    ['a zero run', 'h1 4 rs0s4', 'the runs hold more than 4 states'],
    ['runs starting with a count', 'h1 4 r4s', 'the runs must start with a state'],
    ['packed states of the wrong length', 'h1 4 pE', '1 packed characters cannot hold 4 states'],
    ['a packed character outside base64url', 'h1 4 pE+', '"+" is not a base64url character'],
    ['a message line without an index', 'h1 4 rs4\ngone', 'a message line must be "<index> <message>", not "gone"'],
    ['a message beyond the batch', 'h1 4 rs4\n4 gone', 'a message for partition 4 of 4'],
    ['a message for a partition without verdict', 'h1 4 rs3?\n3 gone', 'a message for partition 3, which has no verdict'],
    ['two messages for one partition', 'h1 4 rs4\n1 a\n1 b', 'two messages for partition 1'],
  ])('fails the batch on %s', (_name, text, message) => {
    const decoded = decodeCompactVerdict(text, asked);
    expect(decoded).toMatchObject({ ok: false, reason: 'CheckerFailed' });
    expect(!decoded.ok && decoded.message).toContain(`malformed compact verdict: ${message}`);
  });

  it('round-trips any verdict that fits: states exactly, messages cut only at the end', () => {
    const state = fc.constantFrom<CheckerState | undefined>('satisfied', 'unsatisfied', 'unrecoverable', undefined);
    const message = fc.option(fc.string({ minLength: 1, maxLength: 200 }).map((m) => m.replace(/\s+/g, ' ').trim()), { nil: undefined });
    fc.assert(
      fc.property(fc.array(fc.tuple(state, message), { maxLength: 300 }), fc.integer({ min: 120, max: TERMINATION_MESSAGE_LIMIT }), (rows, limit) => {
        const keys = keysOf(rows.length);
        const results: CheckerResult[] = rows.flatMap(([s, m], i) => (s === undefined ? [] : [{ key: keys[i] as string, state: s, ...(m !== undefined && m !== '' ? { message: m } : {}) }]));
        const e = encodeCompactVerdict(keys, results, limit);
        if (!e.ok) return;
        expect(bytes(e.text)).toBeLessThanOrEqual(limit);
        const decoded = decodeCompactVerdict(e.text, keys);
        if (!decoded.ok) throw new Error(decoded.message);
        for (const r of results) {
          const got = decoded.results.get(r.key);
          expect(got?.state).toBe(r.state);
          if (got?.message !== undefined) expect(got.message === r.message || (got.message.endsWith('…') && (r.message ?? '').startsWith(got.message.slice(0, -1)))).toBe(true);
        }
        expect(decoded.missing).toEqual(keys.filter((k) => !results.some((r) => r.key === k)));
      }),
      { numRuns: 300 },
    );
  });
});

describe('decodeTerminationMessage', () => {
  it('reads a compact verdict', () => {
    expect(decodeTerminationMessage('h1 1 rs', ['a'])).toMatchObject({ ok: true, results: new Map([['a', { state: 'satisfied' }]]) });
  });

  it('reads a JSON verdict too (a checker written without the SDK)', () => {
    expect(decodeTerminationMessage('{"results":[{"key":"a","state":"unsatisfied"}]}', ['a'])).toMatchObject({ ok: true, results: new Map([['a', { state: 'unsatisfied' }]]) });
  });

  it.each([
    ['an empty message', '', 'the checker wrote no verdict to its termination message (/dev/termination-log)'],
    ['more than the kubelet keeps', `h1 1 rs\n${'x'.repeat(5000)}`, 'the termination message is 5008 bytes, more than 4096'],
    ['malformed JSON', '{"results": [', 'the verdict is not JSON'],
  ])('fails the batch on %s', (_name, text, message) => {
    const decoded = decodeTerminationMessage(text, ['a']);
    expect(decoded).toMatchObject({ ok: false, reason: 'CheckerFailed' });
    expect(!decoded.ok && decoded.message).toContain(message);
  });
});
