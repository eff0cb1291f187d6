import { describe, expect, it } from '@jest/globals';
import { integerParam, requiredParam } from '../src/params.js';

describe('requiredParam', () => {
  it('answers the value', () => expect(requiredParam({ bucket: 'b' }, 'bucket')).toEqual({ ok: true, value: 'b' }));
  it('refuses an absent or blank param, naming it', () => {
    expect(requiredParam({}, 'bucket')).toEqual({ ok: false, message: 'the param bucket is required' });
    expect(requiredParam({ bucket: ' ' }, 'bucket')).toEqual({ ok: false, message: 'the param bucket is required' });
  });
});

describe('integerParam', () => {
  it('reads an integer', () => expect(integerParam({ minCount: ' 3 ' }, 'minCount', 1)).toEqual({ ok: true, value: 3 }));
  it('falls back when absent or empty', () => {
    expect(integerParam({}, 'minCount', 1)).toEqual({ ok: true, value: 1 });
    expect(integerParam({ minCount: '' }, 'minCount', undefined)).toEqual({ ok: true, value: undefined });
  });
  it('refuses what is not an integer', () => {
    for (const text of ['1.5', 'ten', '1e3', '99999999999999999999']) expect(integerParam({ n: text }, 'n', 1)).toMatchObject({ ok: false, message: expect.stringContaining('must be an integer') });
  });
  it('refuses less than the minimum', () => expect(integerParam({ n: '0' }, 'n', 1, 1)).toEqual({ ok: false, message: 'the param n must be at least 1, not 0' }));
});
