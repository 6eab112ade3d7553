/** CST→AST for expressions. Spans come from CST locations, so they include parentheses. */
import type { CstNode, IToken } from 'chevrotain';
import { SluiceError } from '../common/errors.js';
import type { Span } from '../common/span.js';
import { normalizeName, type BinaryOp, type CallExpr, type CaseExpr, type ColumnRefExpr, type Expr, type Ident, type LiteralExpr } from './ast.js';
import { type AstContext, node, nodes, onlyChild, optNode, optToken, tokens } from './cst-access.js';
import { toIntervalLiteral, toTimestampLiteral } from './to-ast-literals.js';
import { identFromToken, stringValue, toIdent } from './to-ast-names.js';
import { toDataType } from './to-ast-type.js';

/** An `expression` (or `standaloneExpression`) node. */
export function toExpr(n: CstNode, cx: AstContext): Expr {
  const inner = n.name === 'standaloneExpression' ? node(n, 'expression') : n;
  return toOr(node(inner, 'orExpr'), cx);
}

function startOf(n: CstNode): number {
  return n.location!.startOffset;
}

function endOf(n: CstNode | IToken): number {
  return ('image' in n ? n.endOffset! : n.location!.endOffset!) + 1;
}

/** Left-folds `operands[0] op operands[1] op ...`. */
function foldBinary(
  n: CstNode,
  cx: AstContext,
  visit: (operand: CstNode, cx: AstContext) => Expr,
  opOf: (t: IToken) => BinaryOp,
): Expr {
  const operands = nodes(n, 'operands');
  const ops = tokens(n, 'ops');
  let left = visit(operands[0]!, cx);
  for (let i = 0; i < ops.length; i++) {
    const rightNode = operands[i + 1]!;
    const right = visit(rightNode, cx);
    left = { kind: 'Binary', op: opOf(ops[i]!), left, right, span: cx.src.span(startOf(operands[0]!), endOf(rightNode)) };
  }
  return left;
}

const symbolOp = (t: IToken): BinaryOp => (t.image === '!=' ? '<>' : (t.image as BinaryOp));

/**
 * `operands[0] op operands[1] op ...` for AND/OR as a balanced tree: both are associative, and a
 * balanced tree of n terms is only log2(n) deep, so chains of thousands of terms do not nest
 * thousands deep for the passes after the parser.
 */
function balancedChain(n: CstNode, cx: AstContext, visit: (operand: CstNode, cx: AstContext) => Expr, op: 'AND' | 'OR'): Expr {
  const operandNodes = nodes(n, 'operands');
  const terms = operandNodes.map((o) => visit(o, cx));
  const build = (from: number, to: number): Expr => {
    if (to - from === 1) return terms[from]!;
    const mid = from + Math.ceil((to - from) / 2);
    const span = cx.src.span(startOf(operandNodes[from]!), endOf(operandNodes[to - 1]!));
    return { kind: 'Binary', op, left: build(from, mid), right: build(mid, to), span };
  };
  return build(0, terms.length);
}

function toOr(n: CstNode, cx: AstContext): Expr {
  return balancedChain(n, cx, toAnd, 'OR');
}

function toAnd(n: CstNode, cx: AstContext): Expr {
  return balancedChain(n, cx, toNot, 'AND');
}

function toNot(n: CstNode, cx: AstContext): Expr {
  const operandNode = node(n, 'operand');
  if (!optToken(n, 'not')) return toPredicate(operandNode, cx);
  return { kind: 'Unary', op: 'NOT', operand: toNot(operandNode, cx), span: cx.src.nodeSpan(n) };
}

function toPredicate(n: CstNode, cx: AstContext): Expr {
  let operand = toConcat(node(n, 'operand'), cx);
  const start = startOf(n);
  for (const s of nodes(n, 'suffixes')) {
    const span = cx.src.span(start, endOf(s));
    const negated = optToken(s, 'not') !== undefined;
    const op = optToken(s, 'op');
    if (op) {
      operand = { kind: 'Binary', op: symbolOp(op), left: operand, right: toConcat(node(s, 'right'), cx), span };
    } else if (optToken(s, 'is')) {
      operand = optToken(s, 'distinct')
        ? { kind: 'Binary', op: negated ? 'IS NOT DISTINCT FROM' : 'IS DISTINCT FROM', left: operand, right: toConcat(node(s, 'right'), cx), span }
        : { kind: 'IsNull', operand, negated, span };
    } else if (optToken(s, 'in')) {
      operand = { kind: 'In', operand, list: nodes(s, 'list').map((e) => toExpr(e, cx)), negated, span };
    } else if (optToken(s, 'between')) {
      operand = { kind: 'Between', operand, low: toConcat(node(s, 'low'), cx), high: toConcat(node(s, 'high'), cx), negated, span };
    } else {
      const escape = optNode(s, 'escape');
      const caseInsensitive = optToken(s, 'like')!.image.toUpperCase() === 'ILIKE';
      operand = { kind: 'Like', operand, pattern: toConcat(node(s, 'pattern'), cx), ...(escape ? { escape: toConcat(escape, cx) } : {}), caseInsensitive, negated, span };
    }
  }
  return operand;
}

function toConcat(n: CstNode, cx: AstContext): Expr {
  return foldBinary(n, cx, toAdditive, symbolOp);
}

function toAdditive(n: CstNode, cx: AstContext): Expr {
  return foldBinary(n, cx, toMultiplicative, symbolOp);
}

function toMultiplicative(n: CstNode, cx: AstContext): Expr {
  return foldBinary(n, cx, toUnary, symbolOp);
}

