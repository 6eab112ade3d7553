/**
 * FoldedRows, the answer a finished query's changes leave: checked against a plain multiset of
 * rows over random changes (inserts, and -U/-D of rows held), with the holes that retractions
 * leave closed as it goes; and its top-N form against sorting everything.
 */
import { describe, expect, it } from 'vitest';
import { RowKind } from '../../src/exec/message.js';
import { FoldedRows } from '../../src/engine/sorted-rows.js';
import type { OrderKey } from '../../src/planner/order-by.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const sortText = (rows: readonly unknown[][]): string[] => rows.map((r) => JSON.stringify(r)).sort();

describe('FoldedRows', () => {
  it('leaves the rows a changelog leaves, across many retractions', () => {
    for (const seed of [1, 2, 3]) {
      const random = rng(seed);
      const folded = new FoldedRows();
      const model: unknown[][] = [];
      for (let step = 0; step < 30_000; step++) {
        if (model.length > 0 && random() < 0.45) {
          const i = Math.floor(random() * model.length);
          const [row] = model.splice(i, 1);
          folded.apply(random() < 0.5 ? RowKind.DELETE : RowKind.UPDATE_BEFORE, [...row!]);
        } else {
          // Few distinct rows: equal rows are held more than once and taken back one at a time.
          const row = [Math.floor(random() * 300), random() < 0.1 ? null : `v${Math.floor(random() * 5)}`];
          model.push(row);
          folded.apply(random() < 0.5 ? RowKind.INSERT : RowKind.UPDATE_AFTER, row);
        }
      }
      // A retraction of a row not held changes nothing.
      folded.apply(RowKind.DELETE, [-1, 'none']);
      expect(sortText(folded.rows())).toEqual(sortText(model));
    }
  });

  it('keeps the first rows in ORDER BY order with `top`, as sorting everything and cutting does', () => {
    const orderBy: OrderKey[] = [
      { index: 0, desc: true, nullsFirst: false },
      { index: 1, desc: false, nullsFirst: false },
    ];
    const random = rng(9);
    const rows = Array.from({ length: 20_000 }, (_, i) => [Math.floor(random() * 1000), i]);
    for (const keep of [1, 10, 1500, 5000]) {
      const folded = new FoldedRows(Number.POSITIVE_INFINITY, { orderBy, rows: keep });
      for (const r of rows) folded.apply(RowKind.INSERT, r);
      const held = folded.rows();
      // What is held contains the first `keep` of all rows (it may hold more, not yet cut).
      const all = [...rows].sort((a, b) => b[0]! - a[0]! || a[1]! - b[1]!).slice(0, keep);
      const heldSorted = [...held].sort((a, b) => (b[0] as number) - (a[0] as number) || (a[1] as number) - (b[1] as number)).slice(0, keep);
      expect(heldSorted).toEqual(all);
      expect(held.length).toBeLessThanOrEqual(Math.max(2 * keep, 1024) + 1);
    }
  });

  it('counts the answer, not what a top-N holds, against the limit on rows', () => {
    const orderBy = [{ index: 0, desc: false, nullsFirst: false }];
    const ok = new FoldedRows(100, { orderBy, rows: 100 });
    for (let i = 0; i < 10_000; i++) ok.apply(RowKind.INSERT, [i]);
    const tooMany = new FoldedRows(100, { orderBy, rows: 101 });
    expect(() => {
      for (let i = 0; i < 10_000; i++) tooMany.apply(RowKind.INSERT, [i]);
    }).toThrow(/more than 100 rows/);
    const plain = new FoldedRows(100);
    expect(() => {
      for (let i = 0; i < 101; i++) plain.apply(RowKind.INSERT, [i]);
    }).toThrow(/more than 100 rows/);
  });
});
