import fc from 'fast-check';
import { TimerHeap } from '../../src/engine/timerHeap.js';

describe('TimerHeap', () => {
  it('pops what is due, earliest first and, at equal times, in the order pushed', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 200 }), fc.integer({ min: 0, max: 6 }), (times, now) => {
        const heap = new TimerHeap<number>();
        times.forEach((t, i) => heap.push(t, i));
        const due = heap.popDue(now).map((d) => d.item);
        const expected = times.map((t, i) => ({ t, i })).filter((x) => x.t <= now).sort((a, b) => a.t - b.t || a.i - b.i).map((x) => x.i);
        expect(due).toEqual(expected);
        expect(heap.size).toBe(times.length - expected.length);
      }),
    );
  });

  it('ignores times that are not finite', () => {
    const heap = new TimerHeap<string>();
    heap.push(Infinity, 'never');
    expect(heap.size).toBe(0);
  });
});
