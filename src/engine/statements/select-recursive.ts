/**
 * WITH RECURSIVE: each recursive common table is computed to its rows before the query runs, as
 * the SQL standard defines it: the anchor's rows, then the step run again and again over the rows
 * the last run gave (UNION ALL: all of them; UNION: those not given before), until a run gives
 * none. Each run is a query of its own over constants and tables (a pull query); the step and the
 * query after read the table's rows as constant rows under its name. A stream cannot be read
 * here: its rows have no end to reach.
 */
import { SluiceError } from '../../common/errors.js';
import type { Span } from '../../common/span.js';
import { timestampSqlText, dateSqlText, timeSqlText } from '../../common/timestamp-text.js';
import { parseTypeText } from '../../common/type-text.js';
import { T, typeToString, type DataType } from '../../common/types.js';
import { normalizeName, type Expr, type FromItem, type Ident, type RecursiveTable, type SelectQuery } from '../../parser/ast.js';
import { limitError } from '../../planner/limits.js';
import type { StatementResult } from '../types.js';
import type { StatementHandler } from './handler.js';

/**
 * Most runs of a recursive table's step: a recursion that does not end is an error, not a hang.
 * Each run is a query of its own (about 2 ms for a few rows), so this bounds it to seconds.
 */
export const MAX_RECURSION_STEPS = 1_000;

interface Computed {
  readonly names: readonly string[];
  readonly types: readonly DataType[];
  readonly rows: readonly (readonly unknown[])[];
}

type Args = Parameters<StatementHandler<'Query'>>;

/** Runs `s` (whose query has recursive common tables): `select` runs each query of its own. */
export async function selectRecursive(select: StatementHandler<'Query'>, ...[session, s, text, opts]: Args): Promise<StatementResult> {
  const { recursive, ...query } = s.query;
  const done = new Map<string, Computed>();
  const maxRows = session.catalog.limits.maxResultRows;
  const rowsOf = async (q: SelectQuery, what: string): Promise<{ names: string[]; types: DataType[]; rows: (readonly unknown[])[] }> => {
    const r = await select(session, { ...s, query: q }, text, opts);
    if (r.kind === 'push') r.cancel();
    if (r.kind !== 'rows') {
      throw new SluiceError('UNSUPPORTED', `WITH RECURSIVE reads tables, views and constants: ${what} reads a stream, whose rows do not end`, { span: q.span, hint: 'compute the recursion over a table or view (INSERT INTO t SELECT ... from the stream first)' });
    }
    if (r.errors?.length) throw new SluiceError('INVALID_ARGUMENT', `${what} failed on a row: ${r.errors[0]!.reason}`, { span: q.span });
    const types = r.columns.map((c) => parseTypeText(c.type) ?? T.STRING);
    return { names: r.columns.map((c) => c.name), types, rows: r.rows.map((row) => [...row]) };
  };
  for (const table of recursive ?? []) {
    const key = normalizeName(table.name.name);
    const anchor = await rowsOf(withRows(table.anchor, done), `the first part of ${table.name.name}`);
    const names = anchor.names.map((n, i) => table.columns?.[i]?.name ?? n);
    const seen = new Set<string>();
    const fresh = (rows: readonly (readonly unknown[])[]) => (table.all ? [...rows] : rows.filter((r) => !seen.has(rowKey(r)) && seen.add(rowKey(r)) !== undefined));
    const all = fresh(anchor.rows);
    let last = all;
    for (let step = 1; last.length > 0; step++) {
      if (step > MAX_RECURSION_STEPS) {
        throw new SluiceError('LIMIT_EXCEEDED', `WITH RECURSIVE ${table.name.name} still gives new rows after ${MAX_RECURSION_STEPS.toLocaleString('en-US')} steps`, {
          span: table.span,
          hint: 'give the step a condition that stops it (WHERE n < ...); for a long series of numbers, SELECT UNNEST(RANGE(1, n)) needs no recursion',
        });
      }
      const given = await rowsOf(withRows(table.step, new Map([...done, [key, { names, types: anchor.types, rows: last }]])), `the recursive part of ${table.name.name}`);
      if (given.types.length !== anchor.types.length) {
        throw new SluiceError('TYPE_MISMATCH', `the recursive part of ${table.name.name} gives ${given.types.length} columns, the first part ${anchor.types.length}`, { span: table.step.span, hint: 'select as many columns in both parts' });
      }
      last = fresh(given.rows.map((r) => r.map((v, c) => conform(v, given.types[c]!, anchor.types[c]!, table))));
      all.push(...last);
      if (all.length > maxRows) throw limitError('maxResultRows', `WITH RECURSIVE ${table.name.name} holds more than ${maxRows.toLocaleString('en-US')} rows`, table.span, 'stop the recursion sooner, or raise --max-result-rows');
    }
    done.set(key, { names, types: anchor.types, rows: all });
  }
  return select(session, { ...s, query: withRows(query as SelectQuery, done) }, text, opts);
}

