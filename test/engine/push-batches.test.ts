/**
 * A push query's output read as Arrow batches carries the same rows, in the same order and with
 * the same change kinds, as the row form of the same query.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { PushRow, StatementResult } from '../../src/engine/types.js';
import { ROW_KIND_NAMES } from '../../src/exec/message.js';
import { tempEngine } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function asRows(r: StatementResult | undefined): Promise<PushRow[]> {
  if (r?.kind !== 'push') throw new Error(`expected a push result, got ${r?.kind}`);
  const out: PushRow[] = [];
  for await (const b of r.rows) out.push(...b);
  return out;
}

async function viaBatches(r: StatementResult | undefined): Promise<{ rows: PushRow[]; batches: number }> {
  if (r?.kind !== 'push') throw new Error(`expected a push result, got ${r?.kind}`);
  const out: PushRow[] = [];
  let batches = 0;
  for await (const { batch, rowKinds } of r.batches) {
    batches++;
    expect(batch.schema.fields.map((f) => f.name)).toEqual(r.columns.map((c) => c.name));
    if (rowKinds) expect(rowKinds.length).toBe(batch.numRows);
    // Values as Arrow itself reads them (an independent decoding of the same batch); BIGINT is a
    // bigint in both forms.
    for (let i = 0; i < batch.numRows; i++) {
      const values = batch.schema.fields.map((_, c) => batch.getChildAt(c)!.get(i) as unknown);
      out.push({ op: ROW_KIND_NAMES[rowKinds ? rowKinds[i]! : 0]!, values });
    }
  }
  return { rows: out, batches };
}

describe('push output as Arrow batches', () => {
  it('matches the row form for an append-only and an updating query', async () => {
    const { engine, cleanup } = await tempEngine();
    cleanups.push(cleanup);
    await engine.execute(`CREATE STREAM s (k STRING, v DOUBLE) WITH (partitions = 2)`);
    const values = Array.from({ length: 300 }, (_, i) => `('k${i % 7}', ${i * 1.5})`).join(', ');
    await engine.execute(`INSERT INTO s VALUES ${values}`);

    for (const sql of ['SELECT k, v * 2 AS w FROM s WHERE v > 10', 'SELECT k, COUNT(*) AS n, SUM(v) AS total FROM s GROUP BY k']) {
      const [a] = await engine.execute(sql, { bounded: true });
      const [b] = await engine.execute(sql, { bounded: true });
      const rows = await asRows(a);
      const got = await viaBatches(b);
      expect(rows.length).toBeGreaterThan(0);
      expect(got.batches).toBeGreaterThan(0);
      expect(got.rows).toEqual(rows);
    }
    // The updating query really carries change kinds through the batches: a live query sees its
    // groups inserted, then updated by a row written after they were sent.
    const [c] = await engine.execute('SELECT k, COUNT(*) AS n FROM s GROUP BY k', { from: 'earliest' });
    if (c?.kind !== 'push') throw new Error('expected a push result');
    const batches = c.batches[Symbol.asyncIterator]();
    const kinds = async (until: (ops: string[]) => boolean): Promise<string[]> => {
      const ops: string[] = [];
      while (!until(ops)) {
        const next = await batches.next();
        if (next.done) break;
        const { batch, rowKinds } = next.value;
        for (let i = 0; i < batch.numRows; i++) ops.push(ROW_KIND_NAMES[rowKinds ? rowKinds[i]! : 0]!);
      }
      return ops;
    };
    expect(await kinds((ops) => ops.length >= 7)).toEqual(Array(7).fill('+I'));
    await engine.execute(`INSERT INTO s VALUES ('k3', 1.0)`);
    expect(await kinds((ops) => ops.length >= 2)).toEqual(['-U', '+U']);
    await batches.return?.();
  });
});
