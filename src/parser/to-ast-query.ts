/** CST→AST for SELECT queries and their FROM clauses. */
import type { CstNode, IToken } from 'chevrotain';
import { SluiceError } from '../common/errors.js';
import { spanOf, type Span } from '../common/span.js';
import { normalizeName, type Expr, type FromItem, type Ident, type RecursiveTable, type SelectItem, type SelectQuery, type SubqueryRef, type TableRef, type WindowRef } from './ast.js';
import { type AstContext, astError, node, nodes, onlyChild, optNode, numberText, optToken, token, tokens } from './cst-access.js';
import { toExpr, toOrderItem } from './to-ast-expr.js';
import { toIdent } from './to-ast-names.js';
import { pivotStatement, pivotSuffix, unpivotStatement } from './to-ast-pivot.js';

export function toSelect(n: CstNode, outer: AstContext): SelectQuery {
  const { cx, recursive } = withCommonTables(n, outer);
  const query = toSelectOwn(n, cx);
  return recursive.length ? { ...query, recursive } : query;
}

function toSelectOwn(n: CstNode, cx: AstContext): SelectQuery {
  const bodies = nodes(n, 'bodies');
  const orderBy = nodes(n, 'orderBy').map((o) => toOrderItem(o, cx));
  const tail = { orderBy, ...limitAndOffset(n, cx), span: cx.src.nodeSpan(n) };
  if (bodies.length === 1) return lowerDistinctOn(toBody(bodies[0]!, cx), tail.orderBy, bodyNode(bodies[0]!), cx, tail);
  // The operator before each body after the first, and its ALL or DISTINCT.
  const words = tokens(n, 'setOps');
  const quantifiers = tokens(n, 'quantifiers');
  const byNames = tokens(n, 'byNameWord');
  const ops = words.map((word, k) => {
    const between = (t: IToken) => t.startOffset > word.startOffset && t.startOffset < bodies[k + 1]!.location!.startOffset;
    const q = quantifiers.find(between);
    const op = word.image.toUpperCase() as 'UNION' | 'INTERSECT' | 'EXCEPT';
    const all = q?.image.toUpperCase() === 'ALL';
    const nameWord = byNames.find(between);
    if (nameWord && (op !== 'UNION' || nameWord.image.toUpperCase() !== 'NAME')) {
      throw astError(op !== 'UNION' ? `${op} BY NAME is not supported` : `unexpected '${nameWord.image}' after UNION BY`, cx.src.tokenSpan(nameWord), op !== 'UNION' ? 'UNION [ALL] BY NAME matches columns by name' : 'write UNION [ALL] BY NAME');
    }
    return { op, all, byName: nameWord !== undefined };
  });
  if (ops.some((o) => o.byName)) return { ...unionByName(bodies.map((b) => lowerDistinctOn(toBody(b, cx), [], bodyNode(b), cx)), ops), ...tail };
  // INTERSECT binds tighter than UNION and EXCEPT, which go left to right (as in SQL).
  const terms: SelectQuery[] = [lowerDistinctOn(toBody(bodies[0]!, cx), [], bodyNode(bodies[0]!), cx)];
  const between: { op: 'UNION' | 'EXCEPT'; all: boolean }[] = [];
  for (let k = 1; k < bodies.length; k++) {
    const body = lowerDistinctOn(toBody(bodies[k]!, cx), [], bodyNode(bodies[k]!), cx);
    const { op, all } = ops[k - 1]!;
    if (op === 'INTERSECT') terms[terms.length - 1] = setOperation('INTERSECT', terms[terms.length - 1]!, body, spanOf(terms[terms.length - 1]!.span, body.span), all);
    else {
      between.push({ op, all });
      terms.push(body);
    }
  }
  let query = terms[0]!;
  for (let k = 1; k < terms.length; k++) {
    const { op, all } = between[k - 1]!;
    const next = terms[k]!;
    const span = spanOf(query.span, next.span);
    if (op === 'EXCEPT') {
      query = setOperation('EXCEPT', query, next, span, all);
      continue;
    }
    // A branch joins the union so far instead of nesting it, unless a UNION ALL follows a UNION
    // (whose duplicates must go first): DISTINCT over (DISTINCT over a, b), c is DISTINCT over a, b, c.
    // A UNION also removes duplicate rows from everything before it, the next branch included.
    const flat = isStarOverUnion(query) && (!all || !query.distinct);
    const inputs = flat && query.from?.kind === 'Union' ? [...query.from.inputs, next] : [query, next];
    query = { kind: 'Select', distinct: !all, items: [{ kind: 'Star', span }], from: { kind: 'Union', inputs, span }, groupBy: [], orderBy: [], span };
  }
  return { ...query, ...tail };
}

