/**
 * The worker side of the datagen source's prefetching (datagen-columns.ts): draws the columns of
 * transactions [from, to) and hands their buffers over without copying.
 */
import { readlinkSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { txColumns, type TxConfig } from './datagen.js';

export interface DatagenRequest {
  readonly id: number;
  readonly from: number;
  readonly to: number;
  readonly config: TxConfig;
  readonly features: boolean;
}

parentPort?.on('message', (req: DatagenRequest) => {
  const cols = txColumns(req.from, req.to, req.config, req.features);
  const buffers = [cols.tx_id.offsets, cols.tx_id.bytes, cols.card_id.offsets, cols.card_id.bytes, cols.amount, cols.ts, ...(cols.features ? [cols.features] : [])].map((a) => a.buffer as ArrayBuffer);
  parentPort!.postMessage({ id: req.id, cols }, buffers);
});

/** This thread's id in the operating system (Linux: /proc/thread-self is PID/task/TID), for telling its CPU time apart. */
function osThreadId(): number | undefined {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop()) || undefined;
  } catch {
    return undefined;
  }
}

parentPort?.postMessage({ ready: true, osThreadId: osThreadId() });
