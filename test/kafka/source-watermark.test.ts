/**
 * A Kafka source's watermark survives a restart: a checkpoint may fall between a batch and the
 * watermark after it, and a restored source with nothing left to read must still resume at the
 * watermark its checkpointed rows produced (else open windows would never close).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { T, type Field } from '../../src/common/types.js';
import { KafkaSource } from '../../src/connectors/kafka/kafka-source.js';
import type { Message } from '../../src/exec/message.js';
import type { SourceContext } from '../../src/exec/source.js';
import { startKafkaMock, type KafkaMock } from '../kafka-mock/harness.js';
import { produce, waitFor } from './support.js';

process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';

let mock: KafkaMock;

beforeAll(async () => {
  mock = await startKafkaMock({ brokers: 1, topics: ['wm-in:2'], groupInitialRebalanceDelayMs: 0 });
}, 300_000);

afterAll(async () => {
  await mock?.stop();
});

const fields: Field[] = [
  { name: 'id', type: T.BIGINT, nullable: true },
  { name: 'ts', type: T.TIMESTAMP, nullable: true },
];

function source(): KafkaSource {
  return new KafkaSource({ relation: 'wm_in', topic: 'wm-in', brokers: mock.brokers, groupId: 'wm-test', fields, recordTime: false, sessionTimeoutMs: 1000, watermark: { column: 1, delayMs: 1000 } });
}

/** Runs `s` until `done`, recording what it emits; positions taken right after each data message. */
async function run(s: KafkaSource, done: (msgs: Message[]) => boolean): Promise<{ msgs: Message[]; positions: Record<string, number>[] }> {
  const msgs: Message[] = [];
  const positions: Record<string, number>[] = [];
  const abort = new AbortController();
  const ctx: SourceContext = {
    signal: abort.signal,
    emit: async (msg, advance) => {
      msgs.push(msg);
      advance?.();
      if (msg.kind === 'data') positions.push(s.positions());
    },
  };
  const running = s.run(ctx, false);
  try {
    await waitFor(() => done(msgs), 20_000, 'the source to emit');
  } finally {
    abort.abort();
    await running;
  }
  return { msgs, positions };
}

describe('kafka source watermark across a restart', () => {
  it('a restored source emits the watermark of its checkpointed rows before reading anything', async () => {
    const base = Date.UTC(2021, 0, 1);
    await produce(
      mock.brokers,
      'wm-in',
      Array.from({ length: 10 }, (_, i) => ({ key: String(i), value: JSON.stringify({ id: i, ts: base + i * 1000 }), partition: i % 2 })),
    );
    const rows = (msgs: Message[]) => msgs.reduce((n, m) => n + (m.kind === 'data' ? m.batch.numRows : 0), 0);
    const first = await run(source(), (msgs) => rows(msgs) >= 10);
    // The checkpoint after the last row: every position past the rows, and the largest time.
    const checkpoint = first.positions.at(-1)!;
    expect(checkpoint['max-time:wm-in']).toBe(base + 9000);

    const restored = source();
    restored.seek(checkpoint);
    const second = await run(restored, (msgs) => msgs.some((m) => m.kind === 'watermark'));
    const data = second.msgs.filter((m) => m.kind === 'data' && m.batch.numRows > 0);
    expect(data).toHaveLength(0);
    expect(second.msgs.find((m) => m.kind === 'watermark')).toMatchObject({ kind: 'watermark', time: base + 9000 - 1000 });
  }, 60_000);
});
