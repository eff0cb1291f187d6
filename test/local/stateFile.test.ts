import { describe, expect, it } from '@jest/globals';
import { fromEarlierProcess } from '../../src/local/stateFile.js';

describe('observations saved by an earlier process', () => {
  it('show until checked again: satisfied and unrecoverable are kept, dated 0 (due for a check now, never fresh)', () => {
    expect(
      fromEarlierProcess([
        ['a', { verdict: 'satisfied', at: 1_000 }],
        ['b', { verdict: 'unrecoverable', at: 2_000, message: 'no source' }],
      ]),
    ).toEqual([
      ['a', { verdict: 'satisfied', at: 0 }],
      ['b', { verdict: 'unrecoverable', at: 0, message: 'no source' }],
    ]);
  });

  it('decide nothing: unsatisfied and unknown are dropped, so the node is checked before any action', () => {
    expect(
      fromEarlierProcess([
        ['a', { verdict: 'unsatisfied', at: 1_000 }],
        ['b', { verdict: 'unknown', at: 2_000, reason: 'CheckerTimeout' }],
      ]),
    ).toEqual([]);
  });
});
