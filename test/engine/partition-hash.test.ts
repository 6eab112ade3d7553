/**
 * One partitioning hash: INSERT into a keyed stream on the embedded log, the exchange in front
 * of a keyed operator and a keyed Kafka sink's records send a key to the same partition, NULL
 * included (INSERT used to hash NULL as the empty string, the exchange as NULL, and Kafka's
 * default partitioner hashed the record key's bytes, round robin for a NULL key).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PartitionMetadata } from 'kafkajs';
import { fnv1a32, partitionOf } from '../../src/common/hash.js';
import { T, type DataType } from '../../src/common/types.js';
import { sinkRecords, toMessage } from '../../src/connectors/kafka/kafka-sink.js';
import { keyHashPartitioner } from '../../src/connectors/kafka/partitioner.js';
import { batchFromRows } from '../../src/exec/columns.js';
import type { Engine } from '../../src/engine/engine.js';
import { ExchangeOperator } from '../../src/exec/operators/exchange.js';
import type { BoundExpr } from '../../src/planner/bound-expr.js';
import { Harness, data, f } from '../exec/harness.js';
import { TempStores } from '../state/helpers.js';
import { tempEngine } from './helpers.js';

const stores = new TempStores();
afterEach(() => stores.dispose());

type Key = string | number | null;

/** Columns k0, k1, ... of `types` and a value column v. */
function keyFields(types: readonly DataType[]) {
  return [...types.map((t, i) => f(`k${i}`, t)), f('v', T.INT)];
}

/** The key partition the exchange sends each of `keys` (one row each, key columns k0, k1, ...) to. */
async function exchangedPartitions(types: readonly DataType[], keys: readonly (readonly Key[])[], partitions: number): Promise<number[]> {
  const fields = keyFields(types);
  const key: BoundExpr[] = types.map((type, index) => ({ kind: 'Column', index, name: `k${index}`, type }));
  const h = await Harness.create(stores);
  const op = await h.open(new ExchangeOperator({ input: fields, key, partitions, udfs: () => undefined }));
  const out: number[] = [];
  for (const k of keys) {
    h.out.length = 0;
    await op.process(data(fields, [{ ...Object.fromEntries(k.map((x, i) => [`k${i}`, x])), v: 1 }]), 0);
    const m = h.out.find((x) => x.kind === 'data');
    out.push(m?.kind === 'data' ? (m.partition ?? -1) : -1);
  }
  return out;
}

/**
 * The partition a keyed Kafka sink's producer sends each of `keys` to: the sink's records (key
 * columns k0, k1, ...) as the messages it sends, through the partitioner it sends them with.
 */
function kafkaPartitions(types: readonly DataType[], keys: readonly (readonly Key[])[], partitions: number): number[] {
  const fields = keyFields(types);
  const rows = keys.map((k) => ({ ...Object.fromEntries(k.map((x, i) => [`k${i}`, x])), v: 1 }));
  const records = sinkRecords(batchFromRows(fields, rows), undefined, fields, types.map((_, i) => i));
  const partitionMetadata: PartitionMetadata[] = Array.from({ length: partitions }, (_, p) => ({ partitionErrorCode: 0, partitionId: p, leader: 0, replicas: [0], isr: [0] }));
  const partitioner = keyHashPartitioner();
  return records.map((r) => partitioner({ topic: 'out', partitionMetadata, message: toMessage(r) }));
}

let engine: Engine;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ engine, cleanup } = await tempEngine());
});
afterEach(async () => cleanup());

/** The log partition each of `keys` lands in when inserted alone into a stream keyed by a `type` column. */
async function insertedPartitions(type: 'STRING' | 'INT' | 'BIGINT', keys: readonly Key[], partitions: number): Promise<number[]> {
  const name = `s_${type.toLowerCase()}`;
  await engine.execute(`CREATE STREAM ${name} (k ${type}, v INT) WITH (partitions = ${partitions}, key = 'k')`);
  const out: number[] = [];
  for (const k of keys) {
    const before = Array.from({ length: partitions }, (_, p) => engine.log.highWatermark(name, p));
    await engine.execute(`INSERT INTO ${name} VALUES (${k === null ? 'NULL' : typeof k === 'string' ? `'${k}'` : String(k)}, 1)`);
    const grown = before.findIndex((n, p) => engine.log.highWatermark(name, p) > n);
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
    const got = await insertedPartitions('STRING', keys, 8);
    expect(got).toEqual(keys.map((k) => partitionOf([k], 8)));
    // NULL and '' are different keys: with 8 partitions they land apart.
    expect(got[0]).not.toBe(got[1]);
  });
});

const STRINGS: Key[] = [null, '', 'a', 'card-17', 'b', 'é-ü', null];
const NUMBERS: Key[] = [null, 0, 1, -1, 42, 2147483647, -7, null];
const COMPOSITE: (readonly Key[])[] = [
  [null, null],
  ['a', null],
  [null, 1],
  ['a', 1],
  ['a', 2],
  ['', 0],
  ['card-17', -5],
];

describe('INSERT, the exchange and a keyed Kafka sink agree', () => {
  for (const partitions of [3, 8]) {
    it(`on string keys, NULL included (${partitions} partitions)`, async () => {
      const expected = STRINGS.map((k) => partitionOf([k], partitions));
      expect(await insertedPartitions('STRING', STRINGS, partitions)).toEqual(expected);
      expect(await exchangedPartitions([T.STRING], STRINGS.map((k) => [k]), partitions)).toEqual(expected);
      expect(kafkaPartitions([T.STRING], STRINGS.map((k) => [k]), partitions)).toEqual(expected);
    });

    it(`on number keys, NULL included (${partitions} partitions)`, async () => {
      const expected = NUMBERS.map((k) => partitionOf([k], partitions));
      expect(await insertedPartitions('INT', NUMBERS, partitions)).toEqual(expected);
      expect(await exchangedPartitions([T.INT], NUMBERS.map((k) => [k]), partitions)).toEqual(expected);
      expect(kafkaPartitions([T.INT], NUMBERS.map((k) => [k]), partitions)).toEqual(expected);
    });

    it(`on composite keys, NULL parts included (${partitions} partitions)`, async () => {
      const expected = COMPOSITE.map((k) => partitionOf(k, partitions));
      expect(await exchangedPartitions([T.STRING, T.INT], COMPOSITE, partitions)).toEqual(expected);
      expect(kafkaPartitions([T.STRING, T.INT], COMPOSITE, partitions)).toEqual(expected);
    });
  }

  it('spreads the keys: the test keys do not all land in one partition', () => {
    expect(new Set(STRINGS.map((k) => partitionOf([k], 8))).size).toBeGreaterThan(2);
    expect(new Set(NUMBERS.map((k) => partitionOf([k], 8))).size).toBeGreaterThan(2);
    expect(new Set(COMPOSITE.map((k) => partitionOf(k, 8))).size).toBeGreaterThan(2);
  });

  it('a BIGINT key hashes as its exact digits wherever it is partitioned', async () => {
    const keys: Key[] = [null, 5, 9007199254740993n as unknown as number];
    const expected = keys.map((k) => partitionOf([k], 8));
    expect(await insertedPartitions('BIGINT', keys, 8)).toEqual(expected);
    expect(await exchangedPartitions([T.BIGINT], keys.map((k) => [k]), 8)).toEqual(expected);
    expect(kafkaPartitions([T.BIGINT], keys.map((k) => [k]), 8)).toEqual(expected);
  });
});