/** A step's value in the anchor's column type (an INT anchor and a BIGINT step: the anchor's, as the table's type). */
function conform(v: unknown, from: DataType, to: DataType, table: RecursiveTable): unknown {
  if (v === null || v === undefined || typeToString(from) === typeToString(to)) return v ?? null;
  if ((to.kind === 'INT' || to.kind === 'BIGINT' || to.kind === 'DOUBLE' || to.kind === 'FLOAT') && (typeof v === 'number' || typeof v === 'bigint')) {
    if (to.kind === 'BIGINT') return BigInt(v);
    const n = Number(v);
    if (to.kind === 'INT' && (!Number.isInteger(n) || n < -2147483648 || n > 2147483647)) {
      throw new SluiceError('TYPE_MISMATCH', `the recursive part of ${table.name.name} gives ${String(v)}, outside the first part's ${typeToString(to)}`, { span: table.step.span, hint: `CAST the first part's column to a wider type (e.g. BIGINT)` });
    }
    return n;
  }
  if (typeof v === 'string' && to.kind === 'STRING') return v;
  throw new SluiceError('TYPE_MISMATCH', `the recursive part of ${table.name.name} gives ${typeToString(from)} where the first part gives ${typeToString(to)}`, { span: table.step.span, hint: 'CAST the columns of both parts to one type' });
}

function rowKey(row: readonly unknown[]): string {
  return JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}

/** `q` with each FROM reference to a computed table replaced by its rows as constants. */
function withRows<Q>(q: Q, tables: ReadonlyMap<string, Computed>): Q {
  if (tables.size === 0) return q;
  const map = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(map);
    if (typeof x !== 'object' || x === null) return x;
    const node = x as { kind?: string; name?: Ident; alias?: Ident; span?: Span };
    if (node.kind === 'TableRef' && node.name) {
      const computed = tables.get(normalizeName(node.name.name));
      if (computed) return rowsItem(computed, node.alias ?? node.name, node.span!);
    }
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, map(v)]));
  };
  return map(q) as Q;
}

/** The rows as a FROM item: `(VALUES ...) AS alias(names)`, or no row of those columns. */
function rowsItem(t: Computed, alias: Ident, span: Span): FromItem {
  const columns = t.names.map((name): Ident => ({ name, span }));
  if (t.rows.length > 0) return { kind: 'Values', rows: t.rows.map((r) => r.map((v, c) => valueAst(v, t.types[c]!, span))), alias, columns, span };
  const none: SelectQuery = {
    kind: 'Select',
    distinct: false,
    items: t.types.map((type, c) => ({ kind: 'ExprItem', expr: valueAst(null, type, span), alias: columns[c]!, span })),
    where: { kind: 'Literal', literal: 'boolean', value: false, span },
    groupBy: [],
    orderBy: [],
    span,
  };
  return { kind: 'Subquery', query: none, alias, span };
}

/** A value of `type` as an expression that gives exactly it. */
function valueAst(v: unknown, type: DataType, span: Span): Expr {
  const cast = (operand: Expr): Expr => ({ kind: 'Cast', operand, type, span });
  const text = (s: string): Expr => ({ kind: 'Literal', literal: 'string', value: s, span });
  if (v === null || v === undefined) return cast({ kind: 'Literal', literal: 'null', value: null, span });
  switch (type.kind) {
    case 'STRING':
      return text(String(v));
    case 'BOOLEAN':
      return { kind: 'Literal', literal: 'boolean', value: v === true, span };
    case 'INT':
    case 'BIGINT':
      return cast({ kind: 'Literal', literal: 'integer', value: typeof v === 'bigint' ? v : Number(v), span });
    case 'FLOAT':
    case 'DOUBLE':
      return cast(text(String(v)));
    case 'TIMESTAMP':
      return cast(text(timestampSqlText(Number(v))));
    case 'DATE':
      return cast(text(dateSqlText(Number(v))));
    case 'TIME':
      return cast(text(timeSqlText(Number(v))));
    case 'INTERVAL':
      return { kind: 'Interval', text: String(v), unit: 'MILLISECOND', millis: Number(v), months: 0, span };
    default:
      throw new SluiceError('UNSUPPORTED', `WITH RECURSIVE over a column of type ${typeToString(type)} is not supported`, { span, hint: 'select numbers, strings, booleans, dates and timestamps in the recursive table' });
  }
}