/**
 * A chain with UNION [ALL] BY NAME: left to right, each operator over the result so far and the
 * next body (INTERSECT and EXCEPT among them too), matching columns by name where it says so.
 */
function unionByName(bodies: readonly SelectQuery[], ops: readonly { op: 'UNION' | 'INTERSECT' | 'EXCEPT'; all: boolean; byName: boolean }[]): SelectQuery {
  let query = bodies[0]!;
  for (let k = 1; k < bodies.length; k++) {
    const next = bodies[k]!;
    const { op, all, byName } = ops[k - 1]!;
    const span = spanOf(query.span, next.span);
    if (op !== 'UNION') query = setOperation(op, query, next, span, all);
    else query = { kind: 'Select', distinct: !all, items: [{ kind: 'Star', span }], from: { kind: 'Union', inputs: [query, next], ...(byName ? { byName: true } : {}), span }, groupBy: [], orderBy: [], span };
  }
  return query;
}

/** LIMIT and OFFSET, however written: `FETCH FIRST ROW ONLY` without a count is one row. */
function limitAndOffset(n: CstNode, cx: AstContext): Pick<SelectQuery, 'limit' | 'offset'> {
  const limitClause = optNode(n, 'limitClause');
  const offsetClause = optNode(n, 'offsetClause');
  const limitExpr = limitClause && optNode(limitClause, 'limitExpr');
  const count = limitClause && optToken(limitClause, 'limit');
  const limit = limitExpr ? rowCount(toExpr(limitExpr, cx), 'LIMIT') : count ? Number(numberText(count)) : limitClause ? 1 : undefined;
  const offset = offsetClause ? rowCount(toExpr(node(offsetClause, 'offsetExpr'), cx), 'OFFSET') : undefined;
  return { ...(limit !== undefined ? { limit } : {}), ...(offset !== undefined ? { offset } : {}) };
}

/**
 * The count of a LIMIT or OFFSET: a constant number (arithmetic of literals, a CAST, text that
 * reads as a number), rounded to a whole count as DuckDB casts it; NULL is no limit (undefined).
 */
function rowCount(e: Expr, clause: 'LIMIT' | 'OFFSET'): number | undefined {
  const value = constantNumber(e);
  if (value === undefined) {
    throw new SluiceError('UNSUPPORTED', `${clause} takes a constant number`, { span: e.span, hint: `write a number or arithmetic of numbers, e.g. ${clause} 10` });
  }
  if (value === null) return undefined;
  if (!Number.isFinite(value) || Math.abs(value) > Number.MAX_SAFE_INTEGER) throw new SluiceError('INVALID_ARGUMENT', `${clause} ${value} is out of range`, { span: e.span });
  const rounded = Math.sign(value) * Math.round(Math.abs(value));
  if (rounded < 0) throw new SluiceError('INVALID_ARGUMENT', `${clause} cannot be negative`, { span: e.span, hint: clause === 'LIMIT' ? 'leave out LIMIT (or write LIMIT NULL) for every row' : 'write OFFSET 0 to skip no rows' });
  return rounded;
}

/** The value of a constant numeric expression, null for NULL, undefined when it is not one. */
function constantNumber(e: Expr): number | null | undefined {
  switch (e.kind) {
    case 'Literal':
      if (e.literal === 'null') return null;
      if (e.literal === 'integer' || e.literal === 'decimal') return Number(e.value);
      if (e.literal === 'string') {
        const text = String(e.value).trim();
        return text !== '' && Number.isFinite(Number(text)) ? Number(text) : undefined;
      }
      return undefined;
    case 'Cast':
      return constantNumber(e.operand);
    case 'Unary': {
      if (e.op !== '-') return undefined;
      const v = constantNumber(e.operand);
      return v === null || v === undefined ? v : -v;
    }
    case 'Binary': {
      const l = constantNumber(e.left);
      const r = constantNumber(e.right);
      if (l === undefined || r === undefined) return undefined;
      if (l === null || r === null) return ['+', '-', '*', '/', '%'].includes(e.op) ? null : undefined;
      switch (e.op) {
        case '+':
          return l + r;
        case '-':
          return l - r;
        case '*':
          return l * r;
        case '/':
          return r === 0 ? undefined : l / r;
        case '%':
          return r === 0 ? undefined : l % r;
        default:
          return undefined;
      }
    }
    case 'Call': {
      // a // b (DIVIDE): integer division.
      if (normalizeName(e.name.name) !== 'divide' || e.args.length !== 2) return undefined;
      const [l, r] = e.args.map(constantNumber);
      if (l === undefined || r === undefined) return undefined;
      if (l === null || r === null) return null;
      return r === 0 ? undefined : Math.trunc(l / r);
    }
    default:
      return undefined;
  }
}

