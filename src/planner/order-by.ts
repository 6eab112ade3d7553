/**
 * ORDER BY of a pull query or a bounded push query, resolved to output columns: an output name
 * or alias, a 1-based position, an expression written exactly as a select item, or else a hidden
 * output column the planner adds (plan-select.ts). The rows are sorted where the query ends
 * (src/engine/sorted-rows.ts) in SQL value order, NULLs last in either direction as DuckDB does
 * (NULLS FIRST puts them first).
 */
import { SluiceError } from '../common/errors.js';
import type { Span } from '../common/span.js';
import { normalizeName, type Expr, type SelectQuery } from '../parser/ast.js';

export interface OrderKey {
  /** Output column index. */
  readonly index: number;
  readonly desc: boolean;
  readonly nullsFirst: boolean;
}

/** The AST without spans, for comparing an ORDER BY item with the select items. */
function shape(e: Expr): string {
  return JSON.stringify(e, (k, v: unknown) => (k === 'span' ? undefined : typeof v === 'bigint' ? `${v}n` : v));
}

export function resolveOrderBy(q: SelectQuery, names: readonly (string | undefined)[]): OrderKey[] {
  return q.orderBy.map(({ expr, desc, nullsFirst }) => ({ index: outputIndex(q, expr, names), desc, nullsFirst }));
}

function outputIndex(q: SelectQuery, e: Expr, names: readonly (string | undefined)[]): number {
  const i = orderOutputIndex(q, e, names);
  if (i === undefined) throw notAnOutput('ORDER BY must name an output column', e.span);
  return i;
}

/**
 * The output column an ORDER BY expression names, undefined when it names none (the planner
 * then adds it as a hidden column); a position out of range is an error.
 */
export function orderOutputIndex(q: SelectQuery, e: Expr, names: readonly (string | undefined)[]): number | undefined {
  if (e.kind === 'Literal' && e.literal === 'integer') {
    const k = e.value as number;
    if (k >= 1 && k <= names.length) return k - 1;
    throw notAnOutput(`ORDER BY position ${k} is not in the select list (1 to ${names.length})`, e.span);
  }
  if (e.kind === 'ColumnRef') {
    const i = names.findIndex((n) => n !== undefined && normalizeName(n) === normalizeName(e.column.name));
    if (i >= 0) return i;
  }
  const wanted = shape(e);
  const i = q.items.findIndex((item) => item.kind === 'ExprItem' && shape(item.expr) === wanted);
  if (i >= 0 && !q.items.some((item) => item.kind === 'Star')) return i;
  return undefined;
}

function notAnOutput(message: string, span: Span): SluiceError {
  return new SluiceError('UNSUPPORTED', message, { span, hint: 'order by an output column name or alias, or a position such as ORDER BY 2' });
}
