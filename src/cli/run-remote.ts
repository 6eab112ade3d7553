/**
 * `sluice run FILE --url URL`: runs a SQL file on a running server instead of an embedded engine.
 * Statements go one by one to POST /v1/sql, queries (SELECT, WITH) to POST /v1/query; results
 * print as `sluice run` prints them. The first failing statement stops the file (like the
 * embedded run) and the command exits 1. Push queries stream until Ctrl-C, or until they all end.
 * The progress line on stderr shows the queries the server started while the file runs, as
 * GET /v1/queries lists them (polled each second).
 */
import { readFile } from 'node:fs/promises';
import type { QueryInfo } from '../engine/types.js';
import { ApiError, SluiceClient } from '../shell/http-client.js';
import { LiveRowPrinter } from '../shell/live-rows.js';
import { printResult, renderApiError, renderRowErrors, renderTable } from '../shell/render.js';
import { isQuery, splitStatements, stripComments } from '../shell/statement-splitter.js';
import { ProgressReporter } from './progress.js';

export interface RunRemoteOptions {
  readonly url: string;
  readonly token?: string;
  /** Where push queries start reading their streams (the server's default: latest). */
  readonly from?: 'latest' | 'earliest';
}

export async function runRemote(file: string, opts: RunRemoteOptions): Promise<number> {
  const text = await readFile(file, 'utf8');
  const { statements, rest } = splitStatements(text);
  if (stripComments(rest) !== '') statements.push(rest.trim());
  const client = new SluiceClient(opts.url, opts.token);
  const progress = await RemoteProgress.start(client);
  const write = (s: string): void => {
    progress.clear();
    process.stdout.write(s);
  };
  const abort = new AbortController();
  const onSigint = (): void => abort.abort();
  process.once('SIGINT', onSigint);
  const streams: Promise<void>[] = [];
  try {
    for (const sql of statements) {
      try {
        if (isQuery(sql)) {
          const started = await startQuery(client, sql, write, abort.signal, opts.from);
          if (started.pull) await started.done;
          else streams.push(started.done);
        } else {
          for (const r of await client.sql(sql, abort.signal)) printResult(r, write);
        }
      } catch (err) {
        abort.abort();
        await Promise.allSettled(streams);
        if (err instanceof ApiError) process.stderr.write(`${renderApiError(err.body, sql)}\n`);
        else if (!abort.signal.aborted || !(err instanceof Error && err.name === 'AbortError')) throw err;
        return 1;
      }
    }
    await Promise.all(streams);
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
    progress.stop();
  }
}

/**
 * The progress line of a remote run: the running queries the server did not have when the run
 * began (the ones its statements started, and any another client started meanwhile).
 */
class RemoteProgress {
  private shown: readonly QueryInfo[] = [];
  private readonly reporter = new ProgressReporter(() => this.shown);
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  private constructor(
    private readonly client: SluiceClient,
    private readonly before: ReadonlySet<string>,
  ) {}

  /** Notes the queries running now and polls each second; a server that cannot list them gets no line. */
  static async start(client: SluiceClient): Promise<RemoteProgress> {
    const before = await client.queries(AbortSignal.timeout(5000)).then(
      (qs) => new Set(qs.map((q) => q.id)),
      () => undefined,
    );
    const progress = new RemoteProgress(client, before ?? new Set());
    if (before !== undefined) {
      progress.timer = setInterval(() => void progress.poll(), 1000);
      progress.timer.unref();
    }
    return progress;
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const queries = await this.client.queries(AbortSignal.timeout(5000));
      this.shown = queries.filter((q) => q.status === 'running' && !this.before.has(q.id));
      if (this.shown.length > 0) this.reporter.draw();
    } catch {
      // The server went away or is slow: the statements' own requests say so.
    } finally {
      this.polling = false;
    }
  }

  clear(): void {
    this.reporter.clear();
  }

  stop(): void {
    clearInterval(this.timer);
    this.reporter.clear();
  }
}

/**
 * Starts a query; resolves once its header arrived, telling whether it is a pull query (answers
 * and ends) and with a promise of its end. Push rows print as they arrive.
 */
function startQuery(client: SluiceClient, sql: string, write: (s: string) => void, signal: AbortSignal, from: 'latest' | 'earliest' | undefined): Promise<{ pull: boolean; done: Promise<void> }> {
  return new Promise((resolve, reject) => {
    let printer: LiveRowPrinter | undefined;
    let columns: { name: string }[] = [];
    let queryId: string | null = null;
    const pulled: unknown[][] = [];
    let failedRows: { reason: string; row: unknown }[] = [];
    let started = false;
    const done = client
      .query(
        sql,
        {
          onHeader: (h) => {
            started = true;
            queryId = h.queryId;
            columns = h.columns;
            if (h.queryId !== null) {
              write(`-- push query ${h.queryId}\n`);
              printer = new LiveRowPrinter(h.columns, h.updating, write);
              printer.header();
            }
            resolve({ pull: h.queryId === null, done: done.then(() => undefined) });
          },
          onRow: (r) => (printer ? printer.row(r) : pulled.push([...r.values])),
          onRowErrors: (errors) => {
            failedRows = errors;
          },
        },
        signal,
        from !== undefined ? { from } : {},
      )
      .then(
        (n) => {
          if (queryId === null) write(`${renderTable(columns, pulled)}\n${failedRows.length ? renderRowErrors(failedRows) : ''}`);
          else write(`-- query ${queryId} ${signal.aborted ? 'cancelled' : 'ended'} after ${n} ${n === 1 ? 'row' : 'rows'}\n`);
        },
        (err: unknown) => {
          if (err instanceof Error && err.name === 'AbortError') return;
          if (!started) reject(err);
          else throw err;
        },
      );
  });
}
