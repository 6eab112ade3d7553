/** The heap growth limit by heap size: up to 300% for a small heap, down to 50% as it nears 192 MiB in use, 50% past 256 MiB. */
import { describe, expect, it } from 'vitest';
import { heapGrowthPercent } from '../../src/engine/heap-growth.js';

const MIB = 1024 * 1024;

describe('heapGrowthPercent', () => {
  it('lets a small heap grow to four times its survivors, a larger one to twice, one past 128 MiB in use by half', () => {
    expect(heapGrowthPercent(16 * MIB, 4 * MIB)).toBe(300);
    expect(heapGrowthPercent(80 * MIB, 40 * MIB)).toBe(300);
    expect(heapGrowthPercent(100 * MIB, 64 * MIB)).toBe(200);
    expect(heapGrowthPercent(120 * MIB, 96 * MIB)).toBe(100);
    expect(heapGrowthPercent(160 * MIB, 128 * MIB)).toBe(50);
    expect(heapGrowthPercent(200 * MIB, 150 * MIB)).toBe(50);
    expect(heapGrowthPercent(256 * MIB, 250 * MIB)).toBe(50);
  });

  it('keeps the next limit of a small heap near 192 MiB', () => {
    for (const used of [20, 48, 64, 80, 96, 112, 128]) expect((used * MIB * (100 + heapGrowthPercent(2 * used * MIB, used * MIB))) / 100).toBeLessThanOrEqual(192 * MIB);
  });

  it('limits a heap past 256 MiB to 50%', () => {
    expect(heapGrowthPercent(300 * MIB, 200 * MIB)).toBe(50);
    expect(heapGrowthPercent(1024 * MIB, 900 * MIB)).toBe(50);
  });
});
