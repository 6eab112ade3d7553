/**
 * A view's rows staged from their columns (ViewRowBytes) are byte for byte what the row path
 * stages: the key of keyOfValue and the record of the row's values, for every column type it
 * reads, NULLs, keys that need escaping or are not ASCII, and sliced batches.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Field } from '../../src/common/types.js';
import { T } from '../../src/common/types.js';
import { keyOfValue } from '../../src/common/keys.js';
import { ViewSink } from '../../src/engine/sinks.js';
import { ViewRowBytes } from '../../src/engine/view-row-bytes.js';
import { batchFromRows, batchToRows, plain } from '../../src/exec/columns.js';
import { RowKind } from '../../src/exec/message.js';
import { KvTable, type WriteBatch } from '../../src/state/index.js';
import { collect, TempStores } from '../state/helpers.js';

const FIELDS: Field[] = [
  { name: 'k', type: T.STRING, nullable: true },
  { name: 'text', type: T.STRING, nullable: true },
  { name: 'i', type: T.INT, nullable: true },
  { name: 'f', type: T.FLOAT, nullable: true },
  { name: 'd', type: T.DOUBLE, nullable: true },
  { name: 'n', type: T.BIGINT, nullable: true },
  { name: 'ts', type: T.TIMESTAMP, nullable: true },
  { name: 'ok', type: T.BOOLEAN, nullable: true },
  { name: 'ünï', type: T.STRING, nullable: true },
];
const NAMES = FIELDS.map((f) => f.name);
const { INSERT: I, UPDATE_BEFORE: UB, UPDATE_AFTER: UA, DELETE: D } = RowKind;

const KEYS = ['a', '', 'ü-key', 'x\u0001y', 'nul\u0000', null, 'k'.repeat(300), 'tab\tkey', '日本', 'emoji 😀'];
const TEXTS = ['plain', '', 'ünïcödé', 'x'.repeat(200), null, '\u0000\u0001\u0002', '😀'.repeat(50)];
const DOUBLES = [0, -0, 1.5, Number.NaN, Number.POSITIVE_INFINITY, -1e300, 2 ** 31, -(2 ** 31), 2 ** 53 + 2, null];
const BIGINTS = [0n, 1n, -1n, 2n ** 62n, -(2n ** 63n), 123456789012345n, null];

function rows(n: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let r = 0; r < n; r++) {
    out.push({
      k: KEYS[r % KEYS.length],
      text: TEXTS[r % TEXTS.length],
      i: r % 5 === 4 ? null : (r * 7919) % 1000 - 500,
      f: r % 6 === 5 ? null : Math.fround(r / 3),
      d: DOUBLES[r % DOUBLES.length],
      n: BIGINTS[r % BIGINTS.length],
      ts: r % 4 === 3 ? null : 1_700_000_000_000 + r,
      ok: r % 3 === 2 ? null : r % 2 === 0,
      ünï: r % 2 === 0 ? `ü${r}` : null,
    });
  }
  return out;
}

const stores = new TempStores();
afterEach(() => stores.dispose());

/** What the row path stages for rows `idx` of the batch: key of keyOfValue, record of the row's values. */
function stageByValues(kv: KvTable, values: unknown[][], kinds: Uint8Array, idx: Int32Array, wb: WriteBatch): void {
  for (const i of idx) {
    const row = values[i]!.map((v) => plain(v) ?? null);
    const key = keyOfValue(row[0]);
    if (kinds[i] === UB || kinds[i] === D) kv.delete(key, wb);
    else kv.upsertValues(key, NAMES, row, wb);
  }
}

function hex(staged: readonly { readonly key: Buffer; readonly value: Buffer | undefined }[]): string[] {
  return staged.map((s) => `${s.key.toString('hex')}=${s.value?.toString('hex') ?? 'DEL'}`);
}

describe('ViewRowBytes', () => {
  it('stages the bytes the row path stages, for every column type, NULLs, odd keys and sliced batches', async () => {
    const store = await stores.open();
    const kv = new KvTable(store, 'v');
    const writer = ViewRowBytes.of(FIELDS, 0)!;
    expect(writer).toBeDefined();
    const all = batchFromRows(FIELDS, rows(70));
    const kindsAll = Uint8Array.from({ length: 70 }, (_, i) => [I, UB, UA, I, D][i % 5]!);
    for (const [from, to] of [
      [0, 70],
      [3, 41],
      [17, 18],
    ] as const) {
      const batch = from === 0 && to === 70 ? all : all.slice(from, to);
      const kinds = kindsAll.subarray(from, to);
      const values = batchToRows(batch, FIELDS);
      const idx = Int32Array.from({ length: batch.numRows }, (_, i) => i).filter((i) => i % 3 !== 1);
      const viaColumns = store.batch({ keepStaged: true });
      const viaValues = store.batch({ keepStaged: true });
      expect(writer.stage(batch, kinds, idx, kv, viaColumns)).toBe(true);
      stageByValues(kv, values, kinds, idx, viaValues);
      expect(hex(viaColumns.staged())).toEqual(hex(viaValues.staged()));
      expect(viaColumns.size).toBe(idx.length);
    }
  });

  it('is not used for a column type it does not read, nor for a key that is not a STRING', () => {
    expect(ViewRowBytes.of([...FIELDS, { name: 'v', type: { kind: 'ARRAY', element: T.FLOAT }, nullable: true }], 0)).toBeUndefined();
    expect(ViewRowBytes.of(FIELDS, 2)).toBeUndefined();
  });

  it('a view sink with a STRING key keeps the last row of each key, as read back from the view', async () => {
    const store = await stores.open();
    const kv = new KvTable(store, 'v');
    const sink = new ViewSink(FIELDS, [0], kv);
    const input = rows(40);
    const kinds = Uint8Array.from({ length: 40 }, (_, i) => (i >= 30 && i % 2 === 0 ? D : I));
    await sink.write(batchFromRows(FIELDS, input.slice(0, 25)), kinds.subarray(0, 25));
    await sink.write(batchFromRows(FIELDS, input.slice(25)), kinds.subarray(25));
    const wb = store.batch();
    sink.stage(wb);
    await wb.write();
    sink.committed();
    // The expected view: the last change of each key, deleted where it is a -D.
    const expected = new Map<string, Record<string, unknown>>();
    input.forEach((r, i) => {
      const key = keyOfValue(r['k']);
      if (kinds[i] === D) expected.delete(key);
      else expected.set(key, r);
    });
    const got = new Map((await collect(kv.scan())).map(([k, r]) => [k, r]));
    expect([...got.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [k, r] of expected) {
      const g = got.get(k)!;
      for (const f of FIELDS) {
        const want = r[f.name] ?? null;
        expect(g[f.name], `${k}.${f.name}`).toEqual(f.type.kind === 'BIGINT' && want !== null ? BigInt(want as bigint) : f.type.kind === 'FLOAT' && typeof want === 'number' ? Math.fround(want) : want);
      }
    }
  });
});
