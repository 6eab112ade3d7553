/** The heap growth limit by heap size: 300% up to 128 MiB, 100% up to 256 MiB, 50% past it. */
import { describe, expect, it } from 'vitest';
import { heapGrowthPercent } from '../../src/engine/heap-growth.js';

const MIB = 1024 * 1024;

describe('heapGrowthPercent', () => {
  it('lets a small heap grow to four times its survivors, and limits a large one more', () => {
    expect(heapGrowthPercent(1 * MIB)).toBe(300);
    expect(heapGrowthPercent(64 * MIB)).toBe(300);
    expect(heapGrowthPercent(128 * MIB)).toBe(300);
    expect(heapGrowthPercent(129 * MIB)).toBe(100);
    expect(heapGrowthPercent(200 * MIB)).toBe(100);
    expect(heapGrowthPercent(256 * MIB)).toBe(100);
    expect(heapGrowthPercent(300 * MIB)).toBe(50);
    expect(heapGrowthPercent(1024 * MIB)).toBe(50);
  });
});