/** `a INTERSECT [ALL] b` or `a EXCEPT [ALL] b` as a query: SELECT * over the set operation. */
function setOperation(op: 'INTERSECT' | 'EXCEPT', a: SelectQuery, b: SelectQuery, span: Span, all: boolean): SelectQuery {
  return { kind: 'Select', distinct: false, items: [{ kind: 'Star', span }], from: { kind: 'Union', inputs: [a, b], setOp: op, ...(all ? { all: true } : {}), span }, groupBy: [], orderBy: [], span };
}

/** SELECT [DISTINCT] * FROM (a UNION ALL b): a union built here, which the next branch may extend (not a set operation). */
function isStarOverUnion(q: SelectQuery): boolean {
  return q.from?.kind === 'Union' && q.from.setOp === undefined && q.items.length === 1 && q.items[0]!.kind === 'Star' && !q.items[0]!.qualifier;
}

/**
 * `SELECT DISTINCT ON (e, ...) ... [ORDER BY o, ...]` is the first row of each value of (e, ...)
 * in the order of o (any row without ORDER BY): `QUALIFY ROW_NUMBER() OVER (PARTITION BY e, ...
 * ORDER BY o, ...) = 1`, as DuckDB computes it; the ORDER BY still orders the result.
 */
function lowerDistinctOn(q: SelectQuery, orderBy: SelectQuery['orderBy'], n: CstNode, cx: AstContext, tail?: Partial<SelectQuery>): SelectQuery {
  const exprs = nodes(n, 'distinctOnExprs').map((e) => toExpr(e, cx));
  if (exprs.length === 0) return { ...q, ...tail };
  const span = cx.src.tokenSpan(token(n, 'distinctOn'));
  const rowNumber: Expr = { kind: 'Call', name: { name: 'ROW_NUMBER', span }, args: [], distinct: false, star: false, over: { partitionBy: exprs, orderBy, span }, span };
  const first: Expr = { kind: 'Binary', op: '=', left: rowNumber, right: { kind: 'Literal', literal: 'integer', value: 1, span }, span };
  const qualify: Expr = q.qualify ? { kind: 'Binary', op: 'AND', left: q.qualify, right: first, span: q.qualify.span } : first;
  return { ...q, distinct: false, qualify, distinctOn: true, ...tail };
}

/** Most grouping sets one GROUP BY may expand to (CUBE of n expressions gives 2^n). */
const MAX_GROUPING_SETS = 256;

/**
 * GROUP BY's items: plain expressions, or (with ROLLUP, CUBE or GROUPING SETS among them) the
 * grouping sets they expand to, the cross product of each item's sets as in SQL: `a, ROLLUP(b, c)`
 * is (a, b, c), (a, b), (a).
 */
function groupingOf(items: readonly CstNode[], cx: AstContext): Pick<SelectQuery, 'groupBy' | 'groupingSets'> {
  const exprs = (n: CstNode) => nodes(n, 'exprs').map((e) => toExpr(e, cx));
  const plain = items.every((i) => optNode(i, 'expr'));
  if (plain) return { groupBy: items.map((i) => toExpr(node(i, 'expr'), cx)) };
  let sets: Expr[][] = [[]];
  for (const item of items) {
    let own: Expr[][];
    if (optNode(item, 'expr')) own = [[toExpr(node(item, 'expr'), cx)]];
    else if (optNode(item, 'empty')) own = [[]];
    else if (optToken(item, 'groupingSets')) own = nodes(item, 'sets').map(exprs);
    else {
      const list = exprs(item);
      own = optToken(item, 'rollup')
        ? list.map((_, k) => list.slice(0, list.length - k)).concat([[]])
        : Array.from({ length: 2 ** Math.min(list.length, 16) }, (_, mask) => list.filter((_, k) => (mask & (1 << (list.length - 1 - k))) === 0));
    }
    sets = sets.flatMap((s) => own.map((o) => [...s, ...o]));
    if (sets.length > MAX_GROUPING_SETS) {
      throw new SluiceError('LIMIT_EXCEEDED', `GROUP BY expands to more than ${MAX_GROUPING_SETS} grouping sets`, { span: cx.src.nodeSpan(item), hint: 'group by fewer sets: a CUBE of n expressions is 2^n sets' });
    }
  }
  return { groupBy: [], groupingSets: sets };
}

