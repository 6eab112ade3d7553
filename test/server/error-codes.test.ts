import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode } from '../../src/common/errors.js';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
const codes = Object.keys(ERROR_CODES) as ErrorCode[];

describe('docs/errors.md', () => {
  it.each(codes)('documents %s with its HTTP status', (code) => {
    const { http, kind } = ERROR_CODES[code];
    expect(doc).toContain(`\n## ${code} (${http})\n`);
    expect(doc).toContain(`| ${code} | ${http} | ${kind} |`);
    const section = doc.split(`\n## ${code} (${http})\n`)[1]?.split('\n## ')[0] ?? '';
    expect(section.trim().length).toBeGreaterThan(40);
  });

  it('documents no code that the catalogue lacks', () => {
    const documented = [...doc.matchAll(/^## ([A-Z_]+) \(\d+\)$/gm)].map((m) => m[1]);
    expect(documented.filter((c) => !(c !== undefined && c in ERROR_CODES))).toEqual([]);
  });
});
