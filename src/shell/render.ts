/** Text rendering of results and errors for the shell and the CLI. */
import { ERROR_CODES, SluiceError, type ErrorCode } from '../common/errors.js';
import { intervalText } from '../common/interval-text.js';
import { isoWriters, type ValueWriter } from '../common/timestamp-writers.js';
import type { ApiErrorBody } from './http-client.js';

/** One cell as text: NULL for null, JSON for arrays and objects. */
export function formatValue(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v instanceof Date) return v.toISOString();
  if (ArrayBuffer.isView(v)) return `[${Array.from(v as unknown as ArrayLike<unknown>).map(formatValue).join(',')}]`;
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
}

const isNumeric = (v: unknown): boolean => typeof v === 'number' || typeof v === 'bigint';

/**
 * Each row's cells as text: TIMESTAMP values (epoch milliseconds from the engine) as ISO-8601
 * text in UTC, like the HTTP API writes them, INTERVALs as days and a clock; text from the API is
 * kept as it came.
 */
export function formatRow(columns: readonly { readonly type?: string }[], writers: readonly ValueWriter[], row: readonly unknown[]): string[] {
  return columns.map((c, i) => {
    const v = row[i];
    // A DECIMAL shows all its decimals, as DuckDB prints it (0.10 of a DECIMAL(10,2)).
    const scale = typeof v === 'number' && Number.isFinite(v) && Math.abs(v) < 1e21 ? DECIMAL_TYPE.exec(c.type ?? '')?.[1] : undefined;
    if (scale !== undefined) return (v as number).toFixed(Number(scale));
    // An INTERVAL (milliseconds from the engine) as DuckDB prints one: 14 days 10:00:00.
    if (c.type === 'INTERVAL' && typeof v === 'number') return intervalText(v);
    // A MAP (its list of entries) as DuckDB prints one: {a=1, b=NULL}.
    if (c.type?.startsWith('MAP(') && Array.isArray(v)) return `{${(v as { key: unknown; value: unknown }[]).map((e) => `${formatValue(e.key)}=${formatValue(e.value)}`).join(', ')}}`;
    return formatValue(writers[i] ? writers[i](v) : v);
  });
}

const DECIMAL_TYPE = /^DECIMAL\(\d+,(\d+)\)$/;

/** Options of `renderTable`. */
export interface TableOptions {
  /** Terminal width: wider tables get their widest columns cut (with '…') to fit; undefined: no limit. */
  readonly maxWidth?: number;
  /** The last line; default `(N rows)`. */
  readonly footer?: string;
}

/** Narrowest a column is cut to before the lines themselves are cut. */
const MIN_CUT_WIDTH = 8;

/** An aligned table in the style of psql: header, rule, rows, and a row count. */
export function renderTable(columns: readonly { readonly name: string; readonly type?: string }[], rows: readonly (readonly unknown[])[], opts: TableOptions = {}): string {
  const writers = isoWriters(columns);
  const cells = rows.map((r) => formatRow(columns, writers, r));
  const widths = fitWidths(
    columns.map((c, i) => Math.max(c.name.length, ...cells.map((r) => (r[i] ?? '').length))),
    opts.maxWidth,
  );
  const right = columns.map((_, i) => rows.some((r) => isNumeric(r[i])) && rows.every((r) => r[i] === null || r[i] === undefined || isNumeric(r[i])));
  const line = (vals: string[], alignRight: boolean[]): string =>
    cutLine(' ' + vals.map((v, i) => {
      const w = widths[i] ?? 0;
      const t = cut(v, w);
      return alignRight[i] ? t.padStart(w) : t.padEnd(w);
    }).join(' | ').trimEnd(), opts.maxWidth);
  const out = [
    line(columns.map((c) => c.name), right),
    cutLine('-' + widths.map((w) => '-'.repeat(w)).join('-+-') + '-', opts.maxWidth),
    ...cells.map((r) => line(r, right)),
    opts.footer ?? `(${rows.length} ${rows.length === 1 ? 'row' : 'rows'})`,
  ];
  return out.join('\n');
}