/** A query body: its SELECT, or `VALUES ...` as `SELECT * FROM (VALUES ...)`. */
function toBody(n: CstNode, cx: AstContext): SelectQuery {
  const select = optNode(n, 'select');
  if (select) return toSelectBody(select, cx);
  const inner = optNode(n, 'inner');
  if (inner) {
    // A query in parentheses: itself, or where it has an ORDER BY, LIMIT or OFFSET of its own
    // (which must not apply to what it is joined with), SELECT * from it.
    const q = toSelect(inner, cx);
    if (!q.orderBy.length && q.limit === undefined && q.offset === undefined) return q;
    const span = cx.src.nodeSpan(n);
    return { kind: 'Select', distinct: false, items: [{ kind: 'Star', span }], from: { kind: 'Subquery', query: q, span }, groupBy: [], orderBy: [], span };
  }
  const pivot = optNode(n, 'pivot');
  if (pivot) return pivotStatement(pivot, toFromPrimary(node(pivot, 'source'), cx), cx);
  const unpivot = optNode(n, 'unpivot');
  if (unpivot) return unpivotStatement(unpivot, toFromPrimary(node(unpivot, 'source'), cx), cx);
  const span = cx.src.nodeSpan(n);
  const rows = nodes(n, 'rows').map((r) => nodes(r, 'values').map((e) => toExpr(e, cx)));
  return { kind: 'Select', distinct: false, items: [{ kind: 'Star', span }], from: { kind: 'Values', rows, span }, groupBy: [], orderBy: [], span };
}

/** The SELECT node of a query body (for DISTINCT ON), or the body itself. */
function bodyNode(n: CstNode): CstNode {
  const select = optNode(n, 'select') ?? n;
  return optNode(select, 'selectList') ?? select;
}

function toSelectBody(n: CstNode, outer: AstContext): SelectQuery {
  const cx = withWindows(n, outer);
  const fromNode = optNode(n, 'fromClause');
  const whereNode = optNode(n, 'where');
  const havingNode = optNode(n, 'having');
  const qualifyNode = optNode(n, 'qualify');
  // FROM t without a SELECT (DuckDB's FROM-first form) is SELECT *.
  const list = optNode(n, 'selectList');
  return {
    kind: 'Select',
    distinct: list !== undefined && optToken(list, 'distinct') !== undefined,
    items: list ? nodes(list, 'items').map((i) => toSelectItem(i, cx)) : [{ kind: 'Star', span: cx.src.tokenSpan(token(n, 'fromFirst')) }],
    ...fromAndWhere(fromNode, whereNode, cx),
    ...groupingOf(nodes(n, 'groupBy'), cx),
    ...(havingNode ? { having: toExpr(havingNode, cx) } : {}),
    ...(qualifyNode ? { qualify: toExpr(qualifyNode, cx) } : {}),
    orderBy: [],
    span: cx.src.nodeSpan(n),
  };
}

/** The context with the SELECT's WINDOW clause (`WINDOW w AS (...)`); a name given twice is an error. */
function withWindows(n: CstNode, cx: AstContext): AstContext {
  const clause = optNode(n, 'windows');
  if (!clause) return cx.windows ? { ...cx, windows: new Map() } : cx;
  const windows = new Map<string, CstNode>();
  nodes(clause, 'names').forEach((nameNode, i) => {
    const name = toIdent(nameNode, cx);
    const key = normalizeName(name.name);
    if (windows.has(key)) throw astError(`window '${name.name}' is defined twice`, name.span, 'give each window of the WINDOW clause its own name');
    windows.set(key, nodes(clause, 'specs')[i]!);
  });
  return { ...cx, windows };
}

/**
 * The context of a query with its WITH clause: each common table is read in order, seeing the
 * ones before it (and the enclosing query's), not itself; a name used twice in one WITH is an
 * error. A reference to one becomes a subquery where it is used. With RECURSIVE, a common table
 * that reads its own name is a RecursiveTable instead: its name stays a name (read as its rows
 * once they are computed, before the query runs).
 */
function withCommonTables(n: CstNode, cx: AstContext): { cx: AstContext; recursive: RecursiveTable[] } {
  const list = nodes(n, 'ctes');
  const recursive: RecursiveTable[] = [];
  if (list.length === 0) return { cx, recursive };
  const ctes = new Map(cx.ctes);
  const own = new Set<string>();
  const withRecursive = optToken(n, 'recursive') !== undefined;
  for (const c of list) {
    const name = toIdent(node(c, 'name'), cx);
    const key = normalizeName(name.name);
    if (own.has(key)) throw astError(`WITH defines '${name.name}' twice`, name.span, 'give each common table its own name');
    own.add(key);
    const columnList = optNode(c, 'columns');
    const columns = columnList ? nodes(columnList, 'names').map((x) => toIdent(x, cx)) : undefined;
    // A recursive table's name hides the one before (the recursive table is read by its name).
    const visible = new Map(ctes);
    visible.delete(key);
    const query = toSelect(node(c, 'selectQuery'), { ...cx, ctes: visible });
    if (withRecursive && readsName(query, key)) {
      recursive.push(recursiveTable(name, columns, query));
      ctes.delete(key);
      continue;
    }
    ctes.set(key, { query, ...(columns ? { columns } : {}) });
  }
  return { cx: { ...cx, ctes }, recursive };
}

