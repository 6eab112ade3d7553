/**
 * Runs rewrite-rule fixtures: each is SQL in and the plan text the rule leaves out (or `null`
 * when the rule must change nothing), read from the rule's section of EXPLAIN VERBOSE.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../src/engine/engine.js';

export interface RuleFixture {
  readonly name: string;
  readonly sql: string;
  /** The plan after the rule, one node per line; null: the rule changes nothing. */
  readonly expected: readonly string[] | null;
}

/** The relations every fixture can read. */
const SETUP = [
  "CREATE STREAM tx (tx_id STRING, card_id STRING, amount DOUBLE, note STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH (partitions = 1)",
  "CREATE STREAM hot_tx (card_id STRING, amount DOUBLE, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (partitions = 1, 'aggregate.salt' = 4)",
  "CREATE STREAM paired_tx (card_id STRING, amount DOUBLE) WITH (partitions = 1, 'aggregate.two_phase' = true)",
  'CREATE TABLE cards (card_id STRING PRIMARY KEY, owner STRING, limit_amount DOUBLE)',
];

/** The `Rule <rule>:` section of EXPLAIN VERBOSE, as lines; null when there is none. */
async function ruleSection(engine: Engine, rule: string, sql: string): Promise<string[] | null> {
  const [r] = await engine.execute(`EXPLAIN VERBOSE ${sql}`);
  if (r?.kind !== 'explain') throw new Error(`not an explain result: ${r?.kind}`);
  const section = r.text.split('\n\n').find((s) => s.startsWith(`Rule ${rule}:\n`));
  return section ? section.split('\n').slice(1) : null;
}

export function describeRule(rule: string, fixtures: readonly RuleFixture[]): void {
  describe(`rewrite rule ${rule}`, () => {
    let dir: string;
    let engine: Engine;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'sluice-rules-'));
      engine = await Engine.open({ dataDir: dir });
      for (const s of SETUP) await engine.execute(s);
    });
    afterAll(async () => {
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    });
    for (const f of fixtures) {
      it(f.name, async () => {
        expect(await ruleSection(engine, rule, f.sql)).toEqual(f.expected);
      });
    }
  });
}
