/** Arrow IPC bytes of one record batch: how batches are stored in the embedded log. */
import * as A from 'apache-arrow';
import { BufferRegion, FieldNode, RecordBatch as RecordBatchHeader } from 'apache-arrow/ipc/metadata/message';
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
  return encodeInto(batch, reserve, scratchOf);
}

/** The values of a fixed-width column (a typed array). */
interface FixedWidth {
  readonly buffer: ArrayBufferLike;
  readonly byteOffset: number;
  readonly length: number;
  readonly BYTES_PER_ELEMENT: number;
}

/** The scratch buffer, at least `bytes` long (see encodeBatchView). */
function scratchOf(bytes: number): Buffer {
  if (!scratch || scratch.length < bytes) {
    const grown = Buffer.allocUnsafe(Math.max(bytes, 2 * (scratch?.length ?? 0)));
    if (grown.length > MAX_KEPT_SCRATCH) return grown.subarray(0, bytes);
    scratch = grown;
  }
  return scratch.subarray(0, bytes);
}

/**
 * `encodeBatchView` of the batch of `schema` that `parts` (each the columns of some rows) make
 * one after the other, written from the parts without concatenating them first: the bytes
 * encodeBatchView writes for that batch. Only for columns of strings and fixed-width numbers
 * without NULLs; undefined when a column is of another kind.
 */
export function encodeConcatView(schema: A.Schema, parts: readonly (readonly A.Data[])[], reserve = 0): Buffer | undefined {
  if (schema.dictionaries.size > 0) return undefined;
  const width = schema.fields.length;
  let rows = 0;
  for (const part of parts) {
    if (part.length !== width) return undefined;
    for (let c = 0; c < width; c++) if (!flatColumn(part[c]!, schema.fields[c]!.type)) return undefined;
    rows += part[0]?.length ?? 0;
  }
  const nodes: FieldNode[] = [];
  const regions: BufferRegion[] = [];
  let bodyBytes = 0;
  const region = (bytes: number) => {
    regions.push(new BufferRegion(bodyBytes, (bytes + 7) & ~7));
    bodyBytes += (bytes + 7) & ~7;
  };
  for (let c = 0; c < width; c++) {
    nodes.push(new FieldNode(rows, 0));
    region(0);
    if (A.DataType.isUtf8(schema.fields[c]!.type)) {
      let bytes = 0;
      for (const part of parts) {
        const offs = part[c]!.valueOffsets;
        bytes += offs[part[c]!.length]! - offs[0]!;
      }
      region((rows + 1) * 4);
      region(bytes);
    } else {
      let bytes = 0;
      for (const part of parts) bytes += part[c]!.length * (part[c]!.values as FixedWidth).BYTES_PER_ELEMENT;
      region(bytes);
    }
  }
  const header = new RecordBatchHeader(rows, nodes, regions, null, [], new Map());
  const meta = A.Message.encode(A.Message.from(header, bodyBytes));
  const schemaMessage = schemaMessageOf(schema);
  const out = scratchOf(reserve + framed(schemaMessage) + framed(meta) + bodyBytes + 8);
  let at = writeMessage(out, reserve, schemaMessage);
  at = writeMessage(out, at, meta);
  const pad = (from: number) => {
    const end = (from + 7) & ~7;
    out.fill(0, from, end);
    return end;
  };
  for (let c = 0; c < width; c++) {
    if (A.DataType.isUtf8(schema.fields[c]!.type)) {
      // Offsets rebased onto the concatenated bytes, then the bytes.
      const offsets = int32sAt(out, at, rows + 1);
      let row = 0;
      let pos = 0;
      offsets[0] = 0;
      for (const part of parts) {
        const d = part[c]!;
        const offs = d.valueOffsets;
        const base = offs[0]!;
        for (let i = 1; i <= d.length; i++) offsets[row + i] = pos + offs[i]! - base;
        pos += offs[d.length]! - base;
        row += d.length;
      }
      if (offsets.buffer !== out.buffer) for (let k = 0; k <= rows; k++) out.writeInt32LE(offsets[k]!, at + 4 * k);
      at = pad(at + 4 * (rows + 1));
      for (const part of parts) {
        const d = part[c]!;
        const offs = d.valueOffsets;
        const values = d.values as Uint8Array;
        out.set(values.subarray(offs[0]!, offs[d.length]!), at);
        at += offs[d.length]! - offs[0]!;
      }
      at = pad(at);
    } else {
      for (const part of parts) {
        const d = part[c]!;
        const values = d.values as FixedWidth;
        const bytes = d.length * values.BYTES_PER_ELEMENT;
        out.set(new Uint8Array(values.buffer, values.byteOffset, bytes), at);
        at += bytes;
      }
      at = pad(at);
    }
  }
  out.writeInt32LE(CONTINUATION, at);
  out.writeInt32LE(0, at + 4);
  return out;
}

/** `count` little-endian int32s at `at` of `out`: a view of it where it is aligned, else an array to copy there. */
function int32sAt(out: Buffer, at: number, count: number): Int32Array {
  return LITTLE_ENDIAN && (out.byteOffset + at) % 4 === 0 ? new Int32Array(out.buffer, out.byteOffset + at, count) : new Int32Array(count);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Whether `d` is a column of `type` that encodeConcatView writes: strings or fixed-width numbers, no NULLs. */
function flatColumn(d: A.Data, type: A.DataType): boolean {
  if (d.nullCount !== 0 || !A.util.compareTypes(d.type, type)) return false;
  if (A.DataType.isUtf8(type)) return d.valueOffsets instanceof Int32Array && d.values instanceof Uint8Array;
  if (!A.DataType.isInt(type) && !A.DataType.isFloat(type) && !A.DataType.isTimestamp(type)) return false;
  const values: unknown = d.values;
  return ArrayBuffer.isView(values) && values.constructor === type.ArrayType && (values as FixedWidth).length >= d.length;
}

function schemaMessageOf(schema: A.Schema): Uint8Array {
  let message = schemaMessages.get(schema);
  if (!message) {
    message = A.Message.encode(A.Message.from(schema));
    schemaMessages.set(schema, message);
  }
  return message;
}

function encodeInto(batch: A.RecordBatch, reserve: number, alloc: (bytes: number) => Buffer): Buffer {
  if (batch.schema.dictionaries.size > 0) {
    const bytes = A.tableToIPC(new A.Table(batch), 'stream');
    const out = alloc(reserve + bytes.byteLength);
    out.set(bytes, reserve);
    return out;
  }
  const schema = schemaMessageOf(batch.schema);
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