/**
 * Column widths that fit `maxWidth` (with the ' | ' separators): the widest columns are cut
 * first, down to MIN_CUT_WIDTH; narrow columns keep their width.
 */
export function fitWidths(widths: readonly number[], maxWidth: number | undefined): number[] {
  const out = [...widths];
  if (maxWidth === undefined) return out;
  const total = (): number => out.reduce((a, b) => a + b, 0) + 3 * Math.max(0, out.length - 1) + 2;
  while (total() > maxWidth) {
    const widest = out.reduce((best, w, i) => (w > (out[best] ?? 0) ? i : best), 0);
    if ((out[widest] ?? 0) <= MIN_CUT_WIDTH) break;
    out[widest] = Math.max(MIN_CUT_WIDTH, (out[widest] ?? 0) - Math.max(1, total() - maxWidth));
  }
  return out;
}

/** `text` cut to `width` characters, the last one '…' when anything was cut. */
export function cut(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

function cutLine(line: string, maxWidth: number | undefined): string {
  return maxWidth === undefined ? line : cut(line, maxWidth);
}

/**
 * Renders an API error like the engine does: `ERROR [CODE]: message`, `LINE n: ...` with a caret
 * under the offending text of `sql` (the text that was sent), and the hint.
 */
export function renderApiError(e: ApiErrorBody, sql: string): string {
  if (e.code in ERROR_CODES) {
    const pos = e.position;
    const span =
      pos === undefined
        ? undefined
        : { start: { line: pos.line, column: pos.column, offset: pos.offset ?? 0 }, end: e.end ? { line: e.end.line, column: e.end.column, offset: e.end.offset ?? 0 } : tokenEnd(sql, pos) };
    return new SluiceError(e.code as ErrorCode, e.message, { sql, ...(span ? { span } : {}), ...(e.hint ? { hint: e.hint } : {}) }).render();
  }
  return [`ERROR [${e.code}]: ${e.message}`, ...(e.hint ? [`HINT: ${e.hint}`] : [])].join('\n');
}

/** Without an end position, underline the word that starts at `pos`. */
function tokenEnd(sql: string, pos: { line: number; column: number }): { line: number; column: number; offset: number } {
  const text = sql.split('\n')[pos.line - 1] ?? '';
  const word = /^[A-Za-z0-9_$]+/.exec(text.slice(pos.column - 1))?.[0] ?? ' ';
  return { line: pos.line, column: pos.column + word.length, offset: 0 };
}

/** A finished statement's result, as the engine returns it and the HTTP API sends it. */
export type FinishedResult =
  | { readonly kind: 'ok'; readonly message: string }
  | {
      readonly kind: 'rows';
      readonly columns: readonly { readonly name: string; readonly type?: string }[];
      readonly rows: readonly (readonly unknown[])[];
      readonly errors?: readonly { readonly reason: string; readonly row: unknown }[];
    }
  | { readonly kind: 'explain'; readonly text: string };

/** The rows a pull query failed on, after its table: `ERROR (row N of M): reason` and the row. */
export function renderRowErrors(errors: readonly { readonly reason: string; readonly row: unknown }[]): string {
  const lines = [`-- ${errors.length} ${errors.length === 1 ? 'row' : 'rows'} failed:`];
  errors.forEach((e, i) => {
    lines.push(`ERROR (${i + 1} of ${errors.length}): ${e.reason}`, `  row: ${typeof e.row === 'string' ? e.row : JSON.stringify(e.row)}`);
  });
  return `${lines.join('\n')}\n`;
}

/** Prints a finished statement's result: its message, a table, or the plan text. */
export function printResult(r: FinishedResult, write: (s: string) => void, opts: TableOptions = {}): void {
  switch (r.kind) {
    case 'ok':
      write(`${r.message}\n`);
      break;
    case 'rows':
      write(`${renderTable(r.columns, r.rows, opts)}\n`);
      if (r.errors?.length) write(renderRowErrors(r.errors));
      break;
    case 'explain':
      write(`${r.text}\n`);
      break;
  }
}
