import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { txEvent } from '../../src/connectors/datagen.js';
import type { Engine } from '../../src/engine/engine.js';
import { batchFromRows } from '../../src/exec/columns.js';
import { encodeBatch } from '../../src/exec/ipc.js';
import { take, tempEngine } from './helpers.js';
import { T, arrayOf } from '../../src/common/types.js';

const FIELDS = [
  { name: 'tx_id', type: T.STRING, nullable: false },
  { name: 'features', type: arrayOf(T.FLOAT, 30), nullable: false },
];

describe('ALTER MODEL under load', () => {
  let engine: Engine;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ engine, cleanup } = await tempEngine());
    await engine.execute(`
      CREATE STREAM tx (tx_id STRING, features ARRAY<FLOAT>(30)) WITH (partitions = 1);
      CREATE MODEL fraud INPUT (features ARRAY<FLOAT>(30)) OUTPUT (score FLOAT) WITH (path = 'models/fraud.onnx', 'batch.max_rows' = 32, 'batch.max_wait' = '1ms');
    `);
  });
  afterEach(async () => cleanup());

  it('switches versions between batches without losing or repeating a row', async () => {
    const chunks = 40;
    const per = 50;
    const [res] = await engine.execute("SELECT tx_id, predict('fraud', features) AS score, model_version('fraud') AS v FROM tx");
    const reading = take(res, chunks * per, 30_000);
    for (let c = 0; c < chunks; c++) {
      const rows = Array.from({ length: per }, (_, i) => {
        const e = txEvent(c * per + i);
        return { tx_id: e.tx_id, features: e.features };
      });
      await engine.log.append('tx', 0, encodeBatch(batchFromRows(FIELDS, rows)), per);
      if (c === chunks / 2) await engine.execute("ALTER MODEL fraud SET (path = 'models/fraud-mlp.onnx')");
      await new Promise((r) => setTimeout(r, 2));
    }
    const out = await reading;
    const ids = out.map((r) => r.values[0] as string);
    expect(ids).toHaveLength(chunks * per);
    expect(new Set(ids).size).toBe(chunks * per);
    expect(ids).toEqual(Array.from({ length: chunks * per }, (_, n) => txEvent(n).tx_id));
    const versions = out.map((r) => r.values[2] as number);
    expect(new Set(versions)).toEqual(new Set([1, 2]));
    const firstV2 = versions.indexOf(2);
    expect(versions.slice(firstV2).every((v) => v === 2)).toBe(true);
  });
});
