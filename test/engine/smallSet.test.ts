import { SmallSet } from '../../src/engine/smallSet.js';

describe('SmallSet', () => {
  it('holds values as a Set does: once each, in insertion order', () => {
    const set = new SmallSet<string>();
    expect(set.size).toBe(0);
    expect([...set]).toEqual([]);
    set.add('b').add('a').add('b');
    expect(set.size).toBe(2);
    expect(set.has('a')).toBe(true);
    expect(set.has('c')).toBe(false);
    expect([...set]).toEqual(['b', 'a']);
    expect(set.delete('b')).toBe(true);
    expect(set.delete('b')).toBe(false);
    expect([...set]).toEqual(['a']);
  });

  it('lets a loop delete what it visits, and sees what is added meanwhile', () => {
    const set = new SmallSet<number>();
    set.add(1).add(2);
    const seen: number[] = [];
    for (const n of set) {
      seen.push(n);
      set.delete(n);
      if (n === 1) set.add(3);
    }
    expect(seen).toEqual([1, 2, 3]);
    expect(set.size).toBe(0);
  });

  it('deletes nothing from an empty set', () => {
    expect(new SmallSet<string>().delete('a')).toBe(false);
  });
});
