/**
 * Streams a query's rows to an HTTP client as NDJSON or server-sent events.
 *
 * The first message is the header `{columns, queryId, updating}`; each row follows as
 * `{op, values}`; an error part-way is sent as `{error}`; the rows a pull query failed on are sent
 * as `{errors: [...]}` before the end; a stream that ends on its own ends with `{end: true, rows}`.
 * When the client goes away, the query is cancelled.
 */
import type { ServerResponse } from 'node:http';
import { stringifyExactJson } from '../common/exact-json.js';
import type { PushRow, ResultColumn, RowError } from '../engine/types.js';
import { apiError, toErrorReply, type ErrorReply } from './error-body.js';
import { rowErrorToJson, rowToJson, type JsonValue } from './json-values.js';
import { columnWriters, type TimestampFormat } from './timestamps.js';

/** What a stream sends: rows from a push query, or the rows of a pull query, once. */
export interface RowSource {
  readonly queryId: string | null;
  readonly columns: readonly ResultColumn[];
  readonly updating: boolean;
  readonly rows: AsyncIterable<readonly PushRow[]>;
  /** Pull queries: the rows that failed, sent after the rows. */
  readonly errors?: readonly RowError[];
  cancel(): void;
  /** Whether the query was cancelled by its id (DELETE /v1/queries/:id): the end message says so. */
  cancelledElsewhere?(): boolean;
}

export type StreamFormat = 'ndjson' | 'sse';

export function streamFormat(accept: string | undefined): StreamFormat {
  return accept !== undefined && accept.includes('text/event-stream') ? 'sse' : 'ndjson';
}

const HEARTBEAT_MS = 15_000;
/** How long a stalled client's socket may still take its final error line before it is destroyed. */
const FAREWELL_MS = 1_000;

export interface StreamOptions {
  /** A client that leaves the stream unread this long (ms) gets a CLIENT_TOO_SLOW line and is disconnected. */
  readonly stallTimeoutMs: number;
  /** The request's id, sent as the x-request-id header. */
  readonly requestId?: string;
  /** Turns an error part-way into its message (logging a 5xx one with the request id); default toErrorReply. */
  readonly replyError?: (err: unknown) => ErrorReply;
  /** How TIMESTAMP values are written (default ISO text). */
  readonly timestamps?: TimestampFormat;
}

/** Thrown inside `streamRows` when the client stopped reading. */
class ClientStalled extends Error {}

function frame(format: StreamFormat, event: string, msg: JsonValue): string {
  const text = stringifyExactJson(msg);
  return format === 'sse' ? `event: ${event}\ndata: ${text}\n\n` : `${text}\n`;
}

export async function streamRows(res: ServerResponse, src: RowSource, format: StreamFormat, opts: StreamOptions): Promise<void> {
  let closed = false;
  let stopWaiting: () => void = () => {};
  let signalClosed: () => void = () => {};
  const whenClosed = new Promise<'closed'>((resolve) => {
    signalClosed = () => resolve('closed');
  });
  const onClose = (): void => {
    if (closed) return;
    closed = true;
    src.cancel();
    stopWaiting();
    signalClosed();
  };
  res.on('close', onClose);
  res.writeHead(200, {
    'content-type': format === 'sse' ? 'text/event-stream; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    ...(src.queryId !== null ? { 'sluice-query-id': src.queryId } : {}),
    ...(opts.requestId !== undefined ? { 'x-request-id': opts.requestId } : {}),
  });
  const heartbeat = setInterval(() => {
    if (!closed) res.write(format === 'sse' ? ': keep-alive\n\n' : '\n');
  }, HEARTBEAT_MS);
  heartbeat.unref();

  const send = async (event: string, msg: JsonValue): Promise<void> => {
    if (closed) return;
    const ok = res.write(frame(format, event, msg));
    if (!ok && !closed) {
      const drained = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), opts.stallTimeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          res.off('drain', done);
          resolve(true);
        };
        stopWaiting = done;
        res.once('drain', done);
      });
      if (!drained) throw new ClientStalled();
    }
  };

  let count = 0;
  const writers = columnWriters(src.columns, opts.timestamps ?? 'iso');
  try {
    await send('columns', {
      columns: src.columns.map((c) => ({ name: c.name, type: c.type })),
      queryId: src.queryId,
      updating: src.updating,
    });
    const it = src.rows[Symbol.asyncIterator]();
    for (;;) {
      const next = await Promise.race([it.next(), whenClosed]);
      if (next === 'closed') {
        void it.return?.()?.catch(() => {});
        break;
      }
      if (next.done === true) break;
      for (const row of next.value) {
        await send('row', { op: row.op, values: rowToJson(row.values, writers) });
        count++;
      }
    }
    if (src.errors?.length) await send('errors', { errors: src.errors.map(rowErrorToJson) });
    await send('end', { end: true, rows: count, ...(src.cancelledElsewhere?.() ? { cancelled: true } : {}) });
  } catch (err) {
    if (err instanceof ClientStalled) {
      // The socket's buffer is full: queue the last line, end, and drop the socket if even that is not read.
      const e = apiError('CLIENT_TOO_SLOW', `the client did not read the stream for ${opts.stallTimeoutMs} ms; the query was stopped`, 'read the stream continuously, or select fewer rows');
      closed = true;
      src.cancel();
      res.end(frame(format, 'error', toErrorReply(e).body));
      setTimeout(() => res.destroy(), FAREWELL_MS).unref();
    } else {
      await send('error', (opts.replyError ?? toErrorReply)(err).body);
    }
  } finally {
    clearInterval(heartbeat);
    res.off('close', onClose);
    if (!closed) {
      closed = true;
      src.cancel();
      res.end();
    }
  }
}

/** A one-shot row source over the rows of a pull query. */
export function pullRowSource(columns: readonly ResultColumn[], rows: readonly (readonly unknown[])[], errors: readonly RowError[] = []): RowSource {
  async function* once(): AsyncGenerator<readonly PushRow[]> {
    yield rows.map((values) => ({ op: '+I', values }));
  }
  return { queryId: null, columns, updating: false, rows: once(), errors, cancel: () => {} };
}
