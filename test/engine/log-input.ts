/** Input for engine tests over two event streams: rows appended straight to the embedded log. */
import { T } from '../../src/common/types.js';
import type { Engine } from '../../src/engine/engine.js';
import { batchFromRows } from '../../src/exec/columns.js';
import { encodeBatch } from '../../src/exec/ipc.js';

export const EVENT_FIELDS = [
  { name: 'k', type: T.STRING, nullable: false },
  { name: 'v', type: T.INT, nullable: false },
  { name: 'ts', type: T.TIMESTAMP, nullable: false },
];

/** Two streams of EVENT_FIELDS, `ev` and `ev2`, one partition each, watermarks 1 s behind. */
export const EVENT_STREAMS = [
  "CREATE STREAM ev (k STRING, v INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (partitions = 1)",
  "CREATE STREAM ev2 (k STRING, v INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (partitions = 1)",
];

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Appends rows of EVENT_FIELDS to partition 0 of `stream`, 500 to a batch (SQL INSERT is far slower). */
export async function appendEvents(engine: Engine, stream: string, list: readonly Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < list.length; i += 500) {
    const chunk = list.slice(i, i + 500);
    await engine.log.append(stream, 0, encodeBatch(batchFromRows(EVENT_FIELDS, chunk)), chunk.length);
  }
}

/** Waits until all `views` views run and have read all their input, then checkpoints them. */
export async function viewsCaughtUp(engine: Engine, views: number): Promise<void> {
  const until = Date.now() + 60_000;
  for (;;) {
    const qs = engine.queries().filter((q) => q.kind === 'view');
    const failed = qs.find((q) => q.status === 'failed');
    if (failed) throw new Error(`view ${failed.name} failed: ${failed.error?.message}`);
    if (qs.length === views && qs.every((q) => q.lag === 0)) break;
    if (Date.now() > until) throw new Error(`views did not catch up: ${JSON.stringify(qs.map((q) => [q.name, q.lag]))}`);
    await sleep(20);
  }
  await engine.checkpointAll();
}
