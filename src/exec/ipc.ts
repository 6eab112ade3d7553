/** Arrow IPC bytes of one record batch: how batches are stored in the embedded log. */
import * as A from 'apache-arrow';

export function encodeBatch(batch: A.RecordBatch): Buffer {
  const bytes = A.tableToIPC(new A.Table(batch), 'stream');
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function decodeBatches(payload: Uint8Array): A.RecordBatch[] {
  return A.tableFromIPC(payload).batches;
}
