/** FORMAT and PRINTF refuse a field width that would build a string past the engine's limit (docs/security.md). */
import { describe, expect, it } from 'vitest';
import { formatBraces, printfPercent } from '../../src/exec/format-functions.js';

describe('FORMAT and PRINTF field widths', () => {
  it('pad up to the limit and refuse beyond it', () => {
    expect(printfPercent('%05d', 42)).toBe('00042');
    expect(formatBraces('{:>4}|', 'a')).toBe('   a|');
    expect(printfPercent('%1048576d', 1)).toHaveLength(1_048_576);
    expect(() => printfPercent('%0999999999d', 1)).toThrow('a field width of 999999999 would build a string of more than the 1048576 characters allowed');
    expect(() => formatBraces('{:>999999999}', 'a')).toThrow('a field width of 999999999 would build a string of more than the 1048576 characters allowed');
  });
});
