/**
 * The log source over chunks that hold more than one Arrow batch: a position inside the chunk
 * skips exactly the records before it, and the position moves past a batch only once that
 * batch is emitted. Its positions carry its watermark: a query restored from a checkpoint taken
 * between a chunk and the watermark after it starts at that watermark, even when the input holds
 * nothing more to read.
 */
import * as A from 'apache-arrow';
import { afterEach, describe, expect, it } from 'vitest';
import { T, type Field } from '../../src/common/types.js';
import { batchFromRows, readColumn } from '../../src/exec/columns.js';
import { encodeBatch } from '../../src/exec/ipc.js';
import type { Message } from '../../src/exec/message.js';
import { LogSource } from '../../src/exec/sources/log-source.js';
import { EmbeddedLog } from '../../src/state/index.js';
import { TempStores } from '../state/helpers.js';

const temp = new TempStores();
afterEach(() => temp.dispose());

const fields: Field[] = [{ name: 'v', type: { kind: 'INT' }, nullable: false }];

/** One IPC stream holding one batch per list of values. */
function chunkOf(...parts: number[][]): Buffer {
  const batches = parts.map((vs) => batchFromRows(fields, vs.map((v) => ({ v }))));
  const bytes = A.tableToIPC(new A.Table(batches), 'stream');
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

async function read(log: EmbeddedLog, from: number): Promise<{ values: number[]; positions: number[] }> {
  const source = new LogSource(log, 'ev', [0], fields);
  source.seek({ 'ev/0': from });
  const values: number[] = [];
  const positions: number[] = [];
  await source.run(
    {
      signal: new AbortController().signal,
      emit: async (msg: Message, advance?: () => void) => {
        if (msg.kind === 'data') values.push(...Array.from(readColumn(msg.batch, 0, { kind: 'INT' }) as Int32Array));
        advance?.();
        if (msg.kind === 'data') positions.push(source.positions()['ev/0']!);
      },
    },
    true,
  );
  return { values, positions };
}

describe('LogSource over multi-batch chunks', () => {
  it('reads every record once from any position, moving the position batch by batch', async () => {
    const log = await EmbeddedLog.open(await temp.open());
    await log.createTopic('ev', 1);
    await log.append('ev', 0, chunkOf([0, 1, 2]), 3);
    await log.append('ev', 0, chunkOf([3, 4], [5, 6, 7], [8]), 6);
    for (let from = 0; from <= 9; from++) {
      const { values, positions } = await read(log, from);
      expect(values, `from ${from}`).toEqual(Array.from({ length: 9 - from }, (_, i) => from + i));
      if (from <= 3) expect(positions.slice(-3)).toEqual([5, 8, 9]);
    }
    expect((await read(log, 6)).positions).toEqual([8, 9]);
  });
});

const FIELDS = [
  { name: 'id', type: T.INT, nullable: false },
  { name: 'ts', type: T.TIMESTAMP, nullable: false },
];
const WATERMARK = { column: 1, delayMs: 1000 };

/** Runs `source` bounded; `onAdvance` sees its positions after each data message, as a barrier next in line would. */
async function run(source: LogSource, onAdvance: (positions: Record<string, number>) => void = () => undefined): Promise<Message[]> {
  const seen: Message[] = [];
  const ctx = {
    signal: new AbortController().signal,
    emit: async (msg: Message, advance?: () => void) => {
      seen.push(msg);
      advance?.();
      if (msg.kind === 'data') onAdvance(source.positions());
    },
  };
  await source.run(ctx, true);
  return seen;
}

const kinds = (msgs: Message[]): string[] => msgs.map((m) => (m.kind === 'watermark' ? `watermark ${m.time}` : m.kind));

describe('LogSource watermarks', () => {
  it('resumes at the watermark of its checkpointed positions', async () => {
    const log = await EmbeddedLog.open(await temp.open());
    await log.createTopic('events', 2);
    // Partition 0 holds two chunks (up to 4 s, then 9 s), partition 1 one (up to 5 s).
    for (const [p, times] of [[0, [2000, 4000]], [0, [9000]], [1, [3000, 5000]]] as const) {
      const rows = times.map((ts, id) => ({ id, ts }));
      await log.append('events', p, encodeBatch(batchFromRows(FIELDS, rows)), rows.length);
    }
    const source = (positions?: Record<string, number>): LogSource => {
      const s = new LogSource(log, 'events', [0, 1], FIELDS, WATERMARK);
      if (positions) s.seek(positions);
      return s;
    };
    const snapshots: Record<string, number>[] = [];
    const first = await run(source(), (p) => snapshots.push(p));
    expect(kinds(first)).toEqual(['data', 'data', 'watermark 3000', 'data', 'watermark 8000', 'end']);
    expect(snapshots[2]).toEqual({ 'events/0': 3, 'events/1': 2, 'max-time:events:0': 9000, 'max-time:events:1': 5000 });

    // A checkpoint taken between a chunk and its watermark restores that watermark first.
    expect(kinds(await run(source(snapshots[0])))).toEqual(['data', 'data', 'watermark 8000', 'end']);
    expect(kinds(await run(source(snapshots[1])))).toEqual(['watermark 3000', 'data', 'watermark 8000', 'end']);
    // At the end of the input, with nothing more to read, the watermark still reaches 8 s.
    expect(kinds(await run(source(snapshots[2])))).toEqual(['watermark 8000', 'end']);
  });

  it('stores no event time for a stream without a watermark', async () => {
    const log = await EmbeddedLog.open(await temp.open());
    await log.createTopic('plain', 1);
    await log.append('plain', 0, encodeBatch(batchFromRows(FIELDS, [{ id: 1, ts: 5000 }])), 1);
    const source = new LogSource(log, 'plain', [0, 1], FIELDS);
    expect(kinds(await run(source))).toEqual(['data', 'end']);
    expect(source.positions()).toEqual({ 'plain/0': 1 });
  });
});

describe('LogSource hint that more input follows', () => {
  it('marks every data message but the last of a bounded read, over all partitions', async () => {
    const log = await EmbeddedLog.open(await temp.open());
    await log.createTopic('ev', 2);
    await log.append('ev', 0, chunkOf([0, 1], [2]), 3);
    await log.append('ev', 1, chunkOf([3]), 1);
    await log.append('ev', 0, chunkOf([4]), 1);
    const seen = await run(new LogSource(log, 'ev', [0], fields));
    const hints = seen.filter((m) => m.kind === 'data').map((m) => m.kind === 'data' && m.more === true);
    expect(hints).toEqual([true, true, true, false]);
    expect(seen.at(-1)?.kind).toBe('end');
  });

  it('marks a tailed batch only while the log already holds records past it', async () => {
    const log = await EmbeddedLog.open(await temp.open());
    await log.createTopic('ev', 1);
    await log.append('ev', 0, chunkOf([0]), 1);
    await log.append('ev', 0, chunkOf([1]), 1);
    const abort = new AbortController();
    const hints: boolean[] = [];
    const source = new LogSource(log, 'ev', [0], fields);
    const running = source.run(
      {
        signal: abort.signal,
        emit: async (msg: Message, advance?: () => void) => {
          advance?.();
          if (msg.kind !== 'data') return;
          hints.push(msg.more === true);
          if (hints.length === 2) await log.append('ev', 0, chunkOf([2]), 1);
          if (hints.length === 3) abort.abort();
        },
      },
      false,
    );
    await running;
    expect(hints).toEqual([true, false, false]);
  });

  it('marks a tailed batch while another partition holds records not yet read', async () => {
    const log = await EmbeddedLog.open(await temp.open());
    await log.createTopic('ev', 2);
    await log.append('ev', 0, chunkOf([0]), 1);
    await log.append('ev', 1, chunkOf([1]), 1);
    const abort = new AbortController();
    const hints: boolean[] = [];
    const running = new LogSource(log, 'ev', [0], fields).run(
      {
        signal: abort.signal,
        emit: async (msg: Message, advance?: () => void) => {
          advance?.();
          if (msg.kind !== 'data') return;
          hints.push(msg.more === true);
          if (hints.length === 2) abort.abort();
        },
      },
      false,
    );
    await running;
    // Whichever partition goes first, the other still holds its record; the second batch is the last.
    expect(hints).toEqual([true, false]);
  });
});
