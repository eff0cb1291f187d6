import { describe, expect, it } from '@jest/globals';
import { MAX_VERDICT_BYTES, parseVerdict, tail } from '../../src/checkers/protocol.js';

const asked = ['date=2026-11-18', 'date=2026-11-19'];
const json = (value: unknown) => JSON.stringify(value);

describe('parseVerdict', () => {
  it('reads one verdict per partition', () => {
    const parsed = parseVerdict(json({ results: [{ key: 'date=2026-11-18', state: 'satisfied' }, { key: 'date=2026-11-19', state: 'unrecoverable', message: 'source gone' }] }), asked);
    expect(parsed).toEqual({
      ok: true,
      results: new Map([
        ['date=2026-11-18', { state: 'satisfied' }],
        ['date=2026-11-19', { state: 'unrecoverable', message: 'source gone' }],
      ]),
      missing: [],
      unexpected: [],
    });
  });

  it('leaves partitions it was not told about unknown', () => {
    const parsed = parseVerdict(json({ results: [{ key: 'date=2026-11-19', state: 'unsatisfied' }] }), asked);
    expect(parsed).toMatchObject({ ok: true, missing: ['date=2026-11-18'] });
  });

  it('ignores answers about partitions it did not ask', () => {
    const parsed = parseVerdict(json({ results: [{ key: 'date=1999-01-01', state: 'satisfied' }] }), asked);
    expect(parsed).toMatchObject({ ok: true, unexpected: ['date=1999-01-01'], missing: asked });
  });

  it('accepts bytes as well as text', () => {
    expect(parseVerdict(Buffer.from(json({ results: [] })), asked).ok).toBe(true);
  });

  it('cuts long messages', () => {
    const parsed = parseVerdict(json({ results: [{ key: asked[0], state: 'unsatisfied', message: 'x'.repeat(5000) }] }), asked);
    expect(parsed.ok && parsed.results.get(asked[0] as string)?.message).toHaveLength(1024);
  });

  it.each([
    ['empty output', '', 'the checker printed no verdict'],
    ['whitespace only', '  \n', 'the checker printed no verdict'],
    ['not JSON', 'OK', 'the verdict is not JSON'],
    ['a list instead of an object', '[]', 'the verdict must be an object with a results list'],
    ['no results', json({ verdicts: [] }), 'the verdict must be an object with a results list'],
    ['a result that is not an object', json({ results: ['ok'] }), 'results[0] must be an object'],
    ['a result without key', json({ results: [{ state: 'satisfied' }] }), 'results[0].key must be a string'],
    ['an unknown state', json({ results: [{ key: 'date=2026-11-18', state: 'done' }] }), 'results[0].state must be satisfied, unsatisfied or unrecoverable, not "done"'],
    ['a message that is not text', json({ results: [{ key: 'date=2026-11-18', state: 'satisfied', message: 1 }] }), 'results[0].message must be a string'],
    ['a partition answered twice', json({ results: [{ key: 'date=2026-11-18', state: 'satisfied' }, { key: 'date=2026-11-18', state: 'satisfied' }] }), 'results[1]: partition "date=2026-11-18" is answered twice'],
    ['too large output', ' '.repeat(MAX_VERDICT_BYTES + 1), `the verdict is ${MAX_VERDICT_BYTES + 1} bytes, more than ${MAX_VERDICT_BYTES}`],
  ])('fails the whole batch on %s', (_name, output, message) => {
    const parsed = parseVerdict(output, asked);
    expect(parsed).toMatchObject({ ok: false, reason: 'CheckerFailed' });
    expect(parsed.ok ? '' : parsed.message).toContain(message);
  });
});

describe('tail', () => {
  it('keeps short text as it is, without trailing space', () => {
    expect(tail('error: boom\n')).toBe('error: boom');
  });
  it('keeps the end of long text', () => {
    expect(tail(`${'a'.repeat(2000)}END`, 10)).toBe('…aaaaaaaEND');
  });
});