/** Whether `x` (a part of the AST) reads the relation `name` (normalized) in a FROM. */
function readsName(x: unknown, name: string): boolean {
  if (typeof x !== 'object' || x === null) return false;
  const node = x as { kind?: unknown; name?: Ident };
  if (node.kind === 'TableRef' && node.name && normalizeName(node.name.name) === name) return true;
  return Object.values(x).some((v) => readsName(v, name));
}

/** `name AS (anchor UNION [ALL] step)`: the two parts; anything else is refused. */
function recursiveTable(name: Ident, columns: readonly Ident[] | undefined, q: SelectQuery): RecursiveTable {
  const union = q.items.length === 1 && q.items[0]!.kind === 'Star' && q.from?.kind === 'Union' && !q.from.setOp ? q.from : undefined;
  const key = normalizeName(name.name);
  if (!union || union.inputs.length !== 2 || readsName(union.inputs[0], key) || q.where || q.groupBy.length || q.orderBy.length || q.limit !== undefined) {
    throw new SluiceError('UNSUPPORTED', `WITH RECURSIVE ${name.name} must be one query that does not read ${name.name}, UNION [ALL], and one that does`, {
      span: q.span,
      hint: `e.g. WITH RECURSIVE ${name.name}(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM ${name.name} WHERE n < 10) SELECT n FROM ${name.name}`,
    });
  }
  return { name, ...(columns ? { columns } : {}), anchor: union.inputs[0]!, step: union.inputs[1]!, all: !q.distinct, span: q.span };
}

/** A reference to a common table in scope as that query, named as written (or by its alias), its columns as WITH t(a, b) names them. */
function commonTableRef(name: Ident, alias: Ident | undefined, span: Span, cx: AstContext): SubqueryRef | undefined {
  const cte = cx.ctes?.get(normalizeName(name.name));
  return cte ? { kind: 'Subquery', query: cte.query, alias: alias ?? name, ...(cte.columns ? { columns: cte.columns } : {}), span } : undefined;
}

export function toSelectItem(n: CstNode, cx: AstContext): SelectItem {
  const span = cx.src.nodeSpan(n);
  if (optToken(n, 'star')) {
    const q = optNode(n, 'qualifier');
    const exclude = optNode(n, 'exclude');
    const replace = optNode(n, 'replace');
    const names = replace ? nodes(replace, 'names').map((c) => toIdent(c, cx)) : [];
    const rename = optNode(n, 'rename');
    const path = nodes(n, 'qualifierPath').map((p) => toIdent(p, cx));
    return {
      kind: 'Star',
      ...(q ? { qualifier: toIdent(q, cx) } : {}),
      ...(path.length ? { path } : {}),
      ...(exclude ? { exclude: nodes(exclude, 'columns').map((c) => toIdent(c, cx)) } : {}),
      ...(replace ? { replace: nodes(replace, 'exprs').map((e, i) => ({ expr: toExpr(e, cx), name: names[i]! })) } : {}),
      ...(rename ? { rename: nodes(rename, 'pairs').map((p) => ({ column: toIdent(node(p, 'column'), cx), name: toIdent(node(p, 'name'), cx) })) } : {}),
      span,
    };
  }
  const alias = aliasOf(n, cx);
  const expr = toExpr(node(n, 'expression'), cx);
  return alias ? { kind: 'ExprItem', expr, alias, span } : { kind: 'ExprItem', expr, span };
}

function aliasOf(n: CstNode, cx: AstContext): Ident | undefined {
  const a = optNode(n, 'alias');
  return a ? toIdent(node(a, 'name'), cx) : undefined;
}

/**
 * Join words of other dialects that the grammar would take as the alias of the item before
 * `JOIN` (`FROM s RIGHT JOIN t` read as `s` aliased RIGHT, then an inner join): refused, with
 * what to write, instead of answering as another join. A quoted alias is an alias.
 */
const FOREIGN_JOINS: Readonly<Record<string, string>> = {
  POSITIONAL: 'a stream has no row positions to match',
  LATERAL: 'join a table on its key, or select from the subquery in FROM',
};

/** The column names of a FROM item's alias, `t(a, b)`. */
function aliasColumns(n: CstNode, cx: AstContext): Ident[] | undefined {
  const list = optNode(n, 'alias') && optNode(node(n, 'alias'), 'columns');
  return list ? nodes(list, 'names').map((x) => toIdent(x, cx)) : undefined;
}

function checkForeignJoin(item: CstNode, cx: AstContext): void {
  const a = optNode(onlyChild(item), 'alias');
  if (!a) return;
  const name = node(a, 'name');
  const start = name.location!.startOffset;
  const word = cx.src.text.slice(start, name.location!.endOffset! + 1);
  const hint = FOREIGN_JOINS[word.toUpperCase()];
  const upper = word.toUpperCase();
  if (hint) throw new SluiceError('UNSUPPORTED', `${upper === 'LATERAL' ? 'LATERAL' : `${upper} JOIN`} is not supported`, { span: cx.src.span(start, name.location!.endOffset! + 1), hint });
}

