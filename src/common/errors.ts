import type { Span } from './span.js';

/** The phase an error comes from. A closed set: every error the engine reports has one. */
export type ErrorKind =
  | 'parse'
  | 'plan'
  | 'schema'
  | 'execution'
  | 'state'
  | 'model'
  | 'connector'
  | 'api'
  | 'internal';

export interface ErrorCodeInfo {
  readonly kind: ErrorKind;
  readonly http: number;
  readonly description: string;
}

/**
 * The stable error code catalogue. Codes never change meaning once published; clients match on
 * them. Each has an HTTP status and a one-line description (docs/errors.md is checked against it).
 */
export const ERROR_CODES = {
  SYNTAX_ERROR: { kind: 'parse', http: 400, description: 'The SQL text does not follow the grammar.' },
  EXPRESSION_TOO_COMPLEX: { kind: 'parse', http: 400, description: 'An expression is nested too deeply or has too many parts.' },
  UNKNOWN_RELATION: { kind: 'plan', http: 404, description: 'A statement names a stream, table, view or sink that does not exist.' },
  UNKNOWN_COLUMN: { kind: 'plan', http: 400, description: 'An expression names a column that no input provides.' },
  AMBIGUOUS_COLUMN: { kind: 'plan', http: 400, description: 'A column name is provided by more than one input; qualify it.' },
  UNKNOWN_FUNCTION: { kind: 'plan', http: 400, description: 'A call names a function that is neither built in nor registered.' },
  UNKNOWN_MODEL: { kind: 'plan', http: 404, description: 'A statement names a model that is not registered.' },
  UNKNOWN_VERSION: { kind: 'plan', http: 404, description: 'A statement names a model version that does not exist.' },
  NO_CANDIDATE: { kind: 'plan', http: 409, description: 'A model change needs a candidate and the model has none.' },
  UNKNOWN_QUERY: { kind: 'plan', http: 404, description: 'A query id does not name a running query.' },
  QUERY_STOPPED: { kind: 'plan', http: 409, description: 'A materialized view or sink is not running (stopped, failed to start, or not started); start its query (POST /v1/queries/:id/start) to read it again.' },
  ALREADY_EXISTS: { kind: 'plan', http: 409, description: 'An object with that name already exists.' },
  IN_USE: { kind: 'plan', http: 409, description: 'An object cannot be dropped while a materialized view or sink reads it.' },
  TYPE_MISMATCH: { kind: 'plan', http: 400, description: 'An expression combines values of types that do not fit.' },
  INVALID_ARGUMENT: { kind: 'plan', http: 400, description: 'A statement or function is given an argument it cannot use.' },
  UNSUPPORTED: { kind: 'plan', http: 400, description: 'The statement is valid SQL but this form is not supported.' },
  INVALID_JOIN: { kind: 'plan', http: 400, description: 'A join cannot be planned as a lookup or interval join.' },
  NOT_ALLOWED: { kind: 'plan', http: 403, description: 'A statement names something the server does not allow SQL to reach, such as a Kafka broker off the allow-list.' },
  LIMIT_EXCEEDED: { kind: 'plan', http: 400, description: 'A statement or request exceeds a configured resource limit (windows per row, interval, statements, SQL size).' },
  SCHEMA_MISMATCH: { kind: 'schema', http: 400, description: 'Data or a model does not match the declared schema.' },
  EXPRESSION_ERROR: { kind: 'execution', http: 500, description: 'An expression failed while evaluating a row.' },
  OUT_OF_MEMORY: { kind: 'execution', http: 503, description: "A query stopped because the engine's memory was nearly full; the engine and its other queries keep running." },
  STATEMENT_TIMEOUT: { kind: 'execution', http: 504, description: 'A statement that answers at once (a pull query, INSERT ... SELECT) ran longer than the statement timeout and was stopped.' },
  QUERY_FAILED: { kind: 'execution', http: 500, description: 'A running query stopped because of an error.' },
  STATE_ERROR: { kind: 'state', http: 500, description: 'Reading or writing durable state failed.' },
  MODEL_ERROR: { kind: 'model', http: 500, description: 'Loading or running a model failed.' },
  MODEL_SCHEMA_MISMATCH: { kind: 'model', http: 400, description: 'A model file does not match the INPUT/OUTPUT declared for it.' },
  CONNECTOR_ERROR: { kind: 'connector', http: 502, description: 'An external system (Kafka, files) failed or refused a request.' },
  BAD_REQUEST: { kind: 'api', http: 400, description: 'An HTTP request body or parameter is malformed.' },
  UNAUTHORIZED: { kind: 'api', http: 401, description: 'The request lacks a valid bearer token.' },
  NOT_FOUND: { kind: 'api', http: 404, description: 'No such HTTP resource.' },
  METHOD_NOT_ALLOWED: { kind: 'api', http: 405, description: 'The route exists but does not take this HTTP method; the Allow header lists those it takes.' },
  PAYLOAD_TOO_LARGE: { kind: 'api', http: 413, description: 'The request body exceeds the configured limit.' },
  URI_TOO_LONG: { kind: 'api', http: 414, description: 'The request line is longer than the server accepts.' },
  UNSUPPORTED_MEDIA_TYPE: { kind: 'api', http: 415, description: 'The request body has a Content-Type the route does not take.' },
  TOO_MANY_QUERIES: { kind: 'api', http: 429, description: 'The server or this client already runs as many push queries as allowed.' },
  BACKPRESSURE: { kind: 'api', http: 429, description: "Rows posted to a stream were refused because the queries reading it are further behind than the server allows; retry after Retry-After seconds." },
  CONNECTION: { kind: 'api', http: 503, description: 'A client (the shell, sluice run --url) could not reach the server at the URL it was given.' },
  HEADERS_TOO_LARGE: { kind: 'api', http: 431, description: 'The request headers are larger than the server accepts.' },
  CANCELLED: { kind: 'api', http: 499, description: 'The call was cancelled (its AbortSignal fired, e.g. the client went away) before a statement finished; the statements before it ran.' },
  CLIENT_TOO_SLOW: { kind: 'api', http: 408, description: 'The client was too slow: its request did not arrive in time, or it left its push query stream unread too long.' },
  INTERNAL: { kind: 'internal', http: 500, description: 'A bug in Sluice; please report it with the statement that caused it.' },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ErrorDetails {
  /** Where in the SQL text the problem is. */
  readonly span?: Span;
  /** What the user can do about it, e.g. "did you mean 'amount'?". */
  readonly hint?: string;
  /** The SQL text the span points into, used for rendering. */
  readonly sql?: string;
  readonly cause?: unknown;
}

/** The one error type of the engine. */
export class SluiceError extends Error {
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  readonly span: Span | undefined;
  readonly hint: string | undefined;
  sql: string | undefined;
  /** Further errors found in the same pass (e.g. several unknown names in one statement). */
  readonly related: SluiceError[] = [];

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'SluiceError';
    this.code = code;
    this.kind = ERROR_CODES[code].kind;
    this.span = details.span;
    this.hint = details.hint;
    this.sql = details.sql;
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code].http;
  }

  /** Attaches the SQL text so the error can render its caret; keeps an earlier one. */
  withSql(sql: string): this {
    this.sql ??= sql;
    for (const r of this.related) r.withSql(sql);
    return this;
  }

  /** Renders `ERROR [CODE]: message`, the offending line with a caret under the span, and the hint. */
  render(): string {
    const parts = [renderOne(this)];
    for (const r of this.related) parts.push(renderOne(r));
    return parts.join('\n\n');
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      kind: this.kind,
      message: this.message,
      ...(this.span ? { position: { line: this.span.start.line, column: this.span.start.column, offset: this.span.start.offset } } : {}),
      ...(this.hint ? { hint: this.hint } : {}),
      ...(this.related.length ? { related: this.related.map((r) => r.toJSON()) } : {}),
    };
  }
}

