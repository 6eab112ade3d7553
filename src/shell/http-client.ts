/** A small client of the Sluice HTTP API, used by the shell. */
import { parseExactJson } from '../common/exact-json.js';
import type { ResultColumn, PushRow } from '../engine/types.js';

/** The `error` object of an API error answer. */
export interface ApiErrorBody {
  readonly code: string;
  readonly message: string;
  readonly position?: { readonly line: number; readonly column: number; readonly offset?: number };
  readonly end?: { readonly line: number; readonly column: number; readonly offset?: number };
  readonly hint?: string;
}

/** An error answered by the server (or a transport failure, with code CONNECTION). */
export class ApiError extends Error {
  constructor(readonly status: number, readonly body: ApiErrorBody) {
    super(body.message);
    this.name = 'ApiError';
  }
}

/** A row a pull query failed on, as the HTTP API sends it. */
export interface RowErrorJson {
  readonly reason: string;
  readonly operator: string;
  readonly row: unknown;
}

export type SqlResultJson =
  | { readonly kind: 'ok'; readonly statement: string; readonly message: string }
  | { readonly kind: 'rows'; readonly statement: string; readonly columns: ResultColumn[]; readonly rows: unknown[][]; readonly errors?: RowErrorJson[] }
  | { readonly kind: 'explain'; readonly statement: string; readonly text: string };

/** The first message of a query stream. */
export interface StreamHeader {
  readonly columns: ResultColumn[];
  readonly queryId: string | null;
  readonly updating: boolean;
}

export interface StreamHandlers {
  onHeader(h: StreamHeader): void;
  onRow(r: PushRow): void;
  /** The rows a pull query failed on (sent after its rows). */
  onRowErrors?(errors: RowErrorJson[]): void;
}

export class SluiceClient {
  private readonly base: string;

  constructor(url: string, private readonly token?: string) {
    this.base = url.replace(/\/+$/, '');
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...extra, ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) };
  }

  private async request(path: string, init: RequestInit): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, init);
    } catch (err) {
      if (init.signal?.aborted === true) throw err;
      const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
      throw new ApiError(0, { code: 'CONNECTION', message: `cannot reach ${this.base}${cause}`, hint: 'is `sluice serve` running? pass --url' });
    }
    if (!res.ok) throw await errorOf(res);
    return res;
  }

  async sql(sql: string, signal?: AbortSignal): Promise<SqlResultJson[]> {
    const res = await this.request('/v1/sql', {
      method: 'POST',
      headers: this.headers({ 'content-type': 'application/json' }),
      body: JSON.stringify({ sql }),
      ...(signal ? { signal } : {}),
    });
    // Exact parse: BIGINT values arrive as JSON numbers with more digits than a double holds.
    const body = parseExactJson(await res.text()) as { results: SqlResultJson[] };
    return body.results;
  }

  /** Scores rows now with a model (POST /v1/models/:name/predict). */
  async predict(model: string, rows: readonly unknown[], version?: number): Promise<{ rows: ({ outputs: Record<string, unknown>; version: number } | { error: string })[] }> {
    const res = await this.request(`/v1/models/${encodeURIComponent(model)}/predict`, {
      method: 'POST',
      headers: this.headers({ 'content-type': 'application/json' }),
      body: JSON.stringify({ rows, ...(version === undefined ? {} : { version }) }),
    });
    return parseExactJson(await res.text()) as { rows: ({ outputs: Record<string, unknown>; version: number } | { error: string })[] };
  }

  async catalog(): Promise<string[]> {
    const res = await this.request('/v1/catalog', { headers: this.headers() });
    const body = (await res.json()) as { names?: unknown };
    return Array.isArray(body.names) ? body.names.filter((n): n is string => typeof n === 'string') : [];
  }

  /**
   * Runs a SELECT through POST /v1/query and calls the handlers as messages arrive. Resolves
   * with the row count when the stream ends or `signal` aborts (which cancels the query).
   */
  async query(sql: string, handlers: StreamHandlers, signal: AbortSignal): Promise<number> {
    const res = await this.request('/v1/query', {
      method: 'POST',
      headers: this.headers({ 'content-type': 'application/json', accept: 'application/x-ndjson' }),
      body: JSON.stringify({ sql }),
      signal,
    });
    if (res.body === null) return 0;
    let rows = 0;
    let pending = '';
    const decoder = new TextDecoder();
    const handle = (line: string): void => {
      if (line.trim() === '') return;
      const msg = parseExactJson(line) as Record<string, unknown>;
      if ('columns' in msg) handlers.onHeader(msg as unknown as StreamHeader);
      else if ('op' in msg) {
        rows++;
        handlers.onRow(msg as unknown as PushRow);
      } else if ('errors' in msg) handlers.onRowErrors?.(msg.errors as RowErrorJson[]);
      else if ('error' in msg) throw new ApiError(500, msg.error as ApiErrorBody);
    };
    try {
      for await (const chunk of res.body) {
        pending += decoder.decode(chunk, { stream: true });
        let nl: number;
        while ((nl = pending.indexOf('\n')) >= 0) {
          handle(pending.slice(0, nl));
          pending = pending.slice(nl + 1);
        }
      }
      handle(pending);
    } catch (err) {
      if (!signal.aborted) throw err;
    }
    return rows;
  }
}

async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as { error?: ApiErrorBody };
    if (body.error && typeof body.error.code === 'string') return new ApiError(res.status, body.error);
  } catch {
    // not JSON: fall through to a generic error
  }
  return new ApiError(res.status, { code: `HTTP_${res.status}`, message: text.slice(0, 200) || res.statusText });
}
