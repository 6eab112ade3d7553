import * as A from 'apache-arrow';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arrayOf, T, type DataType, type Field } from '../../src/common/types.js';
import type { BoundExpr } from '../../src/planner/bound-expr.js';
import { batchFromRows, batchToRows, fixedWidthValues } from '../../src/exec/columns.js';
import type { DeadLetter, Message, OperatorContext } from '../../src/exec/message.js';
import { PredictOperator } from '../../src/exec/operators/predict.js';
import { ModelRegistry } from '../../src/udf/model-registry.js';
import { PredictRunner } from '../../src/udf/predict-runner.js';
import { dataset, INPUTS, OUTPUTS, WIDTH } from './helpers.js';

const data = dataset();
const registry = new ModelRegistry();
let expected: Float32Array;

const f = (name: string, type: DataType): Field => ({ name, type, nullable: true });
const col = (index: number, name: string, type: DataType): BoundExpr => ({ kind: 'Column', index, name, type });
const OUT_FIELDS = [f('score', T.FLOAT), f('model_version_lr', T.INT)];

function features(r: number): number[] {
  return Array.from(data.features.subarray(r * WIDTH, (r + 1) * WIDTH));
}

/** Runs the operator over `messages`; returns what it emitted and the dead letters. */
async function run(op: PredictOperator, messages: readonly Message[]): Promise<{ out: Message[]; letters: DeadLetter[] }> {
  const out: Message[] = [];
  const letters: DeadLetter[] = [];
  const ctx: OperatorContext = {
    emit: async (m) => {
      out.push(m);
    },
    deadLetter: (l) => letters.push(l),
    signal: new AbortController().signal,
    state: { table: () => undefined as never },
  };
  await op.open(ctx);
  for (const m of messages) await op.process(m);
  await op.process({ kind: 'end' });
  await op.close();
  return { out, letters };
}

function scoredRows(out: readonly Message[], fields: readonly Field[]): unknown[][] {
  return out.flatMap((m) => (m.kind === 'data' ? batchToRows(m.batch, fields) : []));
}

beforeAll(async () => {
  await registry.register('lr', INPUTS, OUTPUTS, { path: 'models/fraud.onnx', device: 'cpu', 'batch.max_rows': 128, 'batch.max_wait': '1ms' });
  const s = await ort.InferenceSession.create('models/fraud.onnx');
  const res = await s.run({ features: new ort.Tensor('float32', data.features, [data.rows, WIDTH]) });
  expected = res['score']!.data as Float32Array;
  await s.release();
});
afterAll(() => registry.close());

