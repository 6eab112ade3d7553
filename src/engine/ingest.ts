/**
 * Rows sent to a stream from outside (POST /v1/streams/:name/rows). Each row is decoded with the
 * stream's schema as a Kafka JSON record would be (TIMESTAMP as ISO-8601 text or epoch
 * milliseconds, BIGINT exact; a column left out takes its DEFAULT). Rows that fit and pass the
 * stream's CHECKs are appended to the stream's log and the others go to its dead-letter stream
 * `<stream>_dlq` with the reason, in one write: a request is stored whole or not at all.
 */
import { SluiceError } from '../common/errors.js';
import { stringifyExactJson } from '../common/exact-json.js';
import { fillRow } from '../connectors/kafka/json-codec.js';
import { batchFromRows } from '../exec/columns.js';
import { encodeBatch } from '../exec/ipc.js';
import { RowChecker } from '../exec/row-constraints.js';
import { rowConstraints } from '../planner/constraints.js';
import type { Catalog, StreamDef } from '../planner/catalog.js';
import type { EmbeddedLog, Store } from '../state/index.js';
import { dlqBatch } from './sinks.js';
import { logTopicOf, stageStreamRows } from './stream-append.js';

/** One row of a request: its parsed JSON value, or the reason its text did not parse. */
export type IngestRow = { readonly value: unknown; readonly text: string } | { readonly error: string; readonly text: string };

export interface IngestRejection {
  /** Position of the row in the request, from 0. */
  readonly index: number;
  readonly reason: string;
}

export interface IngestResult {
  readonly stream: string;
  readonly accepted: number;
  readonly rejected: readonly IngestRejection[];
  /** The stream that holds the rejected rows, when there were any. */
  readonly deadLetters?: string;
}

export interface IngestOptions {
  /**
   * Refuse the request (BACKPRESSURE) when a view or sink reading the stream is more than this
   * many records behind; undefined never refuses.
   */
  readonly maxLag?: number;
}

/** What ingesting needs of the engine. */
export interface IngestSession {
  readonly catalog: Catalog;
  readonly log: EmbeddedLog;
  readonly store: Store;
  ensureDlq(name: string): Promise<string>;
  /** The most records any persistent query reading `topic` has yet to read. */
  readerLag(topic: string): number;
  countDeadLetters(stream: string, n: number): void;
}

/** Longest row text kept in a dead-letter row. */
const MAX_DEAD_ROW_CHARS = 10_000;

export async function ingestRows(session: IngestSession, name: string, rows: readonly IngestRow[], opts: IngestOptions = {}): Promise<IngestResult> {
  const def = streamOf(session.catalog, name);
  const topic = logTopicOf(def, `POST /v1/streams/${def.name}/rows into`);
  if (opts.maxLag !== undefined) {
    const lag = session.readerLag(topic);
    if (lag > opts.maxLag) {
      throw new SluiceError('BACKPRESSURE', `the queries reading stream '${def.name}' are ${lag} records behind; the limit is ${opts.maxLag}`, {
        hint: 'retry after the Retry-After seconds; the limit is set by sluice serve --ingest-max-lag',
      });
    }
  }
  let accepted: Record<string, unknown>[] = [];
  const rejected: IngestRejection[] = [];
  const at = Date.now();
  const values = new Array<unknown>(def.schema.length);
  const checker = checkerOf(def, session.catalog);
  const reject = (index: number, reason: string): void => void rejected.push({ index, reason });
  const fitting: number[] = [];
  rows.forEach((r, index) => {
    const reason = 'error' in r ? r.error : fillRow(def.schema, r.value, 0, undefined, values, checker?.defaults);
    if (reason !== undefined) return reject(index, reason);
    accepted.push(Object.fromEntries(def.schema.map((f, c) => [f.name, values[c]])));
    fitting.push(index);
  });
  const violations = checker && accepted.length > 0 ? checker.violations(batchFromRows(def.schema, accepted)) : undefined;
  if (violations?.size) {
    for (const [i, reason] of violations) reject(fitting[i]!, reason);
    rejected.sort((a, b) => a.index - b.index);
    accepted = accepted.filter((_, i) => !violations.has(i));
  }
  const letters = rejected.map(({ index, reason }) => {
    const r = rows[index]!;
    const text = 'error' in r ? r.text : stringifyExactJson(r.value);
    return { reason, operator: 'HttpIngest', row: text.length > MAX_DEAD_ROW_CHARS ? `${text.slice(0, MAX_DEAD_ROW_CHARS)}...` : text, source: `POST /v1/streams/${def.name}/rows#${index}`, at };
  });
  const wb = session.store.batch();
  if (accepted.length > 0) stageStreamRows(session.log, def, topic, accepted, wb);
  let dlq: string | undefined;
  if (letters.length > 0) {
    dlq = await session.ensureDlq(`${def.name}_dlq`);
    session.log.append(dlq, 0, encodeBatch(dlqBatch(letters)), letters.length, wb);
  }
  await wb.write();
  if (letters.length > 0) session.countDeadLetters(def.name, letters.length);
  return { stream: def.name, accepted: accepted.length, rejected, ...(dlq !== undefined ? { deadLetters: dlq } : {}) };
}

/** The compiled constraints of each stream definition that declares any (a replaced definition is a new object). */
const checkers = new WeakMap<StreamDef, RowChecker | null>();

function checkerOf(def: StreamDef, catalog: Catalog): RowChecker | undefined {
  let c = checkers.get(def);
  if (c === undefined) {
    const spec = rowConstraints(def, catalog);
    c = spec ? new RowChecker(spec) : null;
    checkers.set(def, c);
  }
  return c ?? undefined;
}

function streamOf(catalog: Catalog, name: string): StreamDef {
  const def = catalog.relation(name);
  if (def.kind !== 'stream') {
    throw new SluiceError('INVALID_ARGUMENT', `'${def.name}' is a ${def.kind}; rows can be posted only to a stream`, { hint: 'for a table use INSERT INTO through POST /v1/sql' });
  }
  if (def.options['dlq'] === true) throw new SluiceError('INVALID_ARGUMENT', `'${def.name}' is a dead-letter stream; only Sluice writes to it`);
  return def;
}
