/**
 * The generator thread's module (see datagen-batches.ts): makes the batches it is asked for and
 * posts them back with their buffers transferred.
 */
import { parentPort } from 'node:worker_threads';
import type { Field } from '../common/types.js';
import { postBatch } from '../exec/posted-batch.js';
import { txBatch, type GeneratorReply, type GeneratorRequest } from './datagen-batches.js';
import type { TxConfig } from './datagen.js';

const streams = new Map<number, { readonly fields: readonly Field[]; readonly config: TxConfig }>();
const port = parentPort;

function reply(msg: GeneratorReply, transfer: ArrayBuffer[] = []): void {
  try {
    port?.postMessage(msg, transfer);
  } catch {
    // A buffer that cannot be transferred (one of Node's pooled ones) is copied instead.
    port?.postMessage(msg);
  }
}

port?.on('message', (msg: GeneratorRequest) => {
  switch (msg.type) {
    case 'open':
      streams.set(msg.stream, { fields: msg.fields, config: msg.config });
      return;
    case 'close':
      streams.delete(msg.stream);
      return;
    case 'make': {
      const s = streams.get(msg.stream);
      let posted: ReturnType<typeof postBatch> | undefined;
      try {
        posted = s && postBatch(txBatch(s.fields, s.config, msg.from, msg.to));
      } catch {
        // The query's thread makes the batch itself and meets the same error there.
      }
      reply({ type: 'made', id: msg.id, batch: posted?.posted }, posted?.transfer);
      return;
    }
  }
});
reply({ type: 'ready' });
