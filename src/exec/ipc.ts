/** Arrow IPC bytes of one record batch: how batches are stored in the embedded log. */
import * as A from 'apache-arrow';
import { RecordBatch as RecordBatchHeader } from 'apache-arrow/ipc/metadata/message';
import { VectorAssembler } from 'apache-arrow/visitor/vectorassembler';

/** The continuation marker and end-of-stream word of the IPC stream format. */
const CONTINUATION = -1;
/** Schema messages by schema: batches of one list of fields share one schema (see arrowSchema). */
const schemaMessages = new WeakMap<A.Schema, Uint8Array>();

/**
 * The IPC stream (schema, the batch, end of stream) of `batch`: the bytes Arrow's tableToIPC
 * writes for a table of that batch, in one buffer that has `reserve` free bytes in front (for a
 * header the caller writes there). A schema's message is encoded once.
 */
export function encodeBatch(batch: A.RecordBatch, reserve = 0): Buffer {
  return encodeInto(batch, reserve, (n) => Buffer.allocUnsafe(n));
}

/** A scratch buffer grown past this by one large batch is not kept for the next one. */
const MAX_KEPT_SCRATCH = 16 * 1024 * 1024;
let scratch: Buffer | undefined;

/**
 * `encodeBatch` as a view of a scratch buffer, valid only until the next call: for bytes handed
 * at once to something that copies them (a write batch), without a new buffer per batch.
 */
export function encodeBatchView(batch: A.RecordBatch, reserve = 0): Buffer {
  return encodeInto(batch, reserve, (n) => {
    if (!scratch || scratch.length < n) {
      const grown = Buffer.allocUnsafe(Math.max(n, 2 * (scratch?.length ?? 0)));
      if (grown.length > MAX_KEPT_SCRATCH) return grown.subarray(0, n);
      scratch = grown;
    }
    return scratch.subarray(0, n);
  });
}

function encodeInto(batch: A.RecordBatch, reserve: number, alloc: (bytes: number) => Buffer): Buffer {
  if (batch.schema.dictionaries.size > 0) {
    const bytes = A.tableToIPC(new A.Table(batch), 'stream');
    const out = alloc(reserve + bytes.byteLength);
    out.set(bytes, reserve);
    return out;
  }
  let schema = schemaMessages.get(batch.schema);
  if (!schema) {
    schema = A.Message.encode(A.Message.from(batch.schema));
    schemaMessages.set(batch.schema, schema);
  }
  const body = VectorAssembler.assemble(batch);
  const header = new RecordBatchHeader(batch.numRows, body.nodes, body.bufferRegions, null, body.variadicBufferCounts, batch.metadata);
  const meta = A.Message.encode(A.Message.from(header, body.byteLength));
  const out = alloc(reserve + framed(schema) + framed(meta) + body.byteLength + 8);
  let at = writeMessage(out, reserve, schema);
  at = writeMessage(out, at, meta);
  for (const b of body.buffers) {
    out.set(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), at);
    const end = at + ((b.byteLength + 7) & ~7);
    out.fill(0, at + b.byteLength, end);
    at = end;
  }
  out.writeInt32LE(CONTINUATION, at);
  out.writeInt32LE(0, at + 4);
  return out;
}

/** Bytes of a message with its continuation marker and length, padded to 8. */
function framed(message: Uint8Array): number {
  return (message.byteLength + 8 + 7) & ~7;
}

/** Writes a framed message at `at`, zero padded; returns where the next one goes. */
function writeMessage(out: Buffer, at: number, message: Uint8Array): number {
  const size = framed(message);
  out.writeInt32LE(CONTINUATION, at);
  out.writeInt32LE(size - 8, at + 4);
  out.set(message, at + 8);
  out.fill(0, at + 8 + message.byteLength, at + size);
  return at + size;
}

/** The batches of an Arrow IPC stream (a reader, not a Table: half the cost per chunk). */
export function decodeBatches(payload: Uint8Array): A.RecordBatch[] {
  return A.RecordBatchReader.from(payload).readAll();
}