const MAX_SHOWN_LINE = 240;
const CONTEXT_BEFORE_CARET = 80;

function renderOne(e: SluiceError): string {
  const out = [`ERROR [${e.code}]: ${e.message}`];
  if (e.span && e.sql !== undefined) {
    const lines = e.sql.split('\n');
    const lineNo = e.span.start.line;
    const line = lines[lineNo - 1] ?? '';
    const prefix = `LINE ${lineNo}: `;
    let startCol = e.span.start.column;
    let endCol = e.span.end.line === lineNo ? Math.max(e.span.end.column, startCol + 1) : line.length + 1;
    // A long line (generated SQL) is cut to a window around the caret, so the message stays short.
    let text = line;
    if (line.length > MAX_SHOWN_LINE) {
      const from = Math.max(0, startCol - 1 - CONTEXT_BEFORE_CARET);
      const to = Math.min(line.length, from + MAX_SHOWN_LINE);
      const lead = from > 0 ? '...' : '';
      text = lead + line.slice(from, to) + (to < line.length ? '...' : '');
      startCol = startCol - from + lead.length;
      endCol = Math.min(endCol - from + lead.length, lead.length + (to - from) + 1);
    }
    out.push(prefix + text);
    out.push(' '.repeat(prefix.length + startCol - 1) + '^'.repeat(Math.max(1, endCol - startCol)));
  } else if (e.span) {
    out.push(`at line ${e.span.start.line}, column ${e.span.start.column}`);
  }
  if (e.hint) out.push(`HINT: ${e.hint}`);
  return out.join('\n');
}

/** Wraps any thrown value as a SluiceError, keeping SluiceErrors as they are. */
export function asSluiceError(err: unknown, code: ErrorCode = 'INTERNAL'): SluiceError {
  if (err instanceof SluiceError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new SluiceError(code, message, { cause: err });
}

/** For exhaustive switches over discriminated unions. */
/**
 * Throws CANCELLED when `signal` has fired: `what` is about to start or was running. Long work
 * calls it between steps, so a cancelled call stops at the next step and not at its end.
 */
export function throwIfCancelled(signal: AbortSignal | undefined, what: string, span?: Span): void {
  if (!signal?.aborted) return;
  // A signal aborted with an error of its own (the statement timeout) says why in its own words.
  if (signal.reason instanceof SluiceError) throw signal.reason;
  const reason = signal.reason instanceof Error ? signal.reason.message : signal.reason !== undefined ? String(signal.reason) : 'aborted';
  throw new SluiceError('CANCELLED', `${what} was cancelled (${reason})`, { ...(span ? { span } : {}), hint: 'the statements before it ran; run it again when the caller can wait for it' });
}

export function assertNever(x: never, what = 'value'): never {
  throw new SluiceError('INTERNAL', `unhandled ${what}: ${JSON.stringify(x)}`);
}

/** Edit distance where an adjacent transposition counts as one edit (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  const d: number[][] = Array.from({ length: m + 1 }, (_, i) => Array.from({ length: n + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[m]![n]!;
}

/** A "did you mean 'x'?" hint for the closest candidate, or undefined when none is close. */
export function didYouMean(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const lower = name.toLowerCase();
  for (const c of candidates) {
    const d = editDistance(lower, c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(1, Math.floor(name.length / 3));
  return bestD <= limit ? `did you mean '${best}'?` : undefined;
}
