/**
 * Push queries over a Kafka stream start at the latest offsets (records produced after they
 * start) unless asked for the earliest, against the mock broker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import type { PushRow, StatementResult } from '../../src/engine/types.js';
import { startKafkaMock, type KafkaMock } from '../kafka-mock/harness.js';
import { tempEngine } from '../engine/helpers.js';
import { produce } from './support.js';

process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';

let mock: KafkaMock;
let engine: Engine;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  mock = await startKafkaMock({ brokers: 1, topics: ['ps-src:2'], groupInitialRebalanceDelayMs: 0 });
  ({ engine, cleanup } = await tempEngine(100));
  await engine.execute(`CREATE STREAM ps (id INT) WITH (connector = 'kafka', topic = 'ps-src', format = 'json', 'bootstrap.servers' = '${mock.bootstrap}', 'session.timeout.ms' = 3000)`);
  await produce(mock.brokers, 'ps-src', [1, 2, 3, 4].map((id) => ({ value: JSON.stringify({ id }), partition: id % 2 })));
}, 300_000);

afterAll(async () => {
  await cleanup?.();
  await mock?.stop();
});

/** Rows of a push result until `until` holds of them or the time is up; then cancels it. */
async function collect(r: StatementResult | undefined, until: (rows: PushRow[]) => boolean, ms: number): Promise<PushRow[]> {
  if (r?.kind !== 'push') throw new Error('expected a push result');
  const rows: PushRow[] = [];
  const timer = setTimeout(() => r.cancel(), ms);
  try {
    for await (const b of r.rows) {
      rows.push(...b);
      if (until(rows)) break;
    }
  } finally {
    clearTimeout(timer);
    r.cancel();
  }
  return rows;
}

describe('push queries over Kafka', () => {
  it('read only records produced after they start by default', async () => {
    const [r] = await engine.execute('SELECT id FROM ps');
    // Records keep coming until the query has joined its group and seen some: those are all new.
    let next = 100;
    const producing = setInterval(() => void produce(mock.brokers, 'ps-src', [{ value: JSON.stringify({ id: next++ }), partition: next % 2 }]), 300);
    try {
      const rows = await collect(r, (xs) => xs.length >= 2, 30_000);
      expect(rows.length).toBeGreaterThanOrEqual(2);
      expect(rows.every((x) => (x.values[0] as number) >= 100)).toBe(true);
    } finally {
      clearInterval(producing);
    }
  }, 60_000);

  it("read every stored record first with from: 'earliest'", async () => {
    const rows = await collect((await engine.execute('SELECT id FROM ps', { from: 'earliest' }))[0], (xs) => [1, 2, 3, 4].every((id) => xs.some((x) => x.values[0] === id)), 30_000);
    expect(rows.map((x) => x.values[0])).toEqual(expect.arrayContaining([1, 2, 3, 4]));
  }, 60_000);
});
