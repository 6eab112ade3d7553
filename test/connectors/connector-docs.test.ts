/** docs/connectors.md is generated from the connectors' declarations and must not go stale. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { connectorDocs } from '../../src/connectors/connector-docs.js';
import { CONNECTORS, STREAM_OPTIONS } from '../../src/connectors/registry.js';

const DOC = fileURLToPath(new URL('../../docs/connectors.md', import.meta.url));

describe('docs/connectors.md', () => {
  it('is what scripts/connector-docs.ts writes from the declarations (run it after changing an option)', () => {
    expect(readFileSync(DOC, 'utf8')).toBe(connectorDocs());
  });

  it('documents every option of every connector, with a type and a sentence', () => {
    const text = connectorDocs();
    for (const c of CONNECTORS) {
      expect(text).toContain(`## \`${c.name}\``);
      for (const decls of Object.values(c.options)) {
        for (const d of decls ?? []) {
          expect(d.doc.length, `${c.name} ${d.name}`).toBeGreaterThan(10);
          expect(text).toContain(`| \`${d.name}\` |`);
        }
      }
    }
    for (const d of STREAM_OPTIONS) expect(text).toContain(`| \`${d.name}\` |`);
  });

  it('names every connector once in the registry', () => {
    const names = CONNECTORS.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
  });
});
