/**
 * Limits of the HTTP API: what one request or one client may ask of the server. Each has a
 * default here and a `sluice serve` flag; docs/security.md lists them with the planner's.
 */
import { apiError } from './error-body.js';

export interface ServerLimits {
  /** Most bytes of SQL text (UTF-8) in one request. */
  readonly maxSqlBytes: number;
  /** Most statements in one request. */
  readonly maxStatements: number;
  /** Most push queries streaming at once over the whole server. */
  readonly maxPushQueries: number;
  /** Most push queries streaming at once to one client (by remote address). */
  readonly maxPushQueriesPerClient: number;
  /** How long a push query client may leave its stream unread before it is disconnected (ms). */
  readonly pushStallTimeoutMs: number;
  /** Largest body of POST /v1/streams/:name/rows in bytes. */
  readonly maxIngestBytes: number;
  /** Most rows in one POST /v1/streams/:name/rows request. */
  readonly maxIngestRows: number;
  /** Rows posted to a stream are refused (429) while a view or sink reading it is more records behind than this. */
  readonly ingestMaxLag: number;
}

export const DEFAULT_SERVER_LIMITS: ServerLimits = {
  maxSqlBytes: 1024 * 1024,
  maxStatements: 100,
  maxPushQueries: 64,
  maxPushQueriesPerClient: 8,
  pushStallTimeoutMs: 30_000,
  maxIngestBytes: 16 * 1024 * 1024,
  maxIngestRows: 100_000,
  ingestMaxLag: 1_000_000,
};

/** Refuses SQL text longer than the limit, before it is parsed. */
export function checkSqlSize(sql: string, limits: ServerLimits): void {
  const bytes = Buffer.byteLength(sql, 'utf8');
  if (bytes > limits.maxSqlBytes) {
    throw apiError('LIMIT_EXCEEDED', `the SQL text is ${bytes} bytes; the limit is ${limits.maxSqlBytes}`, 'send it in several requests; the limit is set by sluice serve --max-sql-bytes');
  }
}

/**
 * Counts the push queries streaming now, in all and per client. `acquire` refuses a new one
 * (TOO_MANY_QUERIES) when either count is at its limit; the returned release is idempotent.
 */
export class PushSlots {
  private total = 0;
  private readonly byClient = new Map<string, number>();

  constructor(private readonly limits: ServerLimits) {}

  acquire(client: string): () => void {
    const mine = this.byClient.get(client) ?? 0;
    if (this.total >= this.limits.maxPushQueries) {
      throw apiError('TOO_MANY_QUERIES', `the server already streams ${this.total} push queries; the limit is ${this.limits.maxPushQueries}`, 'close a stream or DELETE /v1/queries/:id, then retry; the limit is set by sluice serve --max-push-queries');
    }
    if (mine >= this.limits.maxPushQueriesPerClient) {
      throw apiError('TOO_MANY_QUERIES', `this client already streams ${mine} push queries; the limit is ${this.limits.maxPushQueriesPerClient}`, 'close one of its streams, then retry; the limit is set by sluice serve --max-push-queries-per-client');
    }
    this.total++;
    this.byClient.set(client, mine + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const n = (this.byClient.get(client) ?? 1) - 1;
      if (n === 0) this.byClient.delete(client);
      else this.byClient.set(client, n);
    };
  }
}
