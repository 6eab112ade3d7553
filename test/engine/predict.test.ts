import * as ort from 'onnxruntime-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { txEvent } from '../../src/connectors/datagen.js';
import type { Engine } from '../../src/engine/engine.js';
import { take, tempEngine } from './helpers.js';

const DDL = `
CREATE STREAM tx (tx_id STRING, card_id STRING, amount DOUBLE, features ARRAY<FLOAT>(30), ts TIMESTAMP(3)) WITH (key = 'card_id');
CREATE TABLE card_features (card_id STRING PRIMARY KEY, avg_amount_30d DOUBLE);
CREATE MODEL fraud INPUT (features ARRAY<FLOAT>(30)) OUTPUT (score FLOAT) WITH (path = 'models/fraud.onnx', 'batch.max_rows' = 64, 'batch.max_wait' = '2ms');
`;

function literalRow(n: number): string {
  const r = txEvent(n);
  return `('${r.tx_id}', '${r.card_id}', ${r.amount}, ARRAY[${Array.from(r.features).join(', ')}], TIMESTAMP '2024-01-01 00:00:00')`;
}

describe('predict() in SQL', () => {
  let engine: Engine;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ engine, cleanup } = await tempEngine());
    await engine.execute(DDL);
  });
  afterEach(async () => cleanup());

  it('scores every row exactly as a direct onnxruntime call does, in order, with the version', async () => {
    const n = 300;
    await engine.execute(`INSERT INTO tx VALUES ${Array.from({ length: n }, (_, i) => literalRow(i)).join(', ')}`);
    const [res] = await engine.execute("SELECT tx_id, predict('fraud', features) AS score, model_version('fraud') AS v FROM tx", { bounded: true });
    const rows = await take(res, n);
    expect(rows).toHaveLength(n);

    const session = await ort.InferenceSession.create('models/fraud.onnx');
    const features = new Float32Array(n * 30);
    for (let i = 0; i < n; i++) features.set(Float32Array.from(txEvent(i).features), i * 30);
    const out = await session.run({ features: new ort.Tensor('float32', features, [n, 30]) });
    const direct = out['score']!.data as Float32Array;
    const byId = new Map(rows.map((r) => [r.values[0] as string, r.values]));
    for (let i = 0; i < n; i++) {
      const row = byId.get(txEvent(i).tx_id)!;
      expect(row[1]).toBe(direct[i]);
      expect(row[2]).toBe(1);
    }

    const [d] = await engine.execute('DESCRIBE MODEL fraud');
    const props = new Map(d?.kind === 'rows' ? d.rows.map((r) => [r[0], r[1]]) : []);
    expect(props.get('rows_scored')).toBe(n);
    expect(props.get('input')).toBe('features ARRAY<FLOAT>(30)');
    expect(props.get('file_input')).toBe('features float32 [batch, 30]');
    expect(props.get('option batch.max_rows')).toBe('64');
    expect(Number(props.get('batches'))).toBeGreaterThanOrEqual(Math.ceil(n / 64));
    expect(String(props.get('batch_size'))).toMatch(/^mean \d+\.\d rows; (<=\d+: \d+(, )?)+$/);
    expect(String(props.get('latency_ms'))).toMatch(/^min [\d.]+, p50 [\d.]+, p99 [\d.]+, max [\d.]+ /);
  });

  it('sends rows whose inputs are NULL or of the wrong width to the dead-letter stream', async () => {
    await engine.execute(`CREATE STREAM raw (id STRING, f ARRAY<FLOAT>)`);
    await engine.execute(`INSERT INTO raw VALUES ('ok', ARRAY[${Array(30).fill(1).join(',')}]), ('short', ARRAY[1, 2, 3]), ('null', NULL)`);
    const [res] = await engine.execute("SELECT id, predict('fraud', f) AS score FROM raw", { bounded: true });
    const rows = await take(res, 10);
    expect(rows.map((r) => r.values[0])).toEqual(['ok']);
    const q = engine.queries().find((x) => x.kind === 'push');
    expect(q?.deadLetters).toBe(2);
    const [dlq] = await engine.execute(`SELECT reason FROM ${q!.id}_dlq`, { bounded: true });
    const reasons = (await take(dlq, 10)).map((r) => r.values[0]).sort();
    expect(reasons).toEqual([
      "predict('fraud'): an input value is NULL",
      "predict('fraud'): the row has 3 input values; model 'fraud' takes 30",
    ]);
  });

  it('rejects a predict() whose inputs do not match the model, pointing at the call', async () => {
    await expect(engine.execute("SELECT predict('fraud', amount) FROM tx")).rejects.toMatchObject({ code: 'SCHEMA_MISMATCH' });
    await expect(engine.execute("SELECT predict('fruad', features) FROM tx")).rejects.toMatchObject({ code: 'UNKNOWN_MODEL', hint: "did you mean 'fraud'?" });
  });
});
