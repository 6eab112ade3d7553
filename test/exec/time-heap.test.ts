import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/connectors/rng.js';
import { TimeHeap } from '../../src/exec/time-heap.js';

describe('TimeHeap', () => {
  it('pops items in time order, ties and interleaved pushes included', () => {
    const rng = new Rng(3);
    const heap = new TimeHeap<number>();
    const held: [number, number][] = [];
    const popped: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const t = rng.nextInt(300);
      heap.push(t, i);
      held.push([t, i]);
      if (i % 3 === 0) {
        const min = Math.min(...held.map((h) => h[0]));
        expect(heap.minTime).toBe(min);
        const item = heap.pop()!;
        const at = held.findIndex((h) => h[1] === item);
        expect(held[at]![0]).toBe(min);
        held.splice(at, 1);
        popped.push(min);
      }
    }
    expect(heap.size).toBe(held.length);
    const rest: number[] = [];
    while (heap.size > 0) {
      const t = heap.minTime;
      heap.pop();
      rest.push(t);
    }
    expect(rest).toEqual(held.map((h) => h[0]).sort((a, b) => a - b));
    expect(heap.pop()).toBeUndefined();
    expect(heap.minTime).toBe(Infinity);
  });
});
