/**
 * Stages a view's rows straight from their batch's Arrow columns: each row is encoded field by
 * field from the column buffers (see RecordBytes) and its key from the key column's UTF-8 bytes,
 * with no JS value per field and no string per row. What is staged is what ViewSink's row path
 * stages for the same rows (the same bytes under the same keys): `stage` refuses, staging
 * nothing, a batch whose columns are laid out otherwise, and the caller takes that path then.
 */
import { DataType, type Data, type RecordBatch } from 'apache-arrow';
import type { DataType as SqlType, Field } from '../common/types.js';
import { keyOfValue } from '../common/keys.js';
import { RowKind } from '../exec/message.js';
import { RecordBytes, type KvTable, type WriteBatch } from '../state/index.js';

/** How a column's values are read from its Data. */
type ColumnKind = 'utf8' | 'int32' | 'float32' | 'float64' | 'bigint' | 'int64-number' | 'bool';

function columnKind(t: SqlType): ColumnKind | undefined {
  switch (t.kind) {
    case 'STRING':
      return 'utf8';
    case 'INT':
    case 'TIME':
      return 'int32';
    case 'FLOAT':
      return 'float32';
    case 'DOUBLE':
      return 'float64';
    case 'BIGINT':
      return 'bigint';
    // Read as numbers (columns.ts reads them so).
    case 'TIMESTAMP':
    case 'DATE':
    case 'INTERVAL':
      return 'int64-number';
    case 'BOOLEAN':
      return 'bool';
    default:
      return undefined;
  }
}

/** Whether `data` holds a column of `kind` as this module reads it. */
function laidOut(data: Data, kind: ColumnKind): boolean {
  switch (kind) {
    case 'utf8':
      return DataType.isUtf8(data.type) && data.valueOffsets instanceof Int32Array && data.values instanceof Uint8Array;
    case 'int32':
      return data.values instanceof Int32Array;
    case 'float32':
      return data.values instanceof Float32Array;
    case 'float64':
      return data.values instanceof Float64Array;
    case 'bigint':
    case 'int64-number':
      return data.values instanceof BigInt64Array;
    case 'bool':
      return DataType.isBool(data.type) && data.values instanceof Uint8Array;
  }
}

function isNull(data: Data, i: number): boolean {
  if (data.nullCount === 0) return false;
  const bitmap = data.nullBitmap;
  if (!bitmap || bitmap.length === 0) return false;
  const bit = data.offset + i;
  return ((bitmap[bit >> 3]! >> (bit & 7)) & 1) === 0;
}

export class ViewRowBytes {
  private readonly record: RecordBytes;

  private constructor(
    private readonly kinds: readonly ColumnKind[],
    private readonly keyColumn: number,
    names: readonly string[],
  ) {
    this.record = new RecordBytes(names);
  }

  /** For a view of `fields` keyed by the STRING column `keyColumn`; undefined when a column's type is not one it reads. */
  static of(fields: readonly Field[], keyColumn: number): ViewRowBytes | undefined {
    const kinds: ColumnKind[] = [];
    for (const f of fields) {
      const k = columnKind(f.type);
      if (k === undefined) return undefined;
      kinds.push(k);
    }
    if (kinds[keyColumn] !== 'utf8') return undefined;
    return new ViewRowBytes(kinds, keyColumn, fields.map((f) => f.name));
  }

  /**
   * Stages rows `rows` of `batch` into `kv`: a -U or -D deletes its key, any other row writes
   * itself under its key. False, staging nothing, when a column of the batch is not laid out as
   * this reads it.
   */
  stage(batch: RecordBatch, rowKinds: Uint8Array | undefined, rows: Int32Array, kv: KvTable, wb: WriteBatch): boolean {
    const cols = batch.data.children;
    const kinds = this.kinds;
    for (let c = 0; c < kinds.length; c++) if (!cols[c] || !laidOut(cols[c]!, kinds[c]!)) return false;
    const keyData = cols[this.keyColumn]!;
    const keyOffsets = keyData.valueOffsets as Int32Array;
    const keyBytes = keyData.values as Uint8Array;
    for (let j = 0; j < rows.length; j++) {
      const i = rows[j]!;
      const kind = rowKinds ? rowKinds[i]! : RowKind.INSERT;
      const keyNull = isNull(keyData, i);
      if (kind === RowKind.UPDATE_BEFORE || kind === RowKind.DELETE) {
        kv.delete(keyOfValue(keyNull ? null : utf8Text(keyBytes, keyOffsets[i]!, keyOffsets[i + 1]!)), wb);
        continue;
      }
      const value = this.encode(cols, i);
      if (!keyNull && kv.upsertEncodedAscii(keyBytes, keyOffsets[i]!, keyOffsets[i + 1]!, value, wb)) continue;
      kv.upsertEncoded(keyOfValue(keyNull ? null : utf8Text(keyBytes, keyOffsets[i]!, keyOffsets[i + 1]!)), value, wb);
    }
    return true;
  }

  /** Row `i` of `cols` encoded (a view of the encoder's scratch buffer). */
  private encode(cols: readonly Data[], i: number): Buffer {
    const r = this.record;
    const kinds = this.kinds;
    r.start();
    for (let c = 0; c < kinds.length; c++) {
      r.field(c);
      const data = cols[c]!;
      if (isNull(data, i)) {
        r.null();
        continue;
      }
      switch (kinds[c]!) {
        case 'utf8': {
          const offs = data.valueOffsets as Int32Array;
          r.string(data.values as Uint8Array, offs[i]!, offs[i + 1]!);
          break;
        }
        case 'int32':
        case 'float32':
        case 'float64':
          r.number((data.values as Int32Array | Float32Array | Float64Array)[i]!);
          break;
        case 'bigint':
          r.bigint((data.values as BigInt64Array)[i]!);
          break;
        case 'int64-number':
          r.number(Number((data.values as BigInt64Array)[i]!));
          break;
        case 'bool': {
          const bit = data.offset + i;
          r.boolean((((data.values as Uint8Array)[bit >> 3]! >> (bit & 7)) & 1) === 1);
          break;
        }
      }
    }
    return r.view();
  }
}

function utf8Text(bytes: Uint8Array, from: number, to: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + from, to - from).toString('utf8');
}