describe('PredictOperator', () => {
  it('scores list columns straight from their buffers, equal to a direct call, in order', async () => {
    const input = [f('id', T.INT), f('features', arrayOf(T.FLOAT, WIDTH))];
    const batch = batchFromRows(input, Array.from({ length: data.rows }, (_, r) => ({ id: r, features: features(r) })));
    const op = new PredictOperator({ input, keep: [0], fields: [input[0]!, ...OUT_FIELDS], args: [col(1, 'features', input[1]!.type)], model: 'lr', outputs: OUTPUTS, runner: new PredictRunner(registry, 'lr', WIDTH), udfs: () => undefined });
    // The whole batch, then a slice of it (its list offsets do not start at 0).
    const { out, letters } = await run(op, [{ kind: 'data', batch }, { kind: 'data', batch: batch.slice(500) }]);
    expect(letters).toEqual([]);
    const rows = scoredRows(out, [input[0]!, ...OUT_FIELDS]);
    expect(rows).toHaveLength(data.rows + data.rows - 500);
    rows.forEach((row, i) => {
      const r = i < data.rows ? i : 500 + i - data.rows;
      expect(row).toEqual([r, expected[r], 1]);
    });
  });

  it('packs several arguments of other numeric types side by side', async () => {
    const input = [f('first', T.DOUBLE), f('rest', arrayOf(T.DOUBLE, WIDTH - 1))];
    const batch = batchFromRows(input, Array.from({ length: 100 }, (_, r) => ({ first: features(r)[0], rest: features(r).slice(1) })));
    const args = [col(0, 'first', T.DOUBLE), col(1, 'rest', input[1]!.type)];
    const op = new PredictOperator({ input, keep: [], fields: OUT_FIELDS, args, model: 'lr', outputs: OUTPUTS, runner: new PredictRunner(registry, 'lr', WIDTH), udfs: () => undefined });
    const { out } = await run(op, [{ kind: 'data', batch }]);
    expect(scoredRows(out, OUT_FIELDS).map((r) => r[0])).toEqual(Array.from(expected.subarray(0, 100)));
  });

  it('passes a BIGINT feature to the model as a number, scoring as the same DOUBLE does', async () => {
    const score = async (type: DataType, first: (r: number) => unknown): Promise<unknown[]> => {
      const input = [f('first', type), f('rest', arrayOf(T.DOUBLE, WIDTH - 1))];
      const batch = batchFromRows(input, Array.from({ length: 50 }, (_, r) => ({ first: first(r), rest: features(r).slice(1) })));
      const op = new PredictOperator({ input, keep: [], fields: OUT_FIELDS, args: [col(0, 'first', type), col(1, 'rest', input[1]!.type)], model: 'lr', outputs: OUTPUTS, runner: new PredictRunner(registry, 'lr', WIDTH), udfs: () => undefined });
      const { out, letters } = await run(op, [{ kind: 'data', batch }]);
      expect(letters).toEqual([]);
      return scoredRows(out, OUT_FIELDS).map((r) => r[0]);
    };
    const asBigint = await score(T.BIGINT, (r) => BigInt(r % 7) - 3n);
    expect(asBigint).toHaveLength(50);
    expect(asBigint).toEqual(await score(T.DOUBLE, (r) => (r % 7) - 3));
  });

  it('sends NULL and wrong-width rows to dead letters and scores the rest, with their change kinds', async () => {
    const input = [f('id', T.INT), f('features', arrayOf(T.FLOAT))];
    const values = [features(0), null, features(2), [1, 2, 3], [...features(4).slice(0, 29), null], features(5)];
    const batch = batchFromRows(input, values.map((v, id) => ({ id, features: v })));
    const op = new PredictOperator({ input, keep: [0], fields: [input[0]!, ...OUT_FIELDS], args: [col(1, 'features', input[1]!.type)], model: 'lr', outputs: OUTPUTS, runner: new PredictRunner(registry, 'lr', WIDTH), udfs: () => undefined });
    const { out, letters } = await run(op, [{ kind: 'data', batch, rowKinds: Uint8Array.from([0, 3, 2, 0, 0, 3]) }]);
    expect(scoredRows(out, [input[0]!, ...OUT_FIELDS])).toEqual([
      [0, expected[0], 1],
      [2, expected[2], 1],
      [5, expected[5], 1],
    ]);
    const data0 = out[0]!;
    expect(data0.kind === 'data' ? Array.from(data0.rowKinds ?? []) : undefined).toEqual([0, 2, 3]);
    expect(letters.map((l) => l.reason)).toEqual([
      "predict('lr'): an input value is NULL",
      "predict('lr'): the row has 3 input values; model 'lr' takes 30",
      "predict('lr'): input element 30 is NULL",
    ]);
  });

  it('emits nothing for an empty batch and passes watermarks and barriers after the rows before them', async () => {
    const input = [f('features', arrayOf(T.FLOAT, WIDTH))];
    const op = new PredictOperator({ input, keep: [], fields: OUT_FIELDS, args: [col(0, 'features', input[0]!.type)], model: 'lr', outputs: OUTPUTS, runner: new PredictRunner(registry, 'lr', WIDTH), udfs: () => undefined });
    const rows = (from: number, n: number) => batchFromRows(input, Array.from({ length: n }, (_, i) => ({ features: features(from + i) })));
    const { out } = await run(op, [
      { kind: 'data', batch: rows(0, 0) },
      { kind: 'data', batch: rows(0, 300) },
      { kind: 'watermark', time: 5 },
      { kind: 'data', batch: rows(300, 10) },
      { kind: 'barrier', epoch: 1 },
    ]);
    expect(out.map((m) => (m.kind === 'data' ? m.batch.numRows : m.kind))).toEqual([300, 'watermark', 10, 'barrier', 'end']);
  });

  it('sends the rows of a batch the model fails to dead letters', async () => {
    await registry.register('late', INPUTS, OUTPUTS, { path: 'models/slow.onnx', device: 'cpu', timeout: '1ms' });
    const input = [f('features', arrayOf(T.FLOAT, WIDTH))];
    const op = new PredictOperator({ input, keep: [], fields: OUT_FIELDS, args: [col(0, 'features', input[0]!.type)], model: 'late', outputs: OUTPUTS, runner: new PredictRunner(registry, 'late', WIDTH), udfs: () => undefined });
    const batch = batchFromRows(input, [{ features: features(0) }, { features: features(1) }]);
    const { out, letters } = await run(op, [{ kind: 'data', batch }]);
    expect(out.map((m) => m.kind)).toEqual(['end']);
    expect(letters).toHaveLength(2);
    expect(letters[0]!.reason).toMatch(/^predict\('late'\): model 'late' version 1 missed its 1ms timeout/);
  });
});

describe('fixedWidthValues', () => {
  it('views list, fixed-size list and numeric columns without copying', () => {
    const list = batchFromRows([f('v', arrayOf(T.FLOAT, 2))], [{ v: [1, 2] }, { v: [3, 4] }, { v: [5, 6] }]);
    const sliced = fixedWidthValues(list.slice(1).data.children[0]!);
    expect(sliced?.width).toBe(2);
    expect(Array.from(sliced?.values ?? [])).toEqual([3, 4, 5, 6]);
    const fixed = A.vectorFromArray([[1, 2, 3], [4, 5, 6]], new A.FixedSizeList(3, new A.Field('item', new A.Float64()))).data[0]!;
    expect(fixedWidthValues(fixed.slice(1, 1))).toEqual({ values: Float64Array.from([4, 5, 6]), width: 3 });
    const ints = batchFromRows([f('i', T.INT)], [{ i: 7 }, { i: 8 }]);
    expect(fixedWidthValues(ints.data.children[0]!)).toEqual({ values: Int32Array.from([7, 8]), width: 1 });
  });

  it('refuses nulls, ragged rows and values it cannot view', () => {
    const read = (type: DataType, rows: unknown[]) => fixedWidthValues(batchFromRows([f('v', type)], rows.map((v) => ({ v }))).data.children[0]!);
    expect(read(arrayOf(T.FLOAT), [[1, 2], [3]])).toBeUndefined();
    expect(read(arrayOf(T.FLOAT), [[1, 2], null])).toBeUndefined();
    expect(read(arrayOf(T.FLOAT), [[1, null]])).toBeUndefined();
    expect(read(T.DOUBLE, [1, null])).toBeUndefined();
    expect(read(T.BIGINT, [1, 2])).toBeUndefined();
    expect(read(T.STRING, ['a'])).toBeUndefined();
  });
});
