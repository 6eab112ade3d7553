/** Reading and validating request bodies and query parameters. */
import { apiError } from './error-body.js';

/**
 * The SQL text of a POST /v1/sql or /v1/query body: a JSON object `{sql: string}`, or the SQL
 * itself when the body was sent as text/plain.
 */
export function sqlFromBody(body: unknown, contentType: string | undefined): string {
  if (typeof body === 'string' && mediaType(contentType) === 'text/plain') {
    if (body.trim() === '') throw apiError('BAD_REQUEST', 'the request body is empty', 'send {"sql": "..."} as application/json');
    return body;
  }
  if (body === null || body === undefined || typeof body !== 'object' || Array.isArray(body)) {
    throw apiError('BAD_REQUEST', 'the request body must be a JSON object', 'send {"sql": "..."} as application/json');
  }
  const sql: unknown = (body as Record<string, unknown>).sql;
  if (sql === undefined) throw apiError('BAD_REQUEST', "the request body has no 'sql' field", 'send {"sql": "..."}');
  if (typeof sql !== 'string') throw apiError('BAD_REQUEST', "the 'sql' field must be a string");
  if (sql.trim() === '') throw apiError('BAD_REQUEST', "the 'sql' field is empty");
  return sql;
}

/** The media type of a Content-Type header, lower-cased and without parameters (`charset=...`). */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

/** An integer query parameter from `min` (default 1) to `max`, or undefined when absent. */
export function intParam(value: unknown, name: string, max: number, min = 1): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw apiError('BAD_REQUEST', `'${name}' must be an integer from ${min} to ${max}`);
  }
  return n;
}

/** An optional string query parameter (repeated parameters are refused). */
export function stringParam(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw apiError('BAD_REQUEST', `'${name}' must be given once, as text`);
  return value;
}

/**
 * A request option that takes one of `values`: the JSON body's field `name`, else the query
 * parameter of that name, else undefined; any other value is a BAD_REQUEST naming the choices.
 */
export function choiceOption<T extends string>(body: unknown, query: unknown, name: string, values: readonly T[], hint: string): T | undefined {
  const fromBody = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>)[name] : undefined;
  const fromQuery = query !== null && typeof query === 'object' ? (query as Record<string, unknown>)[name] : undefined;
  const v = fromBody ?? fromQuery;
  if (v === undefined) return undefined;
  if (typeof v === 'string' && (values as readonly string[]).includes(v)) return v as T;
  throw apiError('BAD_REQUEST', `'${name}' must be one of ${values.map((f) => `'${f}'`).join(', ')}`, hint);
}
