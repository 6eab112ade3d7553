/**
 * The log source over chunks that hold more than one Arrow batch: a position inside the chunk
 * skips exactly the records before it, and the position moves past a batch only once that
 * batch is emitted.
 */
import * as A from 'apache-arrow';
import { afterEach, describe, expect, it } from 'vitest';
import type { Field } from '../../src/common/types.js';
import { batchFromRows, readColumn } from '../../src/exec/columns.js';
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
