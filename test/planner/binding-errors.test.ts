/**
 * Binding errors render with the line, a caret under the offending text and a hint. The expected
 * text lives in binding-errors.expected.json; SLUICE_UPDATE_EXPECTED=1 rewrites it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SluiceError } from '../../src/common/errors.js';
import type { Engine } from '../../src/engine/engine.js';
import { tempEngine } from '../engine/helpers.js';

const FILE = new URL('./binding-errors.expected.json', import.meta.url);
const cases = JSON.parse(readFileSync(FILE, 'utf8')) as [string, string][];
const update = process.env['SLUICE_UPDATE_EXPECTED'] === '1';

describe('binding errors point at the SQL', () => {
  let engine: Engine;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ engine, cleanup } = await tempEngine());
    await engine.execute(`
      CREATE STREAM tx (tx_id STRING, card_id STRING, amount DOUBLE, ts TIMESTAMP(3)) WITH (key = 'card_id');
      CREATE TABLE cards (card_id STRING PRIMARY KEY, owner STRING);
      CREATE TABLE accounts (account_id STRING PRIMARY KEY, owner STRING);`);
  });
  afterAll(async () => {
    if (update) writeFileSync(FILE, JSON.stringify(cases, null, 2) + '\n');
    await cleanup();
  });

  it.each(cases.map((c, i) => [i, ...c] as const))('case %i: %s', async (i, sql, expected) => {
    let rendered = 'NO ERROR';
    try {
      const results = await engine.execute(sql);
      for (const r of results) if (r.kind === 'push') r.cancel();
    } catch (err) {
      expect(err).toBeInstanceOf(SluiceError);
      rendered = (err as SluiceError).render();
    }
    if (update) cases[i]![1] = rendered;
    else expect(rendered).toBe(expected);
    expect(rendered).toMatch(/^ERROR \[[A-Z_]+\]: .+\nLINE \d+: .+\n +\^+/);
  });
});
