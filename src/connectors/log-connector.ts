/** The embedded log: streams and sinks stored in the engine's own data folder (the default). */
import type { RecordBatch } from 'apache-arrow';
import type { EpochSink } from '../exec/epoch-sink.js';
import { encodeBatchView } from '../exec/ipc.js';
import { LogSource } from '../exec/sources/log-source.js';
import { LOG_CHUNK_HEADER_BYTES, type EmbeddedLog, type WriteBatch } from '../state/index.js';
import type { Connector } from './connector.js';
import { ParsedOptions, int, str, type OptionDecl } from './connector-options.js';

const TOPIC = str('topic', 'The log topic that holds the rows.', "the relation's name");
const RETENTION: OptionDecl = { name: 'retention', type: { kind: 'duration' }, doc: 'How long records are kept; older ones are removed.', default: 'forever' };
const STREAM: readonly OptionDecl[] = [TOPIC, int('partitions', 'Partitions of the topic.', '4', 1), RETENTION];
const SINK: readonly OptionDecl[] = [TOPIC, str('format', 'How rows are stored; Arrow IPC batches are the only format.', 'arrow'), RETENTION];

/** Appends a sink's output to a log topic, in the checkpoint's write batch. */
export class LogSink implements EpochSink {
  private pending: RecordBatch[] = [];

  constructor(
    private readonly log: EmbeddedLog,
    private readonly topic: string,
  ) {}

  write(batch: RecordBatch): void {
    this.pending.push(batch);
  }

  stage(wb: WriteBatch): void {
    const batches = this.pending;
    this.pending = [];
    for (const b of batches) this.log.appendFramed(this.topic, 0, encodeBatchView(b, LOG_CHUNK_HEADER_BYTES), b.numRows, wb);
  }

  committed(): void {}
}

export const logConnector: Connector = {
  name: 'log',
  doc: 'The embedded log in the data folder: rows written with INSERT or by a sink, read back by continuous queries, kept across restarts. Exactly once: a sink appends in the same write as the checkpoint.',
  options: {
    stream: STREAM,
    table: [],
    sink: SINK,
  },
  source(plan, env) {
    const topic = new ParsedOptions(plan.options, STREAM, `stream ${plan.relation}`).string('topic', plan.relation);
    const source = new LogSource(env.log, topic, plan.columns, plan.fields, plan.watermark, undefined, (n) => env.noteMissedRecords(topic, n));
    if (plan.startAt === 'latest') source.seek(logEnds(env.log, topic));
    return source;
  },
  sink(args) {
    return new LogSink(args.log, String(args.options['topic'] ?? args.name));
  },
  table: () => Promise.resolve(undefined),
  async provision(kind, name, options, log) {
    if (kind === 'table') return;
    const o = new ParsedOptions(options, kind === 'stream' ? STREAM : SINK, `${kind} ${name}`);
    const retention = o.has('retention') ? { retentionMs: o.number('retention', 0) } : {};
    await log.createTopic(o.string('topic', name), kind === 'stream' ? o.number('partitions', 4) : 1, retention);
  },
  async release(kind, name, options, log) {
    if (kind === 'stream') await log.dropTopic(String(options['topic'] ?? name));
  },
};

/** Tables kept in the embedded store, filled with INSERT (the default for tables). */
export const tableConnector: Connector = {
  name: 'table',
  doc: 'A table kept in the embedded store and filled with INSERT: the latest row per primary key.',
  options: { table: [] },
  table: () => Promise.resolve(undefined),
};

/** The end of every partition of a log topic now, as source positions (`topic/partition`). */
export function logEnds(log: EmbeddedLog, topic: string): Record<string, number> {
  return Object.fromEntries(Array.from({ length: log.partitions(topic) }, (_, p) => [`${topic}/${p}`, log.highWatermark(topic, p)]));
}