/**
 * FROM and WHERE, with each `l SEMI JOIN r ON c` in FROM as `l` and `EXISTS (SELECT 1 FROM r
 * WHERE c)` in WHERE (ANTI JOIN: NOT EXISTS), as DuckDB answers them: a row of `l` once if some
 * row of `r` meets `c` (none, for ANTI). A filter of `l`'s rows commutes with the joins after it
 * that keep them (INNER, LEFT, CROSS); a RIGHT or FULL join after it is refused.
 */
export function fromAndWhere(fromNode: CstNode | undefined, whereNode: CstNode | undefined, cx: AstContext): { from?: FromItem; where?: Expr } {
  const filters: Expr[] = [];
  const from = fromNode ? toFrom(fromNode, cx, filters) : undefined;
  const written = whereNode ? toExpr(whereNode, cx) : undefined;
  const all = [...filters, ...(written ? [written] : [])];
  const where = all.length ? all.reduce((acc, x): Expr => ({ kind: 'Binary', op: 'AND', left: acc, right: x, span: x.span })) : undefined;
  return { ...(from ? { from } : {}), ...(where ? { where } : {}) };
}

/** The EXISTS test of `left SEMI|ANTI JOIN right ON on | USING (...)`. */
function semiJoinTest(kind: string, left: FromItem, right: FromItem, on: Expr | undefined, using: readonly Ident[] | undefined, span: Span): Expr {
  const word = `${kind} JOIN`;
  let where = on;
  if (using) {
    const qualifier = (item: FromItem): Ident | undefined => (item.kind === 'TableRef' ? item.alias ?? item.name : item.kind === 'Join' || item.kind === 'Union' ? undefined : item.alias);
    const l = qualifier(left);
    const r = qualifier(right);
    if (!l || !r) throw new SluiceError('UNSUPPORTED', `${word} ... USING needs a named relation on each side`, { span, hint: `write ${word} ... ON <left column> = <right column>` });
    where = using
      .map((c): Expr => ({ kind: 'Binary', op: '=', left: { kind: 'ColumnRef', qualifier: l, column: c, span: c.span }, right: { kind: 'ColumnRef', qualifier: r, column: c, span: c.span }, span: c.span }))
      .reduce((acc, x): Expr => ({ kind: 'Binary', op: 'AND', left: acc, right: x, span }));
  }
  if (!where) throw new SluiceError('INVALID_JOIN', `${word} needs ON or USING`, { span, hint: `write ${word} t ON <condition>` });
  const one: Expr = { kind: 'Literal', literal: 'integer', value: 1, span };
  const exists: Expr = { kind: 'Exists', query: { kind: 'Select', distinct: false, items: [{ kind: 'ExprItem', expr: one, span }], from: right, where, groupBy: [], orderBy: [], span }, span };
  return kind === 'ANTI' ? { kind: 'Unary', op: 'NOT', operand: exists, span } : exists;
}

