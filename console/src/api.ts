/**
 * The console's one way to the server: every request carries the bearer token kept in session
 * storage and the `Sluice-Client: console` header (a read-only server refuses changes from it).
 */

const TOKEN_KEY = 'sluice.token';

export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function storeToken(token: string | null): void {
  if (token === null) sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
}

export interface Position {
  readonly line: number;
  readonly column: number;
  readonly offset: number;
}

/** The API's error shape: `{error: {code, message, position?, end?, hint?}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint?: string,
    readonly position?: Position,
    readonly end?: Position,
  ) {
    super(message);
  }
}

/** Listeners told when the server answers 401, so the app can show the login page again. */
const unauthorized = new Set<() => void>();
export function onUnauthorized(fn: () => void): () => void {
  unauthorized.add(fn);
  return () => unauthorized.delete(fn);
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const token = storedToken();
  return { 'sluice-client': 'console', ...(token ? { authorization: `Bearer ${token}` } : {}), ...extra };
}

export function errorOf(status: number, body: unknown): ApiError {
  const e = (body as { error?: { code?: string; message?: string; hint?: string; position?: Position; end?: Position } } | null)?.error;
  return new ApiError(status, e?.code ?? `HTTP_${status}`, e?.message ?? `the server answered HTTP ${status}`, e?.hint, e?.position, e?.end);
}

async function request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    ...(signal ? { signal } : {}),
  });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    parsed = null;
  }
  if (res.status === 401) for (const fn of unauthorized) fn();
  if (!res.ok) throw Object.assign(errorOf(res.status, parsed), { body: parsed });
  return parsed as T;
}

export const api = {
  get: <T>(path: string, signal?: AbortSignal) => request<T>('GET', path, undefined, signal),
  post: <T>(path: string, body: unknown) => request<T>('POST', path, body),
  del: <T>(path: string) => request<T>('DELETE', path),
};

/** Runs statements through POST /v1/sql. A failure part-way answers the results before it too. */
export async function runSql(sql: string): Promise<{ results: SqlResult[]; error?: ApiError }> {
  try {
    return await api.post<{ results: SqlResult[] }>('/v1/sql', { sql });
  } catch (err) {
    const body = (err as { body?: { results?: SqlResult[] } }).body;
    if (err instanceof ApiError && body?.results) return { results: body.results, error: err };
    throw err;
  }
}

export interface Column {
  readonly name: string;
  readonly type: string;
}

export type SqlResult =
  | { kind: 'ok'; statement: string; message: string }
  | { kind: 'rows'; statement: string; columns: Column[]; rows: unknown[][]; errors?: { reason: string; operator: string; row: unknown }[] }
  | { kind: 'explain'; statement: string; text: string };

/** One message of POST /v1/query's NDJSON stream. */
export type StreamMessage =
  | { columns: Column[]; queryId: string | null; updating: boolean }
  | { op: '+I' | '-U' | '+U' | '-D'; values: unknown[] }
  | { errors: { reason: string; operator: string; row: unknown }[] }
  | { error: { code: string; message: string; hint?: string; position?: Position; end?: Position } }
  | { end: true; rows: number };

/** Streams one SELECT; aborting `signal` closes the connection, which cancels the query on the server. */
export async function streamQuery(sql: string, signal: AbortSignal, onMessage: (m: StreamMessage) => void): Promise<void> {
  const res = await fetch('/v1/query', { method: 'POST', headers: headers({ 'content-type': 'application/json' }), body: JSON.stringify({ sql }), signal });
  if (!res.ok || !res.body) {
    const body: unknown = await res.json().catch(() => null);
    if (res.status === 401) for (const fn of unauthorized) fn();
    throw errorOf(res.status, body);
  }
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += decoder.decode(value, { stream: true });
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') onMessage(JSON.parse(line) as StreamMessage);
  }
}

// ---- shapes of the JSON routes the pages read ----

export interface QueryInfo {
  id: string;
  kind: 'push' | 'view' | 'sink';
  name?: string;
  sql: string;
  status: string;
  error?: { code: string; message: string };
  startedAt: number;
  rowsIn: number;
  rowsOut: number;
  deadLetters: number;
  rateIn: number;
  rateOut: number;
  lag?: number;
  lastCheckpointEpoch?: number;
}

export interface Series {
  scope: 'engine' | 'query' | 'operator' | 'model';
  id: string;
  metric: string;
  t: number[];
  v: (number | null)[];
}

export interface SeriesAnswer {
  now: number;
  intervalMs: number;
  windowMs: number;
  series: Series[];
}

export interface ConsoleSettings {
  mode: 'read-write' | 'read-only';
  intervalMs: number;
  windowMs: number;
}

export interface RelationSummary {
  name: string;
  kind: 'stream' | 'table' | 'view' | 'sink';
  columns: Column[];
  key: string[];
  connector?: string;
  watermark?: string;
  deadLetters: boolean;
  queryId?: string;
  topic?: string;
  partitions?: number;
  retentionMs?: number;
  records?: number;
  rows?: number;
  sql: string;
}

export interface PeekAnswer {
  name: string;
  columns: Column[];
  rows: { partition?: number; offset?: number; values: unknown[] }[];
  next?: number;
}

export function seriesUrl(params: Record<string, string | number | undefined>): string {
  const q = Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`)
    .join('&');
  return `/v1/series${q ? `?${q}` : ''}`;
}

let pathsOnce: Promise<ReadonlySet<string>> | undefined;

/**
 * The routes this server offers (`METHOD /path/{param}`), from its OpenAPI document, so pages ask
 * only for what exists: a server without model quality or stop/start has no such paths.
 */
export function apiPaths(): Promise<ReadonlySet<string>> {
  pathsOnce ??= api
    .get<{ paths: Record<string, Record<string, unknown>> }>('/v1/openapi.json')
    .then((doc) => new Set(Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))))
    .catch((err: unknown) => {
      pathsOnce = undefined;
      throw err;
    });
  return pathsOnce;
}
