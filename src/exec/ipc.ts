/** Arrow IPC bytes of one record batch: how batches are stored in the embedded log. */
import * as A from 'apache-arrow';

export function encodeBatch(batch: A.RecordBatch): Buffer {
  const bytes = A.tableToIPC(new A.Table(batch), 'stream');
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The batches of an Arrow IPC stream (a reader, not a Table: half the cost per chunk). */
export function decodeBatches(payload: Uint8Array): A.RecordBatch[] {
  return A.RecordBatchReader.from(payload).readAll();
}