function toFrom(n: CstNode, cx: AstContext, filters: Expr[]): FromItem {
  const first = node(n, 'first');
  const joins = nodes(n, 'joins');
  // Every item followed by a JOIN: its alias must not be a join word (see FOREIGN_JOINS).
  for (const item of [first, ...joins.slice(0, -1).map((j) => node(j, 'right'))]) if (joins.length) checkForeignJoin(item, cx);
  let left = toFromPrimary(first, cx);
  for (const j of joins) {
    const onNode = optNode(j, 'on');
    const using = optToken(j, 'using') ? nodes(j, 'usingColumns').map((c) => toIdent(c, cx)) : undefined;
    const right = toFromPrimary(node(j, 'right'), cx);
    const span = cx.src.span(first.location!.startOffset, j.location!.endOffset! + 1);
    const joinType = optToken(j, 'left') ? 'LEFT' : optToken(j, 'rightJoin') ? 'RIGHT' : optToken(j, 'full') ? 'FULL' : optToken(j, 'cross') || optToken(j, 'comma') ? 'CROSS' : 'INNER';
    const natural = optToken(j, 'natural');
    const semi = optToken(j, 'semiAnti');
    const asof = optToken(j, 'asof');
    if (asof && (natural || semi || (joinType !== 'INNER' && joinType !== 'LEFT') || !(onNode || using))) {
      throw new SluiceError('UNSUPPORTED', 'ASOF joins as ASOF JOIN or ASOF LEFT JOIN, with ON or USING', {
        span: cx.src.tokenSpan(asof),
        hint: 'e.g. FROM trades t ASOF JOIN quotes q ON t.symbol = q.symbol AND t.ts >= q.ts',
      });
    }
    if (semi) {
      if (natural) throw new SluiceError('UNSUPPORTED', `NATURAL ${semi.image.toUpperCase()} JOIN is not supported`, { span: cx.src.tokenSpan(natural), hint: 'write ON or USING' });
      filters.push(semiJoinTest(semi.image.toUpperCase(), left, right, onNode ? toExpr(onNode, cx) : undefined, using, span));
      continue;
    }
    if (filters.length && (joinType === 'RIGHT' || joinType === 'FULL')) {
      throw new SluiceError('UNSUPPORTED', `a ${joinType} JOIN after a SEMI or ANTI JOIN is not supported`, { span: cx.src.tokenSpan((optToken(j, 'rightJoin') ?? optToken(j, 'full'))!), hint: 'put the SEMI or ANTI JOIN last, or write its test as WHERE [NOT] EXISTS (SELECT 1 FROM ... WHERE ...)' });
    }
    if (natural && (joinType === 'CROSS' || onNode || using)) {
      throw new SluiceError('SYNTAX_ERROR', `NATURAL JOIN joins on the columns both sides name alike and takes no ${joinType === 'CROSS' ? 'CROSS' : onNode ? 'ON' : 'USING'}`, {
        span: cx.src.tokenSpan(natural),
        hint: 'leave out NATURAL to join on a condition',
      });
    }
    if (joinType === 'CROSS' && (onNode || using)) {
      throw new SluiceError('SYNTAX_ERROR', `CROSS JOIN pairs every row of both sides and takes no ${onNode ? 'ON' : 'USING'}`, {
        span: cx.src.tokenSpan(optToken(j, 'cross')!),
        hint: 'write JOIN ... ON <condition> to join on a condition',
      });
    }
    left = {
      kind: 'Join',
      joinType,
      left,
      right,
      ...(onNode ? { on: toExpr(onNode, cx) } : {}),
      ...(using ? { using } : {}),
      ...(natural ? { natural: true } : {}),
      ...(asof ? { asof: true } : {}),
      span,
    };
  }
  return left;
}

function toFromPrimary(n: CstNode, cx: AstContext): FromItem {
  // t PIVOT (...) / t UNPIVOT (...): each suffix over what comes before it.
  return nodes(n, 'pivots').reduce((item, p) => pivotSuffix(p, item, cx), relationOf(n, cx));
}

function relationOf(n: CstNode, cx: AstContext): FromItem {
  const c = optNode(n, 'windowTvf') ?? optNode(n, 'subquery') ?? node(n, 'tableRef');
  const span = cx.src.nodeSpan(c);
  const alias = aliasOf(c, cx);
  const withAlias = alias ? { alias } : {};
  switch (c.name) {
    case 'tableRef': {
      const name = toIdent(node(c, 'name'), cx);
      const columns = aliasColumns(c, cx);
      if (optToken(c, 'call')) return tableFunction(name, nodes(c, 'args').map((a) => toExpr(a, cx)), alias, columns, optToken(c, 'ordinality') !== undefined, span);
      const ref: FromItem = commonTableRef(name, alias, span, cx) ?? { kind: 'TableRef', name, ...withAlias, span };
      // `t AS x(a, b)`: its columns renamed, as a subquery over it.
      return columns ? { kind: 'Subquery', query: selectFrom([{ kind: 'Star', span }], ref, span), ...withAlias, columns, span } : ref;
    }
    case 'subquery': {
      const names = aliasColumns(c, cx);
      const columns = names ? { columns: names } : {};
      if (optToken(c, 'values')) return { kind: 'Values', rows: nodes(c, 'rows').map((r) => nodes(r, 'values').map((e) => toExpr(e, cx))), ...withAlias, ...columns, span };
      const lateral = optToken(n, 'lateral') ? { lateral: true as const } : {};
      return { kind: 'Subquery', query: toSelect(node(c, 'selectQuery'), cx), ...withAlias, ...columns, ...lateral, span };
    }
    case 'windowTvf':
      return toWindow(c, cx, alias);
    default:
      throw new SluiceError('INTERNAL', `parser: unexpected from item ${c.name}`);
  }
}

/** Table functions in FROM: each the rows of the list function of the same name, one per element. */
const TABLE_FUNCTIONS: Readonly<Record<string, string>> = { range: 'range', generate_series: 'generate_series', unnest: 'unnest' };

/**
 * `range(...)`, `generate_series(...)` and `unnest(list)` in FROM, as DuckDB's table functions: one
 * row per element, in a column named after the function (or the alias's column list), planned as
 * `(SELECT UNNEST(<list>) AS <name>)`. `WITH ORDINALITY` adds a column `ordinality`, each row's
 * place in the list from 1: `UNNEST(RANGE(1, LEN(<list>) + 1))`, unnested in step with it.
 */
