/** CST→AST for SELECT queries and their FROM clauses. */
import type { CstNode } from 'chevrotain';
import { SluiceError } from '../common/errors.js';
import type { FromItem, Ident, SelectItem, SelectQuery, SubqueryRef, TableRef, WindowRef } from './ast.js';
import { type AstContext, astError, node, nodes, onlyChild, optNode, optToken, token } from './cst-access.js';
import { toExpr } from './to-ast-expr.js';
import { toIdent } from './to-ast-names.js';

export function toSelect(n: CstNode, cx: AstContext): SelectQuery {
  const fromNode = optNode(n, 'fromClause');
  const whereNode = optNode(n, 'where');
  const havingNode = optNode(n, 'having');
  const limitTok = optToken(n, 'limit');
  return {
    kind: 'Select',
    distinct: optToken(n, 'distinct') !== undefined,
    items: nodes(n, 'items').map((i) => toSelectItem(i, cx)),
    ...(fromNode ? { from: toFrom(fromNode, cx) } : {}),
    ...(whereNode ? { where: toExpr(whereNode, cx) } : {}),
    groupBy: nodes(n, 'groupBy').map((e) => toExpr(e, cx)),
    ...(havingNode ? { having: toExpr(havingNode, cx) } : {}),
    orderBy: nodes(n, 'orderBy').map((o) => ({
      expr: toExpr(node(o, 'expression'), cx),
      desc: optToken(o, 'direction')?.image.toUpperCase() === 'DESC',
      nullsFirst: optToken(o, 'nulls')?.image.toUpperCase() === 'FIRST',
    })),
    ...(limitTok ? { limit: Number(limitTok.image) } : {}),
    span: cx.src.nodeSpan(n),
  };
}

function toSelectItem(n: CstNode, cx: AstContext): SelectItem {
  const span = cx.src.nodeSpan(n);
  if (optToken(n, 'star')) {
    const q = optNode(n, 'qualifier');
    return q ? { kind: 'Star', qualifier: toIdent(q, cx), span } : { kind: 'Star', span };
  }
  const alias = aliasOf(n, cx);
  const expr = toExpr(node(n, 'expression'), cx);
  return alias ? { kind: 'ExprItem', expr, alias, span } : { kind: 'ExprItem', expr, span };
}

function aliasOf(n: CstNode, cx: AstContext): Ident | undefined {
  const a = optNode(n, 'alias');
  return a ? toIdent(node(a, 'name'), cx) : undefined;
}

function toFrom(n: CstNode, cx: AstContext): FromItem {
  const first = node(n, 'first');
  let left = toFromPrimary(first, cx);
  for (const j of nodes(n, 'joins')) {
    const onNode = optNode(j, 'on');
    const right = toFromPrimary(node(j, 'right'), cx);
    const span = cx.src.span(first.location!.startOffset, j.location!.endOffset! + 1);
    left = {
      kind: 'Join',
      joinType: optToken(j, 'left') ? 'LEFT' : 'INNER',
      left,
      right,
      ...(onNode ? { on: toExpr(onNode, cx) } : {}),
      span,
    };
  }
  return left;
}

function toFromPrimary(n: CstNode, cx: AstContext): FromItem {
  const c = onlyChild(n);
  const span = cx.src.nodeSpan(c);
  const alias = aliasOf(c, cx);
  const withAlias = alias ? { alias } : {};
  switch (c.name) {
    case 'tableRef':
      return { kind: 'TableRef', name: toIdent(node(c, 'name'), cx), ...withAlias, span };
    case 'subquery':
      return { kind: 'Subquery', query: toSelect(node(c, 'selectQuery'), cx), ...withAlias, span };
    case 'windowTvf':
      return toWindow(c, cx, alias);
    default:
      throw new SluiceError('INTERNAL', `parser: unexpected from item ${c.name}`);
  }
}

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
  const input: TableRef | SubqueryRef = query
    ? { kind: 'Subquery', query: toSelect(query, cx), span: cx.src.span(inputStart.startOffset, token(n, 'inputEnd').endOffset! + 1) }
    : {
        kind: 'TableRef',
        name: toIdent(inputNode!, cx),
        span: cx.src.span(inputStart.startOffset, inputNode!.location!.endOffset! + 1),
      };
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
