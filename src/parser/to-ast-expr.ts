/** CST→AST for expressions. Spans come from CST locations, so they include parentheses. */
import type { CstNode, IToken } from 'chevrotain';
import { SluiceError } from '../common/errors.js';
import type { BinaryOp, CallExpr, CaseExpr, ColumnRefExpr, Expr, LiteralExpr } from './ast.js';
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

const keywordOp = (t: IToken): BinaryOp => (t.image.toUpperCase() === 'AND' ? 'AND' : 'OR');
const symbolOp = (t: IToken): BinaryOp => (t.image === '!=' ? '<>' : (t.image as BinaryOp));

function toOr(n: CstNode, cx: AstContext): Expr {
  return foldBinary(n, cx, toAnd, keywordOp);
}

function toAnd(n: CstNode, cx: AstContext): Expr {
  return foldBinary(n, cx, toNot, keywordOp);
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
      operand = { kind: 'IsNull', operand, negated, span };
    } else if (optToken(s, 'in')) {
      operand = { kind: 'In', operand, list: nodes(s, 'list').map((e) => toExpr(e, cx)), negated, span };
    } else if (optToken(s, 'between')) {
      operand = { kind: 'Between', operand, low: toConcat(node(s, 'low'), cx), high: toConcat(node(s, 'high'), cx), negated, span };
    } else {
      operand = { kind: 'Like', operand, pattern: toConcat(node(s, 'pattern'), cx), negated, span };
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
  if (i) return { kind: 'Literal', literal: 'integer', value: integerValue(i.image), span };
  const d = optToken(n, 'decimal');
  if (d) return { kind: 'Literal', literal: 'decimal', value: Number(d.image), digits: d.image, span };
  const b = optToken(n, 'boolean');
  if (b) return { kind: 'Literal', literal: 'boolean', value: b.image.toUpperCase() === 'TRUE', span };
  return { kind: 'Literal', literal: 'null', value: null, span };
}

/** An integer literal's exact value: a number while that is exact, a bigint beyond 2^53. */
function integerValue(image: string): number | bigint {
  const n = Number(image);
  return Number.isSafeInteger(n) ? n : BigInt(image);
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
  return {
    kind: 'Call',
    name,
    args: nodes(n, 'args').map((a) => toExpr(a, cx)),
    distinct: optToken(n, 'distinct') !== undefined,
    star: optToken(n, 'star') !== undefined,
    span,
  };
}
