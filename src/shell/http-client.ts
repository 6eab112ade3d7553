/** A small client of the Sluice HTTP API, used by the shell. */
import { parseExactJson } from '../common/exact-json.js';
import type { PushRow, QueryInfo, ResultColumn } from '../engine/types.js';
import type { CompletionCatalog } from './completer.js';

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

/** Request properties of a streamed query (see docs/http-api.md). */
export interface QueryOptions {
  /** Where a push query starts reading its streams; the server's default is 'latest'. */
  readonly from?: 'earliest' | 'latest';
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
      const timedOut = err instanceof Error && err.name === 'TimeoutError';
      if (init.signal?.aborted === true && !timedOut) throw err;
      const cause = timedOut ? ': no answer within 5 s' : err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
      throw new ApiError(0, {
        code: 'CONNECTION',
        message: `cannot reach a Sluice server at ${this.base}${cause}`,
        hint: 'start one with `sluice serve` (it listens on http://127.0.0.1:8080), or pass the address of a running one with --url (or $SLUICE_URL)',
      });
    }
    if (!res.ok) throw await errorOf(res);
    return res;
  }

  /** The server's queries, running and ended (GET /v1/queries). */
  async queries(signal?: AbortSignal): Promise<QueryInfo[]> {
    const res = await this.request('/v1/queries', { headers: this.headers(), ...(signal ? { signal } : {}) });
    return ((await res.json()) as { queries: QueryInfo[] }).queries;
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

  /** What completion needs: relations with kinds and columns, models, functions, WITH option keys. */
  async catalog(): Promise<CompletionCatalog> {
    const res = await this.request('/v1/catalog', { headers: this.headers() });
    const body = (await res.json()) as Partial<Record<keyof CompletionCatalog, unknown>>;
    const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((n): n is string => typeof n === 'string') : []);
    const relations = Array.isArray(body.relations) ? (body.relations as CompletionCatalog['relations']).filter((r) => typeof r?.name === 'string' && Array.isArray(r.columns)) : [];
    return { relations, models: strings(body.models), functions: strings(body.functions), options: strings(body.options) };
  }

  /**
   * Checks that a Sluice server answers at the URL (and accepts the token): its version. Throws
   * ApiError CONNECTION when nothing answers there, UNAUTHORIZED for a wrong token.
   */
  async connect(): Promise<string> {
    const res = await this.request('/healthz', { headers: this.headers(), signal: AbortSignal.timeout(5000) });
    const body = (await res.json().catch(() => ({}))) as { status?: unknown; version?: unknown };
    if (body.status !== 'ok') throw new ApiError(0, { code: 'CONNECTION', message: `${this.base} answers, but not as a Sluice server (GET /healthz gave no status)`, hint: 'check --url' });
    // /healthz needs no token: ask a route that does, so a wrong token shows now.
    await this.request('/v1/catalog', { headers: this.headers(), signal: AbortSignal.timeout(5000) });
    return typeof body.version === 'string' ? body.version : 'unknown';
  }

  /**
   * Runs a SELECT through POST /v1/query and calls the handlers as messages arrive. Resolves
   * with the row count when the stream ends or `signal` aborts (which cancels the query).
   */
  async query(sql: string, handlers: StreamHandlers, signal: AbortSignal, options: QueryOptions = {}): Promise<number> {
    const res = await this.request('/v1/query', {
      method: 'POST',
      headers: this.headers({ 'content-type': 'application/json', accept: 'application/x-ndjson' }),
      body: JSON.stringify({ sql, ...options }),
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
