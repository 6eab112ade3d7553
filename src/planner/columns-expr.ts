/**
 * DuckDB's COLUMNS(...) in the select list: `COLUMNS('^amount')`, `COLUMNS(*)`,
 * `COLUMNS(['a', 'b'])`, also inside an expression (`MIN(COLUMNS(*))`, `COLUMNS('x_') * 2`).
 * A select item holding it becomes one item per column it selects, in FROM's order, each with
 * that column in its place; several COLUMNS in one item go along in step and must select as
 * many columns each. A regular expression selects the names it matches anywhere (RE2, as
 * REGEXP_MATCHES); an item that is only COLUMNS(...) keeps each column's name.
 */
import { RE2JS } from 're2js';
import { SluiceError } from '../common/errors.js';
import { normalizeName, type CallExpr, type Expr, type SelectItem, type SelectQuery } from '../parser/ast.js';
import type { Scope, ScopeColumn } from './bind-expr.js';
import { mapChildren } from './window-lift.js';

export function expandColumnsCalls(q: SelectQuery, scope: Scope): SelectQuery {
  if (!q.items.some((i) => i.kind === 'ExprItem' && columnsCalls(i.expr).length)) return q;
  return { ...q, items: q.items.flatMap((item) => expandItem(item, scope)) };
}

function expandItem(item: SelectItem, scope: Scope): SelectItem[] {
  if (item.kind !== 'ExprItem') return [item];
  const calls = columnsCalls(item.expr);
  if (!calls.length) return [item];
  const picks = calls.map((c) => selected(c, scope));
  const n = picks[0]!.length;
  picks.forEach((p, k) => {
    if (p.length !== n) {
      throw new SluiceError('INVALID_ARGUMENT', `the COLUMNS(...) of one expression must select as many columns each: ${n} and ${p.length}`, { span: calls[k]!.span });
    }
  });
  const alone = item.expr.kind === 'Call' && calls[0] === item.expr;
  return Array.from({ length: n }, (_, j): SelectItem => {
    const replace = (e: Expr): Expr => {
      const k = e.kind === 'Call' ? calls.indexOf(e) : -1;
      if (k >= 0) {
        const c = picks[k]![j]!;
        return { kind: 'ColumnRef', ...(c.qualifier !== undefined ? { qualifier: { name: c.qualifier, span: e.span } } : {}), column: { name: c.name, span: e.span }, span: e.span };
      }
      return mapChildren(e, replace);
    };
    const expr = replace(item.expr);
    const alias = alone ? { name: picks[0]![j]!.name, span: item.span } : undefined;
    return { kind: 'ExprItem', expr, ...(alias ? { alias } : {}), span: item.span };
  });
}

/** The COLUMNS(...) calls of `e`, outside its subqueries. */
function columnsCalls(e: Expr): CallExpr[] {
  const out: CallExpr[] = [];
  const visit = (x: Expr): Expr => {
    if (x.kind === 'Call' && normalizeName(x.name.name) === 'columns' && !x.over) out.push(x);
    else mapChildren(x, visit);
    return x;
  };
  visit(e);
  return out;
}

/** The visible columns a COLUMNS(...) call selects. */
function selected(call: CallExpr, scope: Scope): ScopeColumn[] {
  const visible = scope.columns.filter((c) => !c.hidden);
  const arg = call.args[0];
  let picked: ScopeColumn[];
  if (call.star && call.args.length === 0) {
    const left = new Set((call.starExclude ?? []).map((c) => normalizeName(c.name)));
    for (const c of call.starExclude ?? []) {
      if (!visible.some((v) => normalizeName(v.name) === normalizeName(c.name))) {
        throw new SluiceError('UNKNOWN_COLUMN', `COLUMNS(* EXCLUDE ...) names '${c.name}', which is not a column here`, { span: c.span, hint: `columns: ${visible.map((v) => v.name).join(', ')}` });
      }
    }
    picked = visible.filter((c) => !left.has(normalizeName(c.name)));
  }
  else if (call.args.length === 1 && arg!.kind === 'Literal' && typeof arg!.value === 'string') {
    let re: RE2JS;
    try {
      re = RE2JS.compile(arg!.value);
    } catch (err) {
      throw new SluiceError('INVALID_ARGUMENT', `COLUMNS: invalid pattern ${JSON.stringify(arg!.value)}: ${err instanceof Error ? err.message : String(err)}`, { span: arg!.span });
    }
    picked = visible.filter((c) => re.matcher(c.name).find());
  } else if (call.args.length === 1 && arg!.kind === 'Array' && arg!.elements.every((x) => x.kind === 'Literal' && typeof x.value === 'string')) {
    picked = arg!.elements.map((x) => {
      const name = String((x as { value: unknown }).value);
      const c = visible.find((v) => normalizeName(v.name) === normalizeName(name));
      if (!c) throw new SluiceError('UNKNOWN_COLUMN', `COLUMNS names '${name}', which is not a column here`, { span: x.span, hint: `columns: ${visible.map((v) => v.name).join(', ')}` });
      return c;
    });
  } else {
    throw new SluiceError('INVALID_ARGUMENT', 'COLUMNS takes *, a regular expression or a list of column names, as constants', {
      span: call.span,
      hint: "e.g. COLUMNS(*), COLUMNS('^amount_'), COLUMNS(['a', 'b'])",
    });
  }
  if (!picked.length) throw new SluiceError('INVALID_ARGUMENT', 'COLUMNS(...) selects no column', { span: call.span, hint: `columns: ${visible.map((v) => v.name).join(', ')}` });
  return picked;
}