function tableFunction(name: Ident, args: readonly Expr[], alias: Ident | undefined, columns: readonly Ident[] | undefined, ordinality: boolean, span: Span): FromItem {
  const fn = TABLE_FUNCTIONS[normalizeName(name.name)];
  const windowFn = normalizeName(name.name).toUpperCase();
  if (windowFn in WINDOW_EXAMPLE) {
    throw new SluiceError('UNSUPPORTED', `${windowFn} in FROM is written as a window table function over the stream`, {
      span: name.span,
      hint: `write FROM TABLE(${windowFn}(TABLE s, DESCRIPTOR(ts), ${WINDOW_EXAMPLE[windowFn]}))`,
    });
  }
  if (!fn) {
    throw new SluiceError('UNSUPPORTED', `table function '${name.name}' is not supported in FROM`, {
      span: name.span,
      hint: 'FROM takes a stream, table or view by name, a subquery, VALUES, TUMBLE/HOP/SESSION, range(...), generate_series(...) or unnest(list)',
    });
  }
  const call = (f: string, xs: readonly Expr[]): Expr => ({ kind: 'Call', name: { name: f, span: name.span }, args: xs, distinct: false, star: false, span });
  const list = fn === 'unnest' ? args : [call(fn, args)];
  if (fn === 'unnest' && args.length !== 1) throw new SluiceError('UNSUPPORTED', `unnest in FROM takes one list, got ${args.length} arguments`, { span, hint: 'e.g. FROM unnest([1, 2, 3]) AS t(x)' });
  const items: SelectItem[] = [{ kind: 'ExprItem', expr: call('unnest', list), alias: { name: fn, span: name.span }, span }];
  if (ordinality) {
    const one: Expr = { kind: 'Literal', literal: 'integer', value: 1, span };
    const places = call('range', [one, { kind: 'Binary', op: '+', left: call('len', list), right: one, span }]);
    items.push({ kind: 'ExprItem', expr: call('unnest', [places]), alias: { name: 'ordinality', span }, span });
  }
  return { kind: 'Subquery', query: selectFrom(items, undefined, span), alias: alias ?? { name: fn, span: name.span }, ...(columns ? { columns } : {}), span };
}

function selectFrom(items: readonly SelectItem[], from: FromItem | undefined, span: Span): SelectQuery {
  return { kind: 'Select', distinct: false, items, ...(from ? { from } : {}), groupBy: [], orderBy: [], span };
}

const WINDOW_EXAMPLE: Readonly<Record<string, string>> = {
  TUMBLE: "INTERVAL '1' MINUTE",
  HOP: "INTERVAL '1' MINUTE, INTERVAL '5' MINUTES",
  SESSION: "INTERVAL '5' MINUTES",
};

const WINDOW_ARGS: Readonly<Record<WindowRef['fn'], readonly string[]>> = {
  TUMBLE: ['size'],
  HOP: ['slide', 'size'],
  SESSION: ['gap'],
};

function toWindow(n: CstNode, cx: AstContext, alias: Ident | undefined): WindowRef {
  const fnTok = token(n, 'fn');
  const fn = fnTok.tokenType.name as WindowRef['fn'];
  const inputStart = token(n, 'inputStart');
  const query = optNode(n, 'inputQuery');
  const inputNode = optNode(n, 'input');
  const inputName = inputNode ? toIdent(inputNode, cx) : undefined;
  const inputSpan = inputNode ? cx.src.span(inputStart.startOffset, inputNode.location!.endOffset! + 1) : undefined;
  const input: TableRef | SubqueryRef = query
    ? { kind: 'Subquery', query: toSelect(query, cx), span: cx.src.span(inputStart.startOffset, token(n, 'inputEnd').endOffset! + 1) }
    : (commonTableRef(inputName!, undefined, inputSpan!, cx) ?? { kind: 'TableRef', name: inputName!, span: inputSpan! });
  const args = nodes(n, 'args').map((a) => toExpr(a, cx));
  const expected = WINDOW_ARGS[fn];
  if (args.length !== expected.length) {
    const what = expected.map((e) => `<${e}>`).join(', ');
    throw astError(
      `${fn} takes ${expected.length} interval argument${expected.length > 1 ? 's' : ''} after the DESCRIPTOR, got ${args.length}`,
      cx.src.tokenSpan(fnTok),
      `write ${fn}(TABLE t, DESCRIPTOR(ts), ${what})`,
    );
  }
  return {
    kind: 'Window',
    fn,
    input,
    timeColumn: toIdent(node(n, 'timeColumn'), cx),
    args,
    ...(alias ? { alias } : {}),
    span: cx.src.nodeSpan(n),
  };
}
