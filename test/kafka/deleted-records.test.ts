/**
 * Records deleted before a query read them (retention, or DeleteRecords) never pass silently:
 * a query that resumes at a position below its partition's log start offset fails with an error
 * naming the topic, partition, position and log start offset — or, with
 * 'deleted.records' = 'skip', goes on from the log start offset and sends one dead letter per
 * skipped range — with both clients. The broker's deletion is `delete-records` on the mock, and
 * a small `retentionBytes` for records deleted while a query reads.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { T, type Field } from '../../src/common/types.js';
import { KafkaSource } from '../../src/connectors/kafka/kafka-source.js';
import type { DeletedRecordsPolicy } from '../../src/connectors/kafka/options.js';
import { Engine } from '../../src/engine/engine.js';
import type { DeadLetter } from '../../src/exec/message.js';
import { startKafkaMock, type KafkaMock } from '../kafka-mock/harness.js';
import { collectingContext, NATIVE_SKIP, nativeTitle, produce, readCommitted, waitFor } from './support.js';

process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';

let mock: KafkaMock;
const dirs: string[] = [];

beforeAll(async () => {
  const topics = ['kafkajs', 'native'].flatMap((c) => [`d-in-${c}:1`, `d-out-${c}:1`, `d-skip-in-${c}:1`, `d-skip-out-${c}:1`, `d-live-fail-${c}:1`, `d-live-skip-${c}:1`]);
  mock = await startKafkaMock({ brokers: 1, topics: [...topics, '__sluice_decisions:1'], groupInitialRebalanceDelayMs: 0 });
}, 300_000);

afterAll(async () => {
  delete process.env['SLUICE_FAULT_SOURCE_SILENT'];
  await mock?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const records = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => ({ key: String(from + i), value: JSON.stringify({ id: from + i }) }));

async function openEngine(dir: string): Promise<Engine> {
  return Engine.open({ dataDir: dir, checkpointIntervalMs: 100 });
}

/**
 * Runs `in -> out` over offsets 0..9, stops the engine after a checkpoint, produces 10..19 and
 * deletes the records before offset 15: the query resumes at 10, below the log start.
 */
async function resumeBelowLogStart(client: string, input: string, output: string, extra: string): Promise<{ engine: Engine; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-deleted-'));
  dirs.push(dir);
  const kopts = `'bootstrap.servers' = '${mock.bootstrap}', 'session.timeout.ms' = 3000, client = '${client}'`;
  await produce(mock.brokers, input, records(0, 10));
  let engine = await openEngine(dir);
  await engine.execute(`CREATE STREAM s (id BIGINT) WITH (connector = 'kafka', topic = '${input}', ${kopts}${extra})`);
  await engine.execute(`CREATE SINK o WITH (connector = 'kafka', topic = '${output}', key = 'id', ${kopts}) AS SELECT id FROM s`);
  expect((await readCommitted(mock.brokers, output, 10, 30_000)).length).toBe(10);
  await engine.checkpointAll();
  await engine.close();
  await produce(mock.brokers, input, records(10, 20));
  await mock.command(`delete-records ${input} 0 15`);
  engine = await openEngine(dir);
  return { engine, dir };
}

async function deadLetters(engine: Engine): Promise<string[][]> {
  const [r] = await engine.execute('SELECT reason, source FROM o_dlq', { bounded: true });
  if (r?.kind !== 'push') throw new Error('expected a push result');
  const rows: string[][] = [];
  for await (const b of r.rows) rows.push(...b.map((x) => x.values.map(String)));
  return rows;
}

/**
 * A source reads offsets 0..9, then its consumer goes silent (SLUICE_FAULT_SOURCE_SILENT) while
 * 10..19 arrive and the records before 15 are deleted; the consumer that replaces it finds its
 * position (10) below the log start offset.
 */
