/** GET /v1/catalog's summary from a real catalog: what the shell completes from. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { tempEngine } from './helpers.js';

describe('catalog summary', () => {
  let engine: Engine;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ engine, cleanup } = await tempEngine());
  });
  afterEach(async () => cleanup());

  it('lists relations with their kinds and columns, and the WITH option keys of relations, connectors and models', async () => {
    await engine.execute(`
      CREATE STREAM tx (tx_id STRING, amount DOUBLE, ts TIMESTAMP(3)) WITH (partitions = 2);
      CREATE TABLE cards (card_id STRING PRIMARY KEY, tier STRING);
      CREATE MATERIALIZED VIEW big AS SELECT tx_id, amount FROM tx WHERE amount > 10;
    `);
    const s = engine.catalogSummary();
    expect(s.relations).toEqual(
      expect.arrayContaining([
        { name: 'tx', kind: 'stream', columns: [{ name: 'tx_id', type: 'STRING' }, { name: 'amount', type: 'DOUBLE' }, { name: 'ts', type: 'TIMESTAMP(3)' }] },
        { name: 'cards', kind: 'table', columns: [{ name: 'card_id', type: 'STRING' }, { name: 'tier', type: 'STRING' }] },
        { name: 'big', kind: 'view', columns: [{ name: 'tx_id', type: 'STRING' }, { name: 'amount', type: 'DOUBLE' }] },
      ]),
    );
    expect(s.options).toEqual(expect.arrayContaining(['partitions', 'retention', 'bootstrap.servers', 'rows.per.second', 'batch.max_rows', 'nexmark.table', 'updates.topic', 'updates.brokers', 'updates.as']));
  });
});
