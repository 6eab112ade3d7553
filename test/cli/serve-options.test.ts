import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { consoleMode, duration, limitsOf, positiveInt, resolveToken } from '../../src/cli/serve-options.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-token-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('resolveToken', () => {
  it('takes --token, then --token-file, then SLUICE_TOKEN, else none', () => {
    expect(resolveToken({ token: 'a' }, { SLUICE_TOKEN: 'env' })).toBe('a');
    expect(resolveToken({ tokenFile: file('t1', 'from-file\n') }, { SLUICE_TOKEN: 'env' })).toBe('from-file');
    expect(resolveToken({}, { SLUICE_TOKEN: 'env' })).toBe('env');
    expect(resolveToken({}, {})).toBeUndefined();
  });

  it('refuses an empty token from any source instead of turning authentication off', () => {
    expect(() => resolveToken({ token: '' }, {})).toThrow(/--token gives an empty token/);
    expect(() => resolveToken({}, { SLUICE_TOKEN: '' })).toThrow(/SLUICE_TOKEN gives an empty token/);
    expect(() => resolveToken({ tokenFile: file('t2', '\n') }, {})).toThrow(/--token-file .* gives an empty token/);
    expect(() => resolveToken({ tokenFile: file('t3', '   ') }, {})).toThrow(/empty token/);
  });

  it('refuses blanks inside, two sources at once and an unreadable file, never showing the token', () => {
    const attempts = [() => resolveToken({ token: 'se cret' }, {}), () => resolveToken({ token: 'secret', tokenFile: 'x' }, {}), () => resolveToken({ tokenFile: join(dir, 'missing') }, {})];
    for (const attempt of attempts) {
      let message = '';
      try {
        attempt();
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).not.toBe('');
      expect(message).not.toContain('secret');
    }
  });
});

describe('limit flags', () => {
  it('parse positive integers and durations', () => {
    expect(positiveInt('100')).toBe(100);
    expect(() => positiveInt('0')).toThrow();
    expect(() => positiveInt('1.5')).toThrow();
    expect(duration('30s')).toBe(30_000);
    expect(duration('365d')).toBe(365 * 86_400_000);
    expect(() => duration('0s')).toThrow();
    expect(() => duration('soon')).toThrow();
  });

  it('split into planner and server limits, leaving out those not given', () => {
    expect(limitsOf({ maxWindowsPerRow: 10, maxStatements: 5, pushStallTimeout: 1000 })).toEqual({
      plan: { maxWindowsPerRow: 10 },
      server: { maxStatements: 5, pushStallTimeoutMs: 1000 },
    });
  });
});

describe('--console', () => {
  it("takes 'read-write' or 'read-only' and refuses anything else with the choices", () => {
    expect(consoleMode('read-only')).toBe('read-only');
    expect(consoleMode('read-write')).toBe('read-write');
    expect(() => consoleMode('readonly')).toThrow(/'read-write' or 'read-only'/);
  });
});