async function readAcrossDeletion(client: 'kafkajs' | 'native', topic: string, policy: DeletedRecordsPolicy): Promise<{ ids: number[]; letters: DeadLetter[]; error: unknown }> {
  const fields: Field[] = [{ name: 'id', type: T.BIGINT, nullable: true }];
  await produce(mock.brokers, topic, records(0, 10));
  process.env['SLUICE_FAULT_SOURCE_SILENT'] = '1';
  const source = new KafkaSource({ relation: 'live', topic, brokers: mock.brokers, groupId: `${topic}-group`, fields, recordTime: false, sessionTimeoutMs: 1000, client, deletedRecords: policy });
  const { ctx, ids, letters, abort } = collectingContext();
  let error: unknown;
  let ended = false;
  const running = source.run(ctx, false).then(
    () => (ended = true),
    (err: unknown) => {
      error = err;
      ended = true;
    },
  );
  try {
    await waitFor(() => ids.length >= 10, 20_000, 'offsets 0..9');
    await produce(mock.brokers, topic, records(10, 20));
    await mock.command(`delete-records ${topic} 0 15`);
    await waitFor(() => ended || ids.length >= 15, 30_000, 'the source to fail or read on');
  } finally {
    delete process.env['SLUICE_FAULT_SOURCE_SILENT'];
    abort.abort();
    await running;
  }
  return { ids, letters, error };
}

describe.each([
  ['kafkajs', undefined],
  ['native', NATIVE_SKIP],
] as const)('records deleted before they were read (%s client)', (client, skip) => {
  it.skipIf(skip !== undefined)(nativeTitle('a query that resumes below the log start offset fails naming the topic, partition, position and log start'), async () => {
    const { engine } = await resumeBelowLogStart(client, `d-in-${client}`, `d-out-${client}`, '');
    try {
      await waitFor(() => engine.queries().some((q) => q.status === 'failed'), 30_000, 'the query to fail');
      const q = engine.queries().find((x) => x.status === 'failed')!;
      const message = q.error?.message ?? '';
      expect(message).toContain(`topic 'd-in-${client}' partition 0`);
      expect(message).toContain('position 10');
      expect(message).toContain('log start offset 15');
      expect(message).toContain('5 records');
      expect(q.error?.code).toBe('CONNECTOR_ERROR');
      // Nothing past the deleted range was written.
      const out = await readCommitted(mock.brokers, `d-out-${client}`, 10, 5_000);
      expect(out.map((r) => Number(r.key)).sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    } finally {
      await engine.close();
    }
  }, 120_000);

  it.skipIf(skip !== undefined)(nativeTitle("with 'deleted.records' = 'skip' it goes on from the log start offset, exactly once, and dead-letters the skipped range"), async () => {
    const { engine } = await resumeBelowLogStart(client, `d-skip-in-${client}`, `d-skip-out-${client}`, ", 'deleted.records' = 'skip'");
    try {
      const out = await readCommitted(mock.brokers, `d-skip-out-${client}`, 15, 30_000);
      expect(out.map((r) => Number(r.key)).sort((a, b) => a - b)).toEqual([...Array.from({ length: 10 }, (_, i) => i), 15, 16, 17, 18, 19]);
      await waitFor(async () => (await deadLetters(engine)).length >= 1, 20_000, 'the dead letter');
      const letters = await deadLetters(engine);
      expect(letters).toHaveLength(1);
      expect(letters[0]![1]).toBe(`d-skip-in-${client}/0@10`);
      expect(letters[0]![0]).toContain('5 records (offsets 10..14) were deleted');
      expect(engine.queries().find((q) => q.name === 'o')?.status).toBe('running');
    } finally {
      await engine.close();
    }
  }, 120_000);

  it.skipIf(skip !== undefined)(nativeTitle('records deleted while a query reads: the source fails, or skips them with a dead letter'), async () => {
    const failed = await readAcrossDeletion(client, `d-live-fail-${client}`, 'fail');
    expect(failed.ids).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(String(failed.error)).toContain(`topic 'd-live-fail-${client}' partition 0): 5 records (offsets 10..14) were deleted`);
    expect(String(failed.error)).toContain('position 10, log start offset 15');

    const skipped = await readAcrossDeletion(client, `d-live-skip-${client}`, 'skip');
    expect(skipped.error).toBeUndefined();
    expect(skipped.ids).toEqual([...Array.from({ length: 10 }, (_, i) => i), 15, 16, 17, 18, 19]);
    expect(skipped.letters.map((l) => l.source)).toEqual([`d-live-skip-${client}/0@10`]);
  }, 120_000);
});
