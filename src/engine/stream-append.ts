/**
 * Appending rows to a stream kept in the embedded log (INSERT INTO and POST /v1/streams/:name/rows):
 * rows go to the partition of their key, or round robin without one, all staged into one write
 * batch so a call is appended whole or not at all.
 */
import { SluiceError } from '../common/errors.js';
import { partitionOf } from '../common/hash.js';
import type { Span } from '../common/span.js';
import { batchFromRows } from '../exec/columns.js';
import { encodeBatch } from '../exec/ipc.js';
import type { StreamDef } from '../planner/catalog.js';
import type { EmbeddedLog, WriteBatch } from '../state/index.js';

/** The log topic of a stream, or UNSUPPORTED when the stream is read from elsewhere (Kafka, a generator). */
export function logTopicOf(def: StreamDef, what: string, span?: Span): string {
  const connector = String(def.options['connector'] ?? 'log');
  if (connector !== 'log') {
    throw new SluiceError('UNSUPPORTED', `${what} a stream with connector '${connector}' is not supported`, {
      ...(span ? { span } : {}),
      hint: 'rows can be added only to streams kept in the embedded log (connector = \'log\', the default)',
    });
  }
  return String(def.options['topic'] ?? def.name);
}

/** Stages `rows` (objects keyed by column name) into `wb`; they become visible when it is written. */
export function stageStreamRows(log: EmbeddedLog, def: StreamDef, topic: string, rows: readonly Record<string, unknown>[], wb: WriteBatch): void {
  const parts = log.partitions(topic);
  const byPart = new Map<number, Record<string, unknown>[]>();
  const keyCol = def.key;
  const base = log.highWatermark(topic, 0);
  rows.forEach((row, i) => {
    const p = keyCol !== undefined ? partitionOf([row[keyCol]], parts) : (base + i) % parts;
    const list = byPart.get(p) ?? [];
    list.push(row);
    byPart.set(p, list);
  });
  for (const [p, list] of byPart) log.append(topic, p, encodeBatch(batchFromRows(def.schema, list)), list.length, wb);
}
