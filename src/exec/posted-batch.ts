/**
 * A record batch as plain typed arrays, to hand to another thread with postMessage: its buffers
 * are transferred, not copied, and the receiver rebuilds the batch over them from the fields it
 * already knows, without Arrow IPC's encoding and decoding.
 */
import * as A from 'apache-arrow';
import type { DataType, Field } from '../common/types.js';
import { arrowType, batchOfData } from './columns.js';

/** One Arrow column's buffers; `children` are a list's or struct's columns. */
export interface PostedData {
  readonly length: number;
  readonly offset: number;
  readonly nullCount: number;
  readonly nullBitmap: Uint8Array | undefined;
  readonly valueOffsets: Int32Array | BigInt64Array | undefined;
  readonly values: ArrayBufferView | undefined;
  readonly children: readonly PostedData[];
}

export interface PostedBatch {
  readonly length: number;
  readonly columns: readonly PostedData[];
}

/** `batch` as a PostedBatch and the buffers to transfer with it (each once). */
export function postBatch(batch: A.RecordBatch): { readonly posted: PostedBatch; readonly transfer: ArrayBuffer[] } {
  const buffers = new Set<ArrayBuffer>();
  const post = (d: A.Data): PostedData => {
    const nullBitmap = d.nullCount > 0 ? (d.nullBitmap as Uint8Array | undefined) : undefined;
    const valueOffsets = (d.valueOffsets as Int32Array | BigInt64Array | undefined) ?? undefined;
    const values = d.values as ArrayBufferView | undefined;
    for (const x of [nullBitmap, valueOffsets, values]) if (x && x.buffer instanceof ArrayBuffer) buffers.add(x.buffer);
    return { length: d.length, offset: d.offset, nullCount: d.nullCount, nullBitmap, valueOffsets, values, children: d.children.map(post) };
  };
  const posted = { length: batch.numRows, columns: batch.data.children.map(post) };
  return { posted, transfer: [...buffers] };
}

/** The batch `postBatch` posted, over the same buffers, for `fields` (those it was built for). */
export function receiveBatch(fields: readonly Field[], posted: PostedBatch): A.RecordBatch {
  return batchOfData(
    fields,
    fields.map((f, i) => receiveData(f.type, arrowType(f.type), posted.columns[i]!)),
    posted.length,
  );
}

function receiveData(t: DataType, type: A.DataType, p: PostedData): A.Data {
  const props = { type, length: p.length, offset: p.offset, nullCount: p.nullCount, nullBitmap: p.nullBitmap, valueOffsets: p.valueOffsets, data: p.values };
  if (t.kind === 'ARRAY') return A.makeData({ ...props, child: receiveData(t.element, (type as A.List).children[0]!.type, p.children[0]!) } as never) as A.Data;
  if (t.kind === 'STRUCT') return A.makeData({ ...props, children: t.fields.map((f, i) => receiveData(f.type, (type as A.Struct).children[i]!.type, p.children[i]!)) } as never) as A.Data;
  return A.makeData(props as never) as A.Data;
}
