/**
 * One partitioning hash: INSERT into a keyed stream on the embedded log and the exchange in
 * front of a keyed operator send a key to the same partition, NULL included (INSERT used to
 * hash NULL as the empty string, the exchange as NULL).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fnv1a32, partitionOf } from '../../src/common/hash.js';
import { T } from '../../src/common/types.js';
import type { Engine } from '../../src/engine/engine.js';
import { ExchangeOperator } from '../../src/exec/operators/exchange.js';
import type { BoundExpr } from '../../src/planner/bound-expr.js';
import { Harness, data, f } from '../exec/harness.js';
import { TempStores } from '../state/helpers.js';
import { tempEngine } from './helpers.js';

const stores = new TempStores();
afterEach(() => stores.dispose());

/** The key partition the exchange sends each of `keys` to, one row each. */
async function exchangedPartitions(keys: readonly (string | null)[], partitions: number): Promise<number[]> {
  const fields = [f('k', T.STRING), f('v', T.INT)];
  const k: BoundExpr = { kind: 'Column', index: 0, name: 'k', type: T.STRING };
  const h = await Harness.create(stores);
  const op = await h.open(new ExchangeOperator({ input: fields, key: [k], partitions, udfs: () => undefined }));
  const out: number[] = [];
  for (const key of keys) {
    h.out.length = 0;
    await op.process(data(fields, [{ k: key, v: 1 }]), 0);
    const m = h.out.find((x) => x.kind === 'data');
    out.push(m?.kind === 'data' ? (m.partition ?? -1) : -1);
  }
  return out;
}

let engine: Engine;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ engine, cleanup } = await tempEngine());
});
afterEach(async () => cleanup());

/** The log partition each of `keys` lands in when inserted alone into stream `s`. */
async function insertedPartitions(keys: readonly (string | null)[], partitions: number): Promise<number[]> {
  await engine.execute(`CREATE STREAM s (k STRING, v INT) WITH (partitions = ${partitions}, key = 'k')`);
  const out: number[] = [];
  for (const k of keys) {
    const before = Array.from({ length: partitions }, (_, p) => engine.log.highWatermark('s', p));
    await engine.execute(`INSERT INTO s VALUES (${k === null ? 'NULL' : `'${k}'`}, 1)`);
    const grown = before.findIndex((n, p) => engine.log.highWatermark('s', p) > n);
    out.push(grown);
  }
  return out;
}

describe('partitionOf', () => {
  it('is FNV-1a of the key text, with NULL its own key apart from the empty string', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(partitionOf(['a'], 1 << 30)).toBe(0xe40c292c % (1 << 30));
    // NULL is encoded as U+0000, so it lands where the one-character string U+0000 would hash.
    expect(partitionOf([null], 1 << 30)).toBe(fnv1a32('\u0000') % (1 << 30));
    expect(partitionOf([null], 1 << 30)).not.toBe(partitionOf([''], 1 << 30));
    expect(partitionOf([undefined], 7)).toBe(partitionOf([null], 7));
  });

  it('routes INSERT rows by it, NULL keys included', async () => {
    const keys = [null, '', 'a', 'card-17', 'b', null];
    const got = await insertedPartitions(keys, 8);
    expect(got).toEqual(keys.map((k) => partitionOf([k], 8)));
    // NULL and '' are different keys: with 8 partitions they land apart.
    expect(got[0]).not.toBe(got[1]);
  });

  it('sends a key to the same partition from INSERT and from the exchange, NULL included', async () => {
    const keys = [null, '', 'a', 'card-17', 'b'];
    const inserted = await insertedPartitions(keys, 8);
    expect(await exchangedPartitions(keys, 8)).toEqual(inserted);
  });
});
