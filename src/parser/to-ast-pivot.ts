/**
 * PIVOT and UNPIVOT, DuckDB's statements (`PIVOT t ON k IN (...) USING SUM(v) [GROUP BY g]`,
 * `UNPIVOT t ON a, b INTO NAME n VALUE v`) and the SQL standard's forms after a relation in FROM
 * (`t PIVOT (SUM(v) FOR k IN (...))`, `t UNPIVOT (v FOR n IN (a, b))`), written out as the queries
 * they stand for:
 *
 *   PIVOT    SELECT <groups>, agg FILTER (WHERE k = v1) AS "v1", ... FROM t GROUP BY <groups>
 *            (the groups are GROUP BY's, else every column the pivot does not read: GROUP BY ALL
 *            over `* EXCLUDE (k, <the aggregates' columns>)`)
 *   UNPIVOT  SELECT * FROM (SELECT * EXCLUDE (a, b), UNNEST(['a', 'b']) AS n, UNNEST([a, b]) AS v
 *            FROM t) WHERE v IS NOT NULL   (INCLUDE NULLS keeps the NULLs)
 *
 * Columns are named as DuckDB names them: the value (or its alias), then `_` and the aggregate's
 * alias (or its text) where there are several aggregates or it has an alias. The values must be
 * written out (`IN (...)`): a continuous query cannot learn them from rows still to come.
 */
import type { CstNode } from 'chevrotain';
import { isAggregateName } from '../common/aggregate-names.js';
import { SluiceError } from '../common/errors.js';
import type { Span } from '../common/span.js';
import { normalizeName, type Expr, type FromItem, type Ident, type SelectItem, type SelectQuery } from './ast.js';
import { type AstContext, node, nodes, optNode, optToken, token } from './cst-access.js';
import { toExpr } from './to-ast-expr.js';
import { toIdent } from './to-ast-names.js';

interface Pivot {
  readonly source: FromItem;
  readonly column: Ident;
  readonly values: readonly { readonly value: Expr; readonly name: string }[];
  readonly aggregates: readonly { readonly expr: Expr; readonly name: string | undefined }[];
  readonly groupBy: readonly Expr[] | undefined;
  readonly span: Span;
}

/** `PIVOT from_item ON k IN (...) USING ... [GROUP BY ...]` as its query. */
export function pivotStatement(n: CstNode, source: FromItem, cx: AstContext): SelectQuery {
  if (!optToken(n, 'in')) {
    throw new SluiceError('UNSUPPORTED', `PIVOT needs the values of ${toIdent(node(n, 'column'), cx).name} that become columns: ON k IN (v1, v2, ...)`, {
      span: cx.src.nodeSpan(node(n, 'column')),
      hint: "a continuous query cannot learn them from rows still to come; e.g. PIVOT t ON k IN ('a', 'b') USING SUM(v)",
    });
  }
  return pivotQuery(pivotOf(n, source, cx));
}

/** `from_item PIVOT (...)` or `from_item UNPIVOT (...)`, as a subquery. */
export function pivotSuffix(n: CstNode, source: FromItem, cx: AstContext): FromItem {
  const span = cx.src.nodeSpan(n);
  const include = optToken(n, 'includeWord');
  if (include && include.image.toUpperCase() !== 'INCLUDE') {
    throw new SluiceError('SYNTAX_ERROR', `unexpected '${include.image}' after UNPIVOT`, { span: cx.src.tokenSpan(include), hint: 'UNPIVOT [INCLUDE NULLS] (value FOR name IN (a, b))' });
  }
  const query = optToken(n, 'pivot') ? pivotQuery(pivotOf(n, source, cx)) : unpivotQuery(n, source, include !== undefined, cx);
  const aliasNode = optNode(n, 'alias');
  return { kind: 'Subquery', query, ...(aliasNode ? { alias: toIdent(node(aliasNode, 'name'), cx) } : {}), span };
}

/** `UNPIVOT from_item ON a, b INTO NAME n VALUE v` as its query. */
export function unpivotStatement(n: CstNode, source: FromItem, cx: AstContext): SelectQuery {
  for (const [label, word] of [['nameWord', 'NAME'], ['valueWord', 'VALUE']] as const) {
    const t = token(n, label);
    if (t.image.toUpperCase() !== word) throw new SluiceError('SYNTAX_ERROR', `expected ${word}, got '${t.image}'`, { span: cx.src.tokenSpan(t), hint: 'UNPIVOT t ON a, b INTO NAME name VALUE value' });
  }
  return unpivotQuery(n, source, false, cx);
}

function pivotOf(n: CstNode, source: FromItem, cx: AstContext): Pivot {
  const valuesNode = node(n, 'values');
  const at = (x: CstNode): number => cx.src.nodeSpan(x).start.offset;
  const names = nodes(valuesNode, 'names').map((x) => [at(x), toIdent(x, cx).name] as const);
  const valueNodes = nodes(valuesNode, 'values');
  const values = valueNodes.map((v, i) => {
    const value = toExpr(v, cx);
    // The alias written after this value (before the next one), if any.
    const next = valueNodes[i + 1] ? at(valueNodes[i + 1]!) : Infinity;
    const alias = names.find(([where]) => where > at(v) && where < next)?.[1];
    return { value, name: alias ?? valueText(value, cx) };
  });
  const aggregates = nodes(n, 'aggregates').map((a) => {
    const nameNode = optNode(a, 'name');
    const span = cx.src.nodeSpan(node(a, 'aggregate'));
    return { expr: toExpr(node(a, 'aggregate'), cx), name: nameNode ? toIdent(nameNode, cx).name : undefined, text: cx.src.text.slice(span.start.offset, span.end.offset) };
  });
  const groupBy = nodes(n, 'groupBy').map((g) => toExpr(g, cx));
  return {
    source,
    column: toIdent(node(n, 'column'), cx),
    values,
    aggregates: aggregates.map((a) => ({ expr: a.expr, name: a.name ?? (aggregates.length > 1 ? lowerCalls(a.text) : undefined) })),
    groupBy: groupBy.length ? groupBy : undefined,
    span: cx.src.nodeSpan(n),
  };
}

