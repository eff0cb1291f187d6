import { describe, expect, it } from '@jest/globals';
import { readersLast } from './ownerOrder.js';

describe('readersLast', () => {
  it('puts every owner after the owners it reads, roots in sorted order', () => {
    const reads = new Map([
      ['report', ['raw', 'dims']],
      ['raw', []],
      ['dims', ['raw']],
      ['other', []],
    ]);
    expect(readersLast(reads)).toEqual(['raw', 'dims', 'other', 'report']);
  });

  it('leaves out keys it does not know and cuts cycles', () => {
    expect(readersLast(new Map([['a', ['b', 'gone']], ['b', ['a']]]))).toEqual(['b', 'a']);
  });

  it('walks a chain of 200,000 owners without overflowing the call stack', () => {
    const length = 200_000;
    const reads = new Map<string, string[]>();
    // e0000000 reads e0000001, which reads e0000002...: the first root in sorted order is the chain's far end.
    for (let i = 0; i < length; i++) reads.set(`e${String(i).padStart(7, '0')}`, i === length - 1 ? [] : [`e${String(i + 1).padStart(7, '0')}`]);
    const order = readersLast(reads);
    expect(order).toHaveLength(length);
    expect(order[0]).toBe('e0199999');
    expect(order[length - 1]).toBe('e0000000');
  });
});