function toUnary(n: CstNode, cx: AstContext): Expr {
  const operandNode = node(n, 'operand');
  if (optToken(n, 'minus')) return { kind: 'Unary', op: '-', operand: toUnary(operandNode, cx), span: cx.src.nodeSpan(n) };
  if (optToken(n, 'plus')) return toUnary(operandNode, cx);
  return toPostfix(operandNode, cx);
}

function toPostfix(n: CstNode, cx: AstContext): Expr {
  const primaryNode = node(n, 'primary');
  let expr = toPrimary(primaryNode, cx);
  // `t.a` is a qualified column; only a bare name (not parenthesised, not a call) can be a qualifier.
  let canQualify = expr.kind === 'ColumnRef' && onlyChild(primaryNode).name === 'nameOrCall';
  const start = startOf(n);
  for (const op of nodes(n, 'ops')) {
    const span = cx.src.span(start, endOf(op));
    const fieldTok = optToken(op, 'field');
    if (fieldTok) {
      const field = identFromToken(fieldTok, cx);
      expr = canQualify && expr.kind === 'ColumnRef'
        ? { kind: 'ColumnRef', qualifier: expr.column, column: field, span }
        : { kind: 'FieldAccess', operand: expr, field, span };
    } else {
      expr = { kind: 'Index', operand: expr, index: toExpr(node(op, 'index'), cx), span };
    }
    canQualify = false;
  }
  return expr;
}

function toPrimary(n: CstNode, cx: AstContext): Expr {
  const c = onlyChild(n);
  switch (c.name) {
    case 'literal':
      return toLiteral(c, cx);
    case 'intervalLiteral':
      return toIntervalLiteral(c, cx);
    case 'timestampLiteral':
      return toTimestampLiteral(c, cx);
    case 'caseExpr':
      return toCase(c, cx);
    case 'castExpr':
      return { kind: 'Cast', operand: toExpr(node(c, 'expression'), cx), type: toDataType(node(c, 'dataType'), cx), span: cx.src.nodeSpan(c) };
    case 'arrayExpr':
      return { kind: 'Array', elements: nodes(c, 'elements').map((e) => toExpr(e, cx)), span: cx.src.nodeSpan(c) };
    case 'parenExpr':
      return toExpr(node(c, 'expression'), cx);
    case 'nameOrCall':
      return toNameOrCall(c, cx);
    default:
      throw new SluiceError('INTERNAL', `parser: unexpected primary ${c.name}`);
  }
}

function toLiteral(n: CstNode, cx: AstContext): LiteralExpr {
  const span = cx.src.nodeSpan(n);
  const s = optToken(n, 'string');
  if (s) return { kind: 'Literal', literal: 'string', value: stringValue(s), span };
  const i = optToken(n, 'integer');
  if (i) return { kind: 'Literal', literal: 'integer', value: Number(i.image), span };
  const d = optToken(n, 'decimal');
  if (d) return { kind: 'Literal', literal: 'decimal', value: Number(d.image), span };
  const b = optToken(n, 'boolean');
  if (b) return { kind: 'Literal', literal: 'boolean', value: b.image.toUpperCase() === 'TRUE', span };
  return { kind: 'Literal', literal: 'null', value: null, span };
}

function toCase(n: CstNode, cx: AstContext): CaseExpr {
  const operandNode = optNode(n, 'operand');
  const thens = nodes(n, 'thens');
  const whens = nodes(n, 'whens').map((w, i) => ({ when: toExpr(w, cx), then: toExpr(thens[i]!, cx) }));
  const elseNode = optNode(n, 'else');
  return {
    kind: 'Case',
    ...(operandNode ? { operand: toExpr(operandNode, cx) } : {}),
    whens,
    ...(elseNode ? { else: toExpr(elseNode, cx) } : {}),
    span: cx.src.nodeSpan(n),
  };
}

function toNameOrCall(n: CstNode, cx: AstContext): ColumnRefExpr | CallExpr {
  const name = toIdent(node(n, 'name'), cx);
  const span = cx.src.nodeSpan(n);
  if (!optToken(n, 'call')) return { kind: 'ColumnRef', column: name, span };
  const from = optToken(n, 'from');
  if (from) return toTrimFrom(n, name, from, span, cx);
  return {
    kind: 'Call',
    name,
    args: nodes(n, 'args').map((a) => toExpr(a, cx)),
    distinct: optToken(n, 'distinct') !== undefined,
    star: optToken(n, 'star') !== undefined,
    span,
  };
}

const TRIM_FUNCTION: Readonly<Record<string, string>> = { BOTH: 'trim', LEADING: 'ltrim', TRAILING: 'rtrim' };

/**
 * `TRIM([BOTH|LEADING|TRAILING] [chars] FROM s)` as the call `trim|ltrim|rtrim(s[, chars])`;
 * the `FROM` form belongs to TRIM alone.
 */
function toTrimFrom(n: CstNode, name: Ident, from: IToken, span: Span, cx: AstContext): CallExpr {
  if (normalizeName(name.name) !== 'trim' || optToken(n, 'distinct') || nodes(n, 'args').length > 1) {
    throw new SluiceError('SYNTAX_ERROR', `unexpected FROM in a call to ${name.name}`, {
      span: cx.src.span(from.startOffset, endOf(from)),
      hint: "only TRIM takes FROM: TRIM([BOTH | LEADING | TRAILING] [characters] FROM string); separate arguments with ','",
    });
  }
  const side = optToken(n, 'side')?.image.toUpperCase() ?? 'BOTH';
  const chars = nodes(n, 'args').map((a) => toExpr(a, cx));
  const fn = TRIM_FUNCTION[side]!;
  return { kind: 'Call', name: { name: fn, span: name.span }, args: [toExpr(node(n, 'fromArg'), cx), ...chars], distinct: false, star: false, span };
}
