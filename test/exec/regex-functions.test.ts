import { describe, expect, it } from 'vitest';
import { regexpExtract, regexpFullMatch, regexpMatches, regexpReplace } from '../../src/exec/regex-functions.js';

describe('regular expressions from SQL', () => {
  it('match in time linear in the input whatever the pattern (no backtracking)', () => {
    // JavaScript's RegExp takes exponential time on these; RE2 does not.
    const long = `${'a'.repeat(200_000)}!`;
    const t0 = performance.now();
    expect(regexpMatches(long, '(a+)+$')).toBe(false);
    expect(regexpFullMatch(long, '(a|a)*b')).toBe(false);
    expect(regexpReplace(long, '(a*)*b', 'x', 'g')).toBe(long);
    expect(performance.now() - t0).toBeLessThan(5_000);
  });

  it('refuse what RE2 does not have, and bad options, with the function and pattern named', () => {
    expect(() => regexpMatches('aa', '(a)\\1')).toThrow(/REGEXP_MATCHES: invalid pattern "\(a\)\\\\1"/);
    expect(() => regexpMatches('a', '(?=a)')).toThrow(/invalid pattern/);
    expect(() => regexpMatches('a', 'a', 'x')).toThrow("REGEXP_MATCHES: unknown option 'x' (options: i, c, s, m, n, p, l)");
    expect(() => regexpMatches('a', 'a', 'g')).toThrow(/unknown option 'g'/);
    expect(() => regexpMatches('a', 'a'.repeat(10_001))).toThrow(/more than the 10000 allowed/);
    expect(() => regexpExtract('ab', '(a)', 2)).toThrow('REGEXP_EXTRACT: the pattern has 1 group, not group 2');
    expect(() => regexpReplace('ab', 'a', '\\1')).toThrow(/refers to group \\1/);
    // An empty match between every character, each replaced by a long string: refused, not built.
    expect(() => regexpReplace('a'.repeat(100_000), '', 'x'.repeat(100), 'g')).toThrow('REGEXP_REPLACE would build a string of more than the 1048576 characters allowed');
  });

  it('replace the first match, or every match with g, as RE2 (no empty match right after a match)', () => {
    expect(regexpReplace('banana', 'a', 'o')).toBe('bonana');
    expect(regexpReplace('banana', 'a', 'o', 'g')).toBe('bonono');
    expect(regexpReplace('aaa', 'a*', 'X', 'g')).toBe('X');
    expect(regexpReplace('abc', '', '-', 'g')).toBe('-a-b-c-');
    expect(regexpReplace('2024-01-15', '(\\d+)-(\\d+)-(\\d+)', '\\3.\\2.\\1')).toBe('15.01.2024');
    expect(regexpReplace('a.b', '.', '\\\\', 'gl')).toBe('a\\b');
    expect(regexpExtract('no digits', '[0-9]+')).toBe('');
  });
});