/** A PIVOT value as the name of its column: a string as it is, a number as written. */
function valueText(e: Expr, cx: AstContext): string {
  if (e.kind === 'Literal' && e.value !== null) return String(e.value);
  return cx.src.text.slice(e.span.start.offset, e.span.end.offset);
}

/** An aggregate's text as DuckDB names its column: function names in lower case (`sum(v)`). */
function lowerCalls(text: string): string {
  return text.replace(/\b([A-Za-z_][A-Za-z0-9_]*)\s*\(/g, (_m, f: string) => `${f.toLowerCase()}(`);
}

function pivotQuery(p: Pivot): SelectQuery {
  const span = p.span;
  const column: Expr = { kind: 'ColumnRef', column: p.column, span };
  const cells: SelectItem[] = p.values.flatMap(({ value, name }) =>
    p.aggregates.map(({ expr, name: aggName }): SelectItem => {
      const filter: Expr = { kind: 'Binary', op: '=', left: column, right: value, span };
      return { kind: 'ExprItem', expr: withFilter(expr, filter), alias: { name: aggName === undefined ? name : `${name}_${aggName}`, span }, span };
    }),
  );
  if (p.groupBy) {
    const groups = p.groupBy.map((g): SelectItem => ({ kind: 'ExprItem', expr: g, span }));
    return { kind: 'Select', distinct: false, items: [...groups, ...cells], from: p.source, groupBy: [...p.groupBy], orderBy: [], span };
  }
  // Every column the pivot does not read groups the rows (GROUP BY ALL over them).
  const read = new Map<string, Ident>([[normalizeName(p.column.name), p.column]]);
  for (const a of p.aggregates) for (const c of columnsOf(a.expr)) read.set(normalizeName(c.name), c);
  const rest: SelectItem = { kind: 'Star', exclude: [...read.values()], span };
  const all: Expr = { kind: 'ColumnRef', column: { name: 'ALL', span }, span };
  return { kind: 'Select', distinct: false, items: [rest, ...cells], from: p.source, groupBy: [all], orderBy: [], span };
}

/** `e` with `filter` on each aggregate call in it (a call with a FILTER of its own keeps both). */
function withFilter(e: Expr, filter: Expr): Expr {
  if (e.kind === 'Call' && !e.over && isAggregateName(e.name.name)) {
    const own = e.filter ? { kind: 'Binary' as const, op: 'AND' as const, left: e.filter, right: filter, span: e.span } : filter;
    return { ...e, filter: own };
  }
  return mapChildren(e, (x) => withFilter(x, filter));
}

function unpivotQuery(n: CstNode, source: FromItem, includeNulls: boolean, cx: AstContext): SelectQuery {
  const span = cx.src.nodeSpan(n);
  const columns = nodes(n, 'columns').map((c) => toIdent(c, cx));
  const nameColumn = toIdent(node(n, 'nameColumn'), cx);
  const valueColumn = toIdent(node(n, 'valueColumn'), cx);
  const call = (f: string, arg: Expr): Expr => ({ kind: 'Call', name: { name: f, span }, args: [arg], distinct: false, star: false, span });
  const names: Expr = { kind: 'Array', elements: columns.map((c): Expr => ({ kind: 'Literal', literal: 'string', value: c.name, span: c.span })), span };
  const values: Expr = { kind: 'Array', elements: columns.map((c): Expr => ({ kind: 'ColumnRef', column: c, span: c.span })), span };
  const inner: SelectQuery = {
    kind: 'Select',
    distinct: false,
    items: [
      { kind: 'Star', exclude: columns, span },
      { kind: 'ExprItem', expr: call('unnest', names), alias: nameColumn, span },
      { kind: 'ExprItem', expr: call('unnest', values), alias: valueColumn, span },
    ],
    from: source,
    groupBy: [],
    orderBy: [],
    span,
  };
  const from: FromItem = { kind: 'Subquery', query: inner, alias: { name: 'unpivoted', span }, span };
  const where: Expr | undefined = includeNulls ? undefined : { kind: 'IsNull', operand: { kind: 'ColumnRef', column: valueColumn, span }, negated: true, span };
  return { kind: 'Select', distinct: false, items: [{ kind: 'Star', span }], from, ...(where ? { where } : {}), groupBy: [], orderBy: [], span };
}

/** The columns an expression names. */
function columnsOf(e: Expr): Ident[] {
  const out: Ident[] = [];
  const visit = (x: Expr): void => {
    if (x.kind === 'ColumnRef') out.push(x.column);
    mapChildren(x, (c) => {
      visit(c);
      return c;
    });
  };
  visit(e);
  return out;
}

/** `e` with each direct child expression replaced by `f` of it (the AST's other parts kept). */
function mapChildren(e: Expr, f: (x: Expr) => Expr): Expr {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) {
    if (k === 'span') out[k] = v;
    else if (isExpr(v)) out[k] = f(v);
    else if (Array.isArray(v)) out[k] = v.map((x: unknown) => (isExpr(x) ? f(x) : x));
    else out[k] = v;
  }
  return out as unknown as Expr;
}

function isExpr(v: unknown): v is Expr {
  return typeof v === 'object' && v !== null && 'kind' in v && 'span' in v && typeof (v as { kind: unknown }).kind === 'string' && !['Select'].includes((v as { kind: string }).kind);
}
