import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { take, tempEngine } from './helpers.js';

describe('JavaScript scalar functions and model introspection', () => {
  let engine: Engine;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ engine, cleanup } = await tempEngine());
  });
  afterEach(async () => cleanup());

  it('runs a CREATE FUNCTION over every row; a throwing row goes to dead letters', async () => {
    await engine.execute(`
      CREATE STREAM s (a DOUBLE, b DOUBLE) WITH (partitions = 1);
      CREATE FUNCTION mul(a DOUBLE, b DOUBLE) RETURNS DOUBLE LANGUAGE javascript AS 'if (b < 0) throw new Error("negative"); return a * b';
      INSERT INTO s VALUES (2, 3), (4, -1), (5, 5);`);
    const [res] = await engine.execute('SELECT a, mul(a, b) AS m FROM s', { bounded: true });
    expect((await take(res, 10)).map((r) => r.values)).toEqual([
      [2, 6],
      [5, 25],
    ]);
    const q = engine.queries()[0]!;
    expect(q.deadLetters).toBe(1);
    const [dlq] = await engine.execute(`SELECT reason, row FROM ${q.id}_dlq`, { bounded: true });
    expect((await take(dlq, 10)).map((r) => r.values)).toEqual([["SELECT m := mul(a, b): function 'mul': negative", '{"a":4,"b":-1}']]);
  });

  it('describes a model: signature, version, provider and checksum', async () => {
    await engine.execute("CREATE MODEL fraud INPUT (features ARRAY<FLOAT>(30)) OUTPUT (score FLOAT) WITH (path = 'models/fraud.onnx')");
    const [d] = await engine.execute('DESCRIBE MODEL fraud');
    const props = new Map(d?.kind === 'rows' ? d.rows.map((r) => [r[0], r[1]]) : []);
    expect(props.get('version')).toBe(1);
    expect(props.get('provider')).toBe('cpu');
    expect(String(props.get('checksum'))).toMatch(/^[0-9a-f]{64}$/);
    await expect(engine.execute("CREATE MODEL bad INPUT (features ARRAY<FLOAT>(12)) OUTPUT (score FLOAT) WITH (path = 'models/fraud.onnx')")).rejects.toMatchObject({ code: 'MODEL_SCHEMA_MISMATCH' });
  });
});
