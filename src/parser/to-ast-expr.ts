/** CST→AST for expressions. Spans come from CST locations, so they include parentheses. */
import type { CstNode, IToken } from 'chevrotain';
import { canonicalUnit, DATE_PARTS } from '../common/date-parts.js';
import { SluiceError } from '../common/errors.js';
import { spanOf, type Span } from '../common/span.js';
import { COLLATE_CALL, normalizeName, type BinaryOp, type CallExpr, type CaseExpr, type ColumnRefExpr, type Expr, type FrameBound, type FrameExclusion, type Ident, type IndexExpr, type IntervalUnit, type ArrayExpr, type LiteralExpr, type OrderItem, type SelectQuery, type WindowFrame, type WindowOver } from './ast.js';
import { UNIT_MONTHS } from '../common/interval-text.js';
import { lambdaOf } from './to-ast-lambda.js';
import { type AstContext, astError, node, nodes, onlyChild, optNode, numberText, optToken, token, tokens } from './cst-access.js';
import { toIntervalLiteral, toTimestampLiteral } from './to-ast-literals.js';
import { rowComparison, rowInList, rowInSubquery, rowItems, rowValue } from './to-ast-rows.js';
import { isQuantifier, quantified, quantifiedComparison } from './to-ast-quantified.js';
import { arrayOfQuery } from './to-ast-array-query.js';
import { identFromToken, identName, stringValue, toIdent } from './to-ast-names.js';
import { toDataType } from './to-ast-type.js';

/** An `expression` (or `standaloneExpression`) node. */
export function toExpr(n: CstNode, cx: AstContext): Expr {
  return climb(n.name === 'standaloneExpression' ? node(n, 'expression') : n, cx);
}

function startOf(n: CstNode | IToken): number {
  return 'image' in n ? n.startOffset : n.location!.startOffset;
}

function endOf(n: CstNode | IToken): number {
  return ('image' in n ? n.endOffset! : n.location!.endOffset!) + 1;
}

/** Binding strength; higher binds tighter. Comparisons and predicate suffixes share a level. */
const PRECEDENCE: Readonly<Record<string, number>> = {
  OR: 1, AND: 2, NOT: 3, '=': 4, '<>': 4, '!=': 4, '<': 4, '<=': 4, '>': 4, '>=': 4, '||': 5, '+': 6, '-': 6, '*': 7, '/': 7, '//': 7, '%': 7,
  // Power binds tighter than * and looser than a sign (-2 ^ 2 is 4), left to right, as in DuckDB.
  '^': 7.5, '**': 7.5,
  // Bitwise operators bind like || (looser than + and tighter than comparisons), as in DuckDB and PostgreSQL.
  '&': 5, '|': 5, '<<': 5, '>>': 5,
  // s ^@ prefix compares, as DuckDB: 'ab' || 'c' ^@ 'a' is ('ab' || 'c') ^@ 'a'.
  '^@': 4,
  // x -> body: the body is everything after the arrow (x -> x > 1 AND x < 5); json -> path is
  // read from it too (to-ast-lambda.ts), as in DuckDB.
  '->': 0.5,
  // json ->> path binds like || (PostgreSQL's other operators): j ->> 'a' = 'x' compares the text.
  '->>': 5,
};

/** Operators written as calls: `a // b` is DIVIDE(a, b), `a ^ b` and `a ** b` POWER(a, b), and the bitwise ones. */
const CALL_OPERATORS: Readonly<Record<string, string>> = {
  '//': 'divide', '^': 'power', '**': 'power', '^@': 'starts_with', '->>': 'json_extract_string', '&': 'bitwise_and', '|': 'bitwise_or', '<<': 'shift_left', '>>': 'shift_right',
};
const SUFFIX_PRECEDENCE = 4;
const PREFIX_SIGN_PRECEDENCE = 8;
/** `~` takes what + and * make of the rest, and is taken by |, & and comparisons, as in DuckDB: ~5 * 2 is ~(10), ~5 | 1 is (~5) | 1. */
const PREFIX_TILDE_PRECEDENCE = 5.5;

/** An operand on the climbing stack: its AST, or the terms of an AND/OR chain still growing. */
interface Item {
  expr?: Expr;
  chain?: { readonly op: 'AND' | 'OR'; readonly terms: Item[] };
  readonly start: number;
  readonly end: number;
}

type Pending = { readonly kind: 'binary'; readonly token: IToken; readonly prec: number } | { readonly kind: 'prefix'; readonly token: IToken; readonly prec: number };

/**
 * Applies precedence to the flat `operand (op operand | suffix)*` sequence of an `expression`
 * or `arithmetic` node (operator-precedence parsing, iterative). Operators of one level group
 * to the left; AND/OR chains become balanced trees, so a chain of n terms is log2(n) deep.
 */
function climb(n: CstNode, cx: AstContext): Expr {
  type Part = { readonly at: number; readonly operand?: CstNode; readonly op?: IToken; readonly suffix?: CstNode };
  const parts: Part[] = [
    ...nodes(n, 'operands').map((o) => ({ at: startOf(o), operand: o })),
    ...nodes(n, 'ops').map((o) => ({ at: startOf(o), op: operatorToken(o, cx) })),
    ...nodes(n, 'suffixes').map((o) => ({ at: startOf(o), suffix: o })),
  ].sort((a, b) => a.at - b.at);
  const out: Item[] = [];
  const pending: Pending[] = [];
  const reduceWhile = (prec: number): void => {
    while (pending.length && pending[pending.length - 1]!.prec >= prec) reduce(pending.pop()!, out, cx);
  };
  for (const p of parts) {
    if (p.operand) {
      for (const t of tokens(p.operand, 'prefix')) {
        const not = t.image.toUpperCase() === 'NOT';
        pending.push({ kind: 'prefix', token: t, prec: not ? PRECEDENCE['NOT']! : t.image === '~' ? PREFIX_TILDE_PRECEDENCE : PREFIX_SIGN_PRECEDENCE });
      }
      const primary = node(p.operand, 'primary');
      out.push({ expr: toPostfix(p.operand, primary, cx), start: startOf(primary), end: endOf(p.operand) });
    } else if (p.op) {
      const prec = PRECEDENCE[p.op.image.toUpperCase()]!;
      reduceWhile(prec);
      pending.push({ kind: 'binary', token: p.op, prec });
    } else if (p.suffix) {
      reduceWhile(SUFFIX_PRECEDENCE);
      const x = out.pop()!;
      const expr = byOperator(toSuffix(materialize(x, cx), p.suffix, cx.src.span(x.start, endOf(p.suffix)), cx), SUFFIX_PRECEDENCE);
      out.push({ expr, start: x.start, end: endOf(p.suffix) });
    }
  }
  reduceWhile(0);
  return materialize(out[0]!, cx);
}

/** The operator token of a `binaryOperator` or `arithmeticOperator` node (`<<` and `>>` as one token). */
function operatorToken(n: CstNode, cx: AstContext): IToken {
  const t = optToken(n, 'op');
  if (t) return t;
  const shift = tokens(n, 'shift');
  if (shift.length === 2) {
    const [a, b] = shift as [IToken, IToken];
    if (b.startOffset !== a.endOffset! + 1) throw astError(`unexpected '${b.image}'`, cx.src.tokenSpan(b), `write ${a.image}${b.image} without a space for a shift, or one ${a.image} for a comparison`);
    return { ...a, image: a.image + b.image, endOffset: b.endOffset };
  }
  return operatorToken(node(n, 'arith'), cx);
}

function reduce(p: Pending, out: Item[], cx: AstContext): void {
  if (p.kind === 'prefix') {
    const x = out.pop()!;
    const start = p.token.startOffset;
    const op = p.token.image.toUpperCase();
    if (op === '+') {
      out.push({ ...x, start });
      return;
    }
    if (op === '~') {
      const span = cx.src.span(start, x.end);
      out.push({ expr: { kind: 'Call', name: { name: 'bit_not', span: cx.src.tokenSpan(p.token) }, args: [materialize(x, cx)], distinct: false, star: false, span }, start, end: x.end });
      return;
    }
    const expr: Expr = { kind: 'Unary', op: op === 'NOT' ? 'NOT' : '-', operand: materialize(x, cx), span: cx.src.span(start, x.end) };
    out.push({ expr, start, end: x.end });
    return;
  }
  const right = out.pop()!;
  const left = out.pop()!;
  const image = p.token.image.toUpperCase();
  if (image === 'AND' || image === 'OR') {
    const terms = left.chain?.op === image ? left.chain.terms : [left];
    terms.push(right);
    out.push({ chain: { op: image, terms }, start: left.start, end: right.end });
    return;
  }
  const span = cx.src.span(left.start, right.end);
  if (image === '->') {
    out.push({ expr: arrow(materialize(left, cx), materialize(right, cx), cx), start: left.start, end: right.end });
    return;
  }
  const fn = CALL_OPERATORS[image];
  if (fn) {
    const name = { name: fn, span: cx.src.tokenSpan(p.token) };
    out.push({ expr: byOperator({ kind: 'Call', name, args: [materialize(left, cx), materialize(right, cx)], distinct: false, star: false, span }, p.prec), start: left.start, end: right.end });
    return;
  }
  const op = image === '!=' ? '<>' : (image as BinaryOp);
  const quantifiedTest = quantifiedComparison(op, materialize(left, cx), materialize(right, cx), span);
  if (quantifiedTest) {
    out.push({ expr: quantifiedTest, start: left.start, end: right.end });
    return;
  }
  const row = rowComparison(op, materialize(left, cx), materialize(right, cx), span);
  if (row) {
    out.push({ expr: row, start: left.start, end: right.end });
    return;
  }
  const expr: Expr = byOperator({ kind: 'Binary', op, left: materialize(left, cx), right: materialize(right, cx), span: cx.src.span(left.start, right.end) }, p.prec);
  out.push({ expr, start: left.start, end: right.end });
}

/**
 * The precedence of the operator that made an expression (a binary operator, a suffix such as
 * IS NULL, an AND/OR), for `arrow`: what `->` took as its right side while it bound loosest.
 */
const MADE_BY = new WeakMap<Expr, number>();

function byOperator<E extends Expr>(e: E, prec: number): E {
  MADE_BY.set(e, prec);
  return e;
}

/** The precedence a JSON path made by `->` is recorded with: that of `->>`. */
const JSON_ARROW_PRECEDENCE = PRECEDENCE['->>']!;

/**
 * `left -> right`: a lambda when `left` names its parameters, else a JSON path. `->` binds
 * loosest, so that a lambda's body is everything after it (`x -> x > 1 AND x < 5`), and so does
 * a path, as in DuckDB (`j -> 'a' || 'b'` is `j -> 'ab'`), but JSON operators after it read
 * left to right, as in DuckDB: `j -> 'a' ->> 'b'` is `(j -> 'a') ->> 'b'`, so the right side is
 * taken back apart where `->>` or `->` made it (no lambda body is such a path).
 */
function arrow(left: Expr, right: Expr, cx: AstContext): Expr {
  const prec = MADE_BY.get(right);
  const jsonChain = right.kind === 'Call' && (right.name.name === 'json_extract_string' || right.name.name === 'json_extract');
  if (prec !== undefined && jsonChain) {
    const first = leftmost(right);
    if (first) {
      const inner = arrow(left, first, cx);
      return byOperator(withLeftmost(right, inner, spanOf(left.span, right.span)), prec);
    }
  }
  const span = spanOf(left.span, right.span);
  const made = lambdaOf(left, right, span);
  return made.kind === 'Call' ? byOperator(made, JSON_ARROW_PRECEDENCE) : made;
}

/** The left operand of an operator's expression, or undefined. */
function leftmost(e: Expr): Expr | undefined {
  switch (e.kind) {
    case 'Binary':
      return e.left;
    case 'Call':
      return e.args[0];
    case 'IsNull':
    case 'Like':
    case 'Between':
    case 'In':
    case 'InSubquery':
      return e.operand;
    default:
      return undefined;
  }
}

/** `e` with its left operand `x` and span `span`. */
function withLeftmost(e: Expr, x: Expr, span: Span): Expr {
  switch (e.kind) {
    case 'Binary':
      return { ...e, left: x, span };
    case 'Call':
      return { ...e, args: [x, ...e.args.slice(1)], span };
    case 'IsNull':
    case 'Like':
    case 'Between':
    case 'In':
    case 'InSubquery':
      return { ...e, operand: x, span };
    default:
      return e;
  }
}

/** The AST of an item; an AND/OR chain becomes a balanced tree (both are associative). */
function materialize(x: Item, cx: AstContext): Expr {
  if (x.expr) return x.expr;
  const { op, terms } = x.chain!;
  const exprs = terms.map((t) => materialize(t, cx));
  const build = (from: number, to: number): Expr => {
    if (to - from === 1) return exprs[from]!;
    const mid = from + Math.ceil((to - from) / 2);
    return byOperator({ kind: 'Binary', op, left: build(from, mid), right: build(mid, to), span: cx.src.span(terms[from]!.start, terms[to - 1]!.end) }, PRECEDENCE[op]!);
  };
  x.expr = build(0, terms.length);
  return x.expr;
}

function toSuffix(operand: Expr, s: CstNode, span: Span, cx: AstContext): Expr {
  const match = optToken(s, 'match');
  if (match) {
    const op = match.image;
    const pattern = toExpr(node(s, 'pattern'), cx);
    const not = op.startsWith('!');
    const tested: Expr = op.includes('~~')
      ? { kind: 'Like', operand, pattern, caseInsensitive: op.endsWith('*'), negated: not, span }
      : { kind: 'Call', name: { name: 'regexp_full_match', span }, args: [operand, pattern], distinct: false, star: false, span };
    return not && tested.kind === 'Call' ? { kind: 'Unary', op: 'NOT', operand: tested, span } : tested;
  }
  const negated = optToken(s, 'not') !== undefined;
  if (optToken(s, 'is')) {
    const truth = optToken(s, 'truth');
    if (truth) {
      // x IS [NOT] UNKNOWN is x IS [NOT] NULL; x IS TRUE is x IS NOT DISTINCT FROM TRUE (never NULL).
      const word = truth.image.toUpperCase();
      if (word === 'UNKNOWN') return { kind: 'IsNull', operand, negated, span };
      const right: Expr = { kind: 'Literal', literal: 'boolean', value: word === 'TRUE', span: cx.src.tokenSpan(truth) };
      return { kind: 'Binary', op: negated ? 'IS DISTINCT FROM' : 'IS NOT DISTINCT FROM', left: operand, right, span };
    }
    return optToken(s, 'distinct')
      ? { kind: 'Binary', op: negated ? 'IS NOT DISTINCT FROM' : 'IS DISTINCT FROM', left: operand, right: toExpr(node(s, 'right'), cx), span }
      : { kind: 'IsNull', operand, negated, span };
  }
  if (optToken(s, 'in')) {
    const sub = optNode(s, 'subquery');
    if (sub) {
      const query = subquery(sub, cx);
      return rowInSubquery(operand, query, negated, span) ?? { kind: 'InSubquery', operand, query, negated, span };
    }
    const list = nodes(s, 'list').map((e) => toExpr(e, cx));
    return rowInList(operand, list, negated, span) ?? { kind: 'In', operand, list, negated, span };
  }
  if (optToken(s, 'between')) {
    const [low, high] = [toExpr(node(s, 'low'), cx), toExpr(node(s, 'high'), cx)];
    if (!optToken(s, 'symmetric')) return { kind: 'Between', operand, low, high, negated, span };
    // x BETWEEN SYMMETRIC a AND b is (x BETWEEN a AND b) OR (x BETWEEN b AND a), as the standard defines it.
    const either: Expr = { kind: 'Binary', op: 'OR', left: { kind: 'Between', operand, low, high, negated: false, span }, right: { kind: 'Between', operand, low: high, high: low, negated: false, span }, span };
    return negated ? { kind: 'Unary', op: 'NOT', operand: either, span } : either;
  }
  if (optToken(s, 'similar') || optToken(s, 'glob')) {
    const fn = optToken(s, 'glob') ? 'glob' : 'regexp_full_match';
    const match: Expr = { kind: 'Call', name: { name: fn, span }, args: [operand, toExpr(node(s, 'pattern'), cx)], distinct: false, star: false, span };
    return negated ? { kind: 'Unary', op: 'NOT', operand: match, span } : match;
  }
  const escape = optNode(s, 'escape');
  const caseInsensitive = optToken(s, 'like')!.image.toUpperCase() === 'ILIKE';
  return { kind: 'Like', operand, pattern: toExpr(node(s, 'pattern'), cx), ...(escape ? { escape: toExpr(escape, cx) } : {}), caseInsensitive, negated, span };
}

/** The primary of an operand with its field accesses and indexes (prefix operators aside). */
function toPostfix(operandNode: CstNode, primaryNode: CstNode, cx: AstContext): Expr {
  let expr = toPrimary(primaryNode, cx);
  // `t.a` is a qualified column; only a bare name (not parenthesised, not a call) can be a qualifier.
  let canQualify = expr.kind === 'ColumnRef' && !optToken(primaryNode, 'paren') && onlyChild(primaryNode).name === 'nameOrCall';
  const start = startOf(primaryNode);
  for (const op of nodes(operandNode, 'ops')) {
    const span = cx.src.span(start, endOf(op));
    const fieldTok = optToken(op, 'field');
    if (optToken(op, 'cast')) {
      expr = castTo(expr, node(op, 'dataType'), false, span, cx);
    } else if (optToken(op, 'collate')) {
      // COLLATE(x, 'nocase.noaccent'): the binder applies it where strings compare or sort.
      const parts = tokens(op, 'collation');
      const name = parts.length === 1 && parts[0]!.tokenType.name === 'StringLiteral' ? stringValue(parts[0]!) : parts.map((t) => identName(t)).join('.');
      const last = parts[parts.length - 1]!;
      const nameSpan = cx.src.span(parts[0]!.startOffset, last.startOffset + last.image.length);
      expr = { kind: 'Call', name: { name: COLLATE_CALL, span }, args: [expr, { kind: 'Literal', literal: 'string', value: name, span: nameSpan }], distinct: false, star: false, span };
    } else if (fieldTok && optToken(op, 'method')) {
      // x.f(a, b) is f(x, a, b), as DuckDB chains calls: s.upper(), l.list_sum().
      expr = { kind: 'Call', name: identFromToken(fieldTok, cx), args: [expr, ...nodes(op, 'methodArgs').map((a) => toExpr(a, cx))], distinct: false, star: false, span };
    } else if (fieldTok) {
      const field = identFromToken(fieldTok, cx);
      expr = canQualify && expr.kind === 'ColumnRef'
        ? { kind: 'ColumnRef', qualifier: expr.column, column: field, span }
        : { kind: 'FieldAccess', operand: expr, field, span };
    } else if (optToken(op, 'slice')) {
      // x[a:b] is ARRAY_SLICE(x, a, b), both ends in; a left-out bound is the first or last element.
      const bound = (label: string, absent: number): Expr => {
        const b = optNode(op, label);
        return b ? toExpr(b, cx) : { kind: 'Literal', literal: 'integer', value: absent, span };
      };
      expr = { kind: 'Call', name: { name: 'array_slice', span }, args: [expr, bound('index', 1), bound('upper', -1)], distinct: false, star: false, span };
    } else {
      const index = optNode(op, 'index');
      if (!index) throw astError('an index is needed between [ and ]', span, 'e.g. list[1] for the first element, or list[2:3] for a slice');
      expr = { kind: 'Index', operand: expr, index: toExpr(index, cx), span };
    }
    canQualify = false;
  }
  return expr;
}

function toPrimary(n: CstNode, cx: AstContext): Expr {
  if (optToken(n, 'paren')) {
    const first = toExpr(node(n, 'expression'), cx);
    const more = nodes(n, 'rowItems');
    return more.length ? rowValue([first, ...more.map((x) => toExpr(x, cx))], cx.src.nodeSpan(n)) : first;
  }
  if (optToken(n, 'exists')) return { kind: 'Exists', query: subquery(node(n, 'subquery'), cx), span: cx.src.nodeSpan(n) };
  if (optToken(n, 'scalar')) return { kind: 'ScalarSubquery', query: subquery(node(n, 'subquery'), cx), span: cx.src.nodeSpan(n) };
  const c = onlyChild(n);
  switch (c.name) {
    case 'literal':
      return toLiteral(c, cx);
    case 'intervalLiteral': {
      // INTERVAL (expr) MINUTE is TO_MINUTES(expr) (and so on for each unit), as DuckDB reads it.
      const amount = optNode(c, 'amount');
      if (!amount) return toIntervalLiteral(c, cx);
      const unitTok = token(c, 'unit');
      const unit = unitTok.tokenType.name.replace(/S$/, '') as IntervalUnit;
      const value = toExpr(amount, cx);
      const span = cx.src.nodeSpan(c);
      // A constant number of calendar months (INTERVAL (2) MONTH) is the literal INTERVAL '2' MONTH.
      const perMonth = UNIT_MONTHS[unit];
      if (perMonth !== undefined && value.kind === 'Literal' && typeof value.value === 'number' && Number.isInteger(value.value)) {
        return { kind: 'Interval', text: String(value.value), unit, millis: 0, months: value.value * perMonth, span };
      }
      return { kind: 'Call', name: { name: `to_${unit.toLowerCase()}s`, span: cx.src.tokenSpan(unitTok) }, args: [value], distinct: false, star: false, span };
    }
    case 'timestampLiteral':
      return toTimestampLiteral(c, cx);
    case 'caseExpr':
      return toCase(c, cx);
    case 'castExpr':
      return castTo(toExpr(node(c, 'expression'), cx), node(c, 'dataType'), optToken(c, 'try') !== undefined, cx.src.nodeSpan(c), cx);
    case 'structExpr': {
      // {'a': 1, 'b': x} is STRUCT_PACK('a', 1, 'b', x): the planner makes it a STRUCT of those fields.
      const span = cx.src.nodeSpan(c);
      const keys = (c.children['keys'] ?? []).map((k): Expr => {
        const name = 'image' in k ? stringValue(k) : toIdent(k, cx).name;
        return { kind: 'Literal', literal: 'string', value: name, span: 'image' in k ? cx.src.tokenSpan(k) : cx.src.nodeSpan(k) };
      });
      const values = nodes(c, 'values').map((v) => toExpr(v, cx));
      return { kind: 'Call', name: { name: 'struct_pack', span }, args: keys.flatMap((k, i) => [k, values[i]!]), distinct: false, star: false, span };
    }
    case 'mapExpr': {
      // MAP {k1: v1, k2: v2} is MAP([k1, k2], [v1, v2]).
      const span = cx.src.nodeSpan(c);
      const list = (label: string): Expr => ({ kind: 'Array', elements: nodes(c, label).map((x) => toExpr(x, cx)), span });
      return { kind: 'Call', name: { name: 'map', span }, args: [list('keys'), list('values')], distinct: false, star: false, span };
    }
    case 'arrayExpr': {
      const query = optNode(c, 'subquery');
      if (query) return arrayOfQuery(subquery(query, cx), cx.src.nodeSpan(c));
      const elements = nodes(c, 'elements').map((e) => toExpr(e, cx));
      const span = cx.src.nodeSpan(c);
      const forWord = optToken(c, 'for');
      if (forWord) return comprehension(elements, c, forWord, span, cx);
      return { kind: 'Array', elements, span };
    }
    case 'leftCall': {
      const word = token(c, 'name');
      const args = nodes(c, 'args').map((a) => toExpr(a, cx));
      const span = cx.src.nodeSpan(c);
      if (word.image.toUpperCase() === 'IF') {
        // IF(cond, a, b) (as DuckDB) is CASE WHEN cond THEN a ELSE b END.
        if (args.length !== 3) throw new SluiceError('TYPE_MISMATCH', `IF takes (condition, value if TRUE, value otherwise), got ${args.length} argument${args.length === 1 ? '' : 's'}`, { span, hint: "e.g. IF(amount > 100, 'big', 'small')" });
        return { kind: 'Case', whens: [{ when: args[0]!, then: args[1]! }], else: args[2]!, written: 'IF', span };
      }
      return { kind: 'Call', name: { ...identFromToken(word, cx), name: 'left' }, args, distinct: false, star: false, span };
    }
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
  if (i) return { kind: 'Literal', literal: 'integer', value: integerValue(numberText(i)), span };
  const d = optToken(n, 'decimal');
  if (d) return { kind: 'Literal', literal: 'decimal', value: Number(numberText(d)), digits: numberText(d), span };
  const b = optToken(n, 'boolean');
  if (b) return { kind: 'Literal', literal: 'boolean', value: b.image.toUpperCase() === 'TRUE', span };
  return { kind: 'Literal', literal: 'null', value: null, span };
}

/** An integer literal's exact value: a number while that is exact, a bigint beyond 2^53. */
function integerValue(image: string): number | bigint {
  const n = Number(image);
  return Number.isSafeInteger(n) ? n : BigInt(image);
}

/** `COLUMNS(* EXCLUDE (a, b))`: the names the star leaves out. */
function starExcluded(star: CstNode | undefined, name: Ident, cx: AstContext): { starExclude?: Ident[] } {
  const exclude = star && optNode(star, 'exclude');
  if (!exclude) return {};
  if (normalizeName(name.name) !== 'columns') throw astError(`EXCLUDE is not supported in ${name.name}(*): only COLUMNS(* EXCLUDE ...) leaves columns out`, cx.src.nodeSpan(exclude), `write ${name.name}(*), or COLUMNS(* EXCLUDE (...)) inside it`);
  return { starExclude: nodes(exclude, 'columns').map((c) => toIdent(c, cx)) };
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

/**
 * STRUCT_PACK(a := 1, b := 'x') and STRUCT_INSERT(s, c := 3), as DuckDB names a struct's fields:
 * the call `{'a': 1, 'b': 'x'}` is (STRUCT_PACK of names and values), and STRUCT_INSERT's is
 * (the struct, then names and values). Undefined for a call without `name :=`; other functions
 * take no names.
 */
function namedArguments(n: CstNode, name: Ident, cx: AstContext): CallExpr | undefined {
  const names = nodes(n, 'argNames');
  if (names.length === 0) return undefined;
  const span = cx.src.nodeSpan(n);
  const fn = normalizeName(name.name);
  if (fn !== 'struct_pack' && fn !== 'struct_insert') {
    throw new SluiceError('SYNTAX_ERROR', `${name.name.toUpperCase()} takes no named arguments (name := value)`, { span: cx.src.nodeSpan(names[0]!), hint: "only STRUCT_PACK and STRUCT_INSERT name their arguments: STRUCT_PACK(a := 1, b := 'x'); pass the others by position" });
  }
  const args = nodes(n, 'args');
  const positional = fn === 'struct_insert' ? 1 : 0;
  const first = names[0]!.location!.startOffset;
  if (names.length !== args.length - positional || args.slice(0, positional).some((a) => a.location!.startOffset > first)) {
    throw new SluiceError(
      'SYNTAX_ERROR',
      fn === 'struct_pack' ? 'STRUCT_PACK takes every argument by name (name := value)' : 'STRUCT_INSERT takes the struct, then every field to add by name (name := value)',
      { span, hint: fn === 'struct_pack' ? "e.g. STRUCT_PACK(a := 1, b := 'x')" : 'e.g. STRUCT_INSERT(s, c := 3)' },
    );
  }
  const pairs = args.slice(positional).flatMap((a, i): Expr[] => {
    const nameTok = token(names[i]!, 'name');
    return [{ kind: 'Literal', literal: 'string', value: identFromToken(nameTok, cx).name, span: cx.src.tokenSpan(nameTok) }, toExpr(a, cx)];
  });
  return { kind: 'Call', name, args: [...args.slice(0, positional).map((a) => toExpr(a, cx)), ...pairs], distinct: false, star: false, span };
}

function toNameOrCall(n: CstNode, cx: AstContext): ColumnRefExpr | CallExpr | IndexExpr | ArrayExpr {
  const name = toIdent(node(n, 'name'), cx);
  const span = cx.src.nodeSpan(n);
  if (!optToken(n, 'call')) return { kind: 'ColumnRef', column: name, span };
  const quantifiedQuery = optNode(n, 'quantified');
  if (quantifiedQuery) return quantified(name, subquery(quantifiedQuery, cx), span) as CallExpr;
  // x = ANY ([1, 2]): a quantified comparison over a list's elements (to-ast-quantified.ts).
  if (isQuantifier(name) && isPlainCall(n) && nodes(n, 'args').length === 1) return quantified(name, toExpr(node(n, 'args'), cx), span) as CallExpr;
  const named = namedArguments(n, name, cx);
  if (named) return named;
  const from = optToken(n, 'from');
  if (from) return toTrimFrom(n, name, from, span, cx);
  const inToken = optToken(n, 'in');
  if (inToken) {
    if (normalizeName(name.name) !== 'position' || optToken(n, 'distinct')) {
      throw new SluiceError('SYNTAX_ERROR', `unexpected IN in a call to ${name.name}`, {
        span: cx.src.span(inToken.startOffset, endOf(inToken)),
        hint: "only POSITION takes IN: POSITION(substring IN string); separate arguments with ','",
      });
    }
    // POSITION(a IN b) is STRPOS(b, a).
    return { kind: 'Call', name: { name: 'strpos', span: name.span }, args: [toExpr(node(n, 'inArg'), cx), toExpr(nodes(n, 'args')[0]!, cx)], distinct: false, star: false, span };
  }
  const filter = optNode(n, 'filter');
  const over = optNode(n, 'over');
  const nulls = nodes(n, 'nulls')[0];
  if (nulls && !over) throw astError('IGNORE NULLS and RESPECT NULLS go with a window function (OVER)', cx.src.nodeSpan(nulls), 'e.g. LAST_VALUE(v IGNORE NULLS) OVER (ORDER BY ts)');
  const withinNode = optNode(n, 'withinOrder');
  // LISTAGG(x, sep) WITHIN GROUP (ORDER BY y) (the standard's, Oracle's) is STRING_AGG(x, sep ORDER BY y).
  const collects = withinNode && !optNode(n, 'argOrder') && ['listagg', 'string_agg', 'group_concat', 'array_agg', 'list'].includes(normalizeName(name.name));
  const argOrder = collects ? [withinNode] : nodes(n, 'argOrder');
  const within = collects ? undefined : withinNode;
  const args0 = nodes(n, 'args');
  // LIST_EXTRACT(list, i) (ARRAY_EXTRACT, LIST_ELEMENT) is list[i].
  if (!over && !within && !filter && args0.length === 2 && ['list_extract', 'array_extract', 'list_element'].includes(normalizeName(name.name))) {
    return { kind: 'Index', operand: toExpr(args0[0]!, cx), index: toExpr(args0[1]!, cx), span };
  }
  const ordered = within ? orderedSetCall(name, nodes(n, 'args').map((a) => toExpr(a, cx)), toOrderItem(within, cx), cx.src.tokenSpan(token(n, 'within'))) : undefined;
  // LIST_VALUE(a, b) (DuckDB) is the list [a, b].
  if (!over && !within && !filter && ['list_value', 'list_pack'].includes(normalizeName(name.name))) return { kind: 'Array', elements: nodes(n, 'args').map((a) => toExpr(a, cx)), span };
  // FIRST(x) and LAST(x) (DuckDB's aggregates, NULLs included): the first and last element of
  // ARRAY_AGG(x), in the order rows come or the ORDER BY inside the call gives. ANY_VALUE(x
  // ORDER BY y) is the first value that is not NULL in that order, as DuckDB.
  const anyOrdered = !over && !within && argOrder.length > 0 && normalizeName(name.name) === 'any_value';
  const end = !over && !within ? (anyOrdered ? 1 : ({ first: 1, last: -1 } as Record<string, number>)[normalizeName(name.name)]) : undefined;
  if (end !== undefined) {
    const args = nodes(n, 'args').map((a) => toExpr(a, cx));
    const notNull: Expr | undefined = anyOrdered && args.length === 1 ? { kind: 'IsNull', operand: args[0]!, negated: true, span } : undefined;
    const given = filter ? toExpr(filter, cx) : undefined;
    const where = notNull && given ? ({ kind: 'Binary', op: 'AND', left: given, right: notNull, span } as Expr) : (notNull ?? given);
    const agg: Expr = {
      kind: 'Call',
      name: { name: 'array_agg', span: name.span },
      args,
      distinct: false,
      star: false,
      ...(where ? { filter: where } : {}),
      ...(argOrder.length ? { orderBy: argOrder.map((o) => toOrderItem(o, cx)) } : {}),
      span,
    };
    return { kind: 'Index', operand: agg, index: { kind: 'Literal', literal: 'integer', value: end, span }, span };
  }
  // JSON_GROUP_ARRAY(x) is TO_JSON(LIST(x)), JSON_GROUP_OBJECT(k, v) an object of LIST(k) and
  // LIST(v) (both keep NULLs, so their elements pair up), as DuckDB's JSON aggregates (NULL over
  // no rows; ORDER BY, FILTER and OVER as LIST takes them).
  const jsonGroup = !within ? ({ json_group_array: 1, json_group_object: 2 } as Record<string, number>)[normalizeName(name.name)] : undefined;
  if (jsonGroup !== undefined) {
    const args = nodes(n, 'args').map((a) => toExpr(a, cx));
    if (args.length !== jsonGroup || optNode(n, 'starArgument')) throw astError(`${name.name.toUpperCase()} takes ${jsonGroup === 1 ? 'one value' : 'a key and a value'}`, span, jsonGroup === 1 ? 'e.g. JSON_GROUP_ARRAY(x)' : 'e.g. JSON_GROUP_OBJECT(k, v)');
    if (jsonGroup === 2 && optToken(n, 'distinct')) throw astError('JSON_GROUP_OBJECT takes no DISTINCT', span, 'pick the distinct pairs in a subquery first');
    const call = (fn: string, xs: Expr[]): CallExpr => ({ kind: 'Call', name: { name: fn, span: name.span }, args: xs, distinct: false, star: false, span });
    const listOf = (x: Expr): Expr => ({
      ...call('list', [x]),
      distinct: optToken(n, 'distinct') !== undefined,
      ...(filter ? { filter: toExpr(filter, cx) } : {}),
      ...(argOrder.length ? { orderBy: argOrder.map((o) => toOrderItem(o, cx)) } : {}),
      ...(over ? { over: toOver(over, cx) } : {}),
    });
    return jsonGroup === 1 ? call('to_json', [listOf(args[0]!)]) : call('json_object_lists', [listOf(args[0]!), listOf(args[1]!)]);
  }
  // ROW(a, b): the row value (a, b), as the SQL standard and DuckDB write it.
  if (normalizeName(name.name) === 'row' && isPlainCall(n) && nodes(n, 'args').length > 0) return rowValue(nodes(n, 'args').map((a) => toExpr(a, cx)), span);
  return {
    kind: 'Call',
    name: ordered?.name ?? name,
    args: ordered?.args ?? countedRows(name, nodes(n, 'args').map((a) => toExpr(a, cx))),
    distinct: optToken(n, 'distinct') !== undefined,
    star: optNode(n, 'starArgument') !== undefined,
    ...starExcluded(optNode(n, 'starArgument'), name, cx),
    ...(filter ? { filter: toExpr(filter, cx) } : {}),
    ...(argOrder.length ? { orderBy: argOrder.map((o) => toOrderItem(o, cx)) } : {}),
    ...(over ? { over: toOver(over, cx) } : {}),
    ...(nodes(n, 'nulls').some((x) => optToken(x, 'ignore')) ? { ignoreNulls: true } : {}),
    span,
  };
}

/** A call with nothing but its arguments: no DISTINCT, *, FILTER, ORDER BY, WITHIN GROUP, NULLS or OVER. */
function isPlainCall(n: CstNode): boolean {
  return !optToken(n, 'distinct') && !optNode(n, 'starArgument') && !['filter', 'argOrder', 'withinOrder', 'nulls', 'over'].some((label) => nodes(n, label).length > 0);
}

function toOver(over: CstNode, cx: AstContext): WindowOver {
  const named = optNode(over, 'named');
  const spec = named ? namedWindow(named, cx) : node(over, 'spec');
  return { ...windowOf(spec, cx, []), span: cx.src.nodeSpan(over) };
}

/** The spec of the WINDOW clause's window `nameNode` names; an unknown name is an error. */
function namedWindow(nameNode: CstNode, cx: AstContext): CstNode {
  const name = toIdent(nameNode, cx);
  const spec = cx.windows?.get(normalizeName(name.name));
  if (spec) return spec;
  const known = [...(cx.windows?.keys() ?? [])];
  throw astError(`unknown window '${name.name}'`, name.span, known.length ? `windows of this SELECT: ${known.join(', ')}` : "define it after HAVING: WINDOW w AS (PARTITION BY ... ORDER BY ...), or write OVER (...)");
}

/**
 * A window spec's partitioning, order and frame. One that starts with a window's name,
 * `(w ORDER BY ...)`, takes w's and adds to them, as the SQL standard has it: its PARTITION BY is
 * w's (it may not have its own), its ORDER BY w's unless w has none, and its frame its own unless
 * it has none; `within` holds the windows being resolved, so that a window naming itself is an
 * error instead of a loop.
 */
function windowOf(spec: CstNode, cx: AstContext, within: readonly CstNode[]): Omit<WindowOver, 'span'> {
  const frameNode = optNode(spec, 'frame');
  const own = {
    partitionBy: nodes(spec, 'partitionBy').map((e) => toExpr(e, cx)),
    orderBy: nodes(spec, 'orderBy').map((o) => toOrderItem(o, cx)),
    ...(frameNode ? { frame: toFrame(frameNode, cx) } : {}),
  };
  const baseNode = optNode(spec, 'base');
  if (!baseNode) return own;
  const baseSpec = namedWindow(baseNode, cx);
  const span = cx.src.nodeSpan(baseNode);
  if (within.includes(baseSpec)) throw astError(`window '${toIdent(baseNode, cx).name}' is defined through itself`, span, 'define each window from windows before it');
  const base = windowOf(baseSpec, cx, [...within, spec]);
  if (own.partitionBy.length) throw astError('a window built on another takes its PARTITION BY from it', cx.src.nodeSpan(nodes(spec, 'partitionBy')[0]!), 'put the PARTITION BY in the window it names');
  if (own.orderBy.length && base.orderBy.length) throw astError('a window built on one with an ORDER BY cannot have its own', span, 'put the ORDER BY in one of the two windows');
  if (base.frame) throw astError(`window '${toIdent(baseNode, cx).name}' has a frame, so no window can be built on it`, span, 'give the frame to the window built on it instead');
  return { partitionBy: base.partitionBy, orderBy: own.orderBy.length ? own.orderBy : base.orderBy, ...(own.frame ? { frame: own.frame } : {}) };
}

function toFrame(frame: CstNode, cx: AstContext): WindowFrame {
  const unit = token(frame, 'unit').image.toLowerCase() as WindowFrame['unit'];
  const start = toFrameBound(node(frame, 'start'), cx);
  const end = optNode(frame, 'end');
  const exclude = optToken(frame, 'exclude');
  return {
    unit,
    start,
    // `ROWS n PRECEDING` is `ROWS BETWEEN n PRECEDING AND CURRENT ROW`.
    end: end ? toFrameBound(end, cx) : { kind: 'current row', span: start.span },
    ...(exclude ? { exclude: toExclusion(exclude, tokens(frame, 'excludeWords'), cx) } : {}),
    span: cx.src.nodeSpan(frame),
  };
}

const EXCLUSIONS: readonly FrameExclusion[] = ['current row', 'group', 'ties', 'no others'];

function toExclusion(exclude: IToken, words: readonly IToken[], cx: AstContext): { mode: FrameExclusion; span: Span } {
  const span = cx.src.span(exclude.startOffset, endOf(words[words.length - 1] ?? exclude));
  const mode = words.map((w) => w.image.toLowerCase()).join(' ') as FrameExclusion;
  if (!EXCLUSIONS.includes(mode)) {
    throw new SluiceError('SYNTAX_ERROR', `EXCLUDE ${words.map((w) => w.image).join(' ')} is not a frame exclusion`, { span, hint: 'write EXCLUDE CURRENT ROW, EXCLUDE GROUP, EXCLUDE TIES or EXCLUDE NO OTHERS' });
  }
  return { mode, span };
}

function toFrameBound(b: CstNode, cx: AstContext): FrameBound {
  const span = cx.src.nodeSpan(b);
  if (optToken(b, 'current')) return { kind: 'current row', span };
  const following = token(node(b, 'side'), 'side').image.toUpperCase() === 'FOLLOWING';
  if (optToken(b, 'unbounded')) return { kind: following ? 'unbounded following' : 'unbounded preceding', span };
  return { kind: following ? 'following' : 'preceding', offset: toExpr(node(b, 'offset'), cx), span };
}

/** `expr [ASC | DESC] [NULLS FIRST | NULLS LAST]` of ORDER BY. */
export function toOrderItem(o: CstNode, cx: AstContext): OrderItem {
  return {
    expr: toExpr(node(o, 'expression'), cx),
    desc: optToken(o, 'direction')?.image.toUpperCase() === 'DESC',
    nullsFirst: optToken(o, 'nulls')?.image.toUpperCase() === 'FIRST',
  };
}

const TRIM_FUNCTION: Readonly<Record<string, string>> = { BOTH: 'trim', LEADING: 'ltrim', TRAILING: 'rtrim' };

/**
 * `TRIM([BOTH|LEADING|TRAILING] [chars] FROM s)` as the call `trim|ltrim|rtrim(s[, chars])`;
 * the `FROM` form belongs to TRIM alone.
 */
function toTrimFrom(n: CstNode, name: Ident, from: IToken, span: Span, cx: AstContext): CallExpr {
  // SUBSTRING(s FROM start [FOR length]), the standard's form of SUBSTRING(s, start[, length]).
  if (['substring', 'substr'].includes(normalizeName(name.name)) && !optToken(n, 'distinct') && !optToken(n, 'side') && nodes(n, 'args').length === 1) {
    const length = optNode(n, 'forArg');
    const args = [toExpr(nodes(n, 'args')[0]!, cx), toExpr(node(n, 'fromArg'), cx), ...(length ? [toExpr(length, cx)] : [])];
    return { kind: 'Call', name: { name: 'substring', span: name.span }, args, distinct: false, star: false, span };
  }
  if (optToken(n, 'for')) throw new SluiceError('SYNTAX_ERROR', `unexpected FOR in a call to ${name.name}`, { span: cx.src.tokenSpan(optToken(n, 'for')!), hint: 'only SUBSTRING takes FOR: SUBSTRING(string FROM start FOR length)' });
  if (normalizeName(name.name) === 'extract' && !optToken(n, 'distinct') && !optToken(n, 'side') && nodes(n, 'args').length === 1) return toExtract(n, name, span, cx);
  if (normalizeName(name.name) !== 'trim' || optToken(n, 'distinct') || nodes(n, 'args').length > 1) {
    throw new SluiceError('SYNTAX_ERROR', `unexpected FROM in a call to ${name.name}`, {
      span: cx.src.span(from.startOffset, endOf(from)),
      hint: "only TRIM, EXTRACT and SUBSTRING take FROM: TRIM([BOTH | LEADING | TRAILING] [characters] FROM string), EXTRACT(part FROM timestamp), SUBSTRING(string FROM start FOR length); separate arguments with ','",
    });
  }
  const side = optToken(n, 'side')?.image.toUpperCase() ?? 'BOTH';
  const chars = nodes(n, 'args').map((a) => toExpr(a, cx));
  const fn = TRIM_FUNCTION[side]!;
  return { kind: 'Call', name: { name: fn, span: name.span }, args: [toExpr(node(n, 'fromArg'), cx), ...chars], distinct: false, star: false, span };
}

/**
 * `EXTRACT(part FROM ts)` as the call `date_part('part', ts)`: the part is a bare word (HOUR,
 * dow, ...) or a string, one of DATE_PARTS.
 */
function toExtract(n: CstNode, name: Ident, span: Span, cx: AstContext): CallExpr {
  const part = toExpr(nodes(n, 'args')[0]!, cx);
  const text = part.kind === 'ColumnRef' && part.qualifier === undefined ? part.column.name : part.kind === 'Literal' && part.literal === 'string' ? String(part.value) : undefined;
  // EPOCH: seconds since 1970 as a fraction (DOUBLE), as DuckDB's; JULIAN the Julian day.
  const fraction = text?.toLowerCase();
  if (fraction === 'epoch' || fraction === 'julian') return { kind: 'Call', name: { name: fraction, span: name.span }, args: [toExpr(node(n, 'fromArg'), cx)], distinct: false, star: false, span };
  const known = text !== undefined && (DATE_PARTS as readonly string[]).includes(canonicalUnit(text));
  if (!known) {
    throw new SluiceError('SYNTAX_ERROR', text === undefined ? 'EXTRACT takes a part name before FROM' : `unknown EXTRACT part '${text}'`, {
      span: part.span,
      hint: `write EXTRACT(part FROM timestamp) with part one of ${DATE_PARTS.join(', ')}, epoch`,
    });
  }
  const literal: Expr = { kind: 'Literal', literal: 'string', value: canonicalUnit(text), span: part.span };
  return { kind: 'Call', name: { name: 'date_part', span: name.span }, args: [literal, toExpr(node(n, 'fromArg'), cx)], distinct: false, star: false, span };
}

/** A SELECT inside an expression, built by the query builder the context carries. */
function subquery(n: CstNode, cx: AstContext): SelectQuery {
  if (!cx.select) throw new SluiceError('INTERNAL', 'parser: no query builder for a subquery in an expression');
  return cx.select(n, cx);
}

/** CAST(x AS type). */
function castTo(operand: Expr, typeNode: CstNode, isTry: boolean, span: Span, cx: AstContext): Expr {
  return { kind: 'Cast', operand, type: toDataType(typeNode, cx), ...(isTry ? { try: true } : {}), span };
}

/**
 * The standard's ordered-set aggregates as the aggregates they are: `PERCENTILE_CONT(p) WITHIN
 * GROUP (ORDER BY x)` is QUANTILE_CONT(x, p) (DESC: 1 - p), PERCENTILE_DISC likewise
 * QUANTILE_DISC, and `MODE() WITHIN GROUP (ORDER BY x)` is MODE(x).
 */
function orderedSetCall(name: Ident, args: readonly Expr[], order: OrderItem, span: Span): { name: Ident; args: Expr[] } {
  const fn = normalizeName(name.name);
  if (fn === 'mode' && args.length === 0) return { name, args: [order.expr] };
  if ((fn === 'percentile_cont' || fn === 'percentile_disc') && args.length === 1) {
    const p = args[0]!;
    // DESC: the fraction from the other end (a constant, as QUANTILE_ takes).
    if (order.desc && !(p.kind === 'Literal' && typeof p.value === 'number')) {
      throw new SluiceError('UNSUPPORTED', `${name.name}(...) WITHIN GROUP (ORDER BY ... DESC) takes a number literal as its fraction`, { span: p.span, hint: 'write the fraction as a number, e.g. 0.9' });
    }
    const fraction: Expr = order.desc && p.kind === 'Literal' && typeof p.value === 'number' ? { kind: 'Literal', literal: 'decimal', value: 1 - p.value, span: p.span } : p;
    return { name: { name: fn === 'percentile_cont' ? 'quantile_cont' : 'quantile_disc', span: name.span }, args: [order.expr, fraction] };
  }
  throw new SluiceError('UNSUPPORTED', `WITHIN GROUP is for PERCENTILE_CONT(fraction), PERCENTILE_DISC(fraction) and MODE(), not ${name.name}(${args.length} arguments)`, {
    span,
    hint: 'e.g. PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY amount)',
  });
}

/**
 * `[body FOR x IN list IF cond]` (DuckDB's list comprehension) is
 * `LIST_TRANSFORM(LIST_FILTER(list, x -> cond), x -> body)`.
 */
function comprehension(elements: readonly Expr[], c: CstNode, forWord: IToken, span: Span, cx: AstContext): Expr {
  if (elements.length !== 1) {
    throw new SluiceError('SYNTAX_ERROR', 'a list comprehension has one expression before FOR', { span: cx.src.tokenSpan(forWord), hint: 'e.g. [x * 2 FOR x IN l IF x > 0]' });
  }
  const variable = toIdent(node(c, 'variable'), cx);
  const param: Expr = { kind: 'ColumnRef', column: variable, span: variable.span };
  const source = toExpr(node(c, 'source'), cx);
  const cond = optNode(c, 'condition');
  const call = (name: string, args: Expr[]): Expr => ({ kind: 'Call', name: { name, span }, args, distinct: false, star: false, span });
  const filtered = cond ? call('list_filter', [source, lambdaOf(param, toExpr(cond, cx), span)]) : source;
  return call('list_transform', [filtered, lambdaOf(param, elements[0]!, span)]);
}

/**
 * `COUNT([DISTINCT] (a, b))`: the row value as a STRUCT of its values, never NULL itself (as
 * DuckDB: a row of NULLs is counted, and two such rows are one distinct value).
 */
function countedRows(name: Ident, args: Expr[]): Expr[] {
  const items = args.length === 1 && normalizeName(name.name) === 'count' ? rowItems(args[0]!) : undefined;
  if (!items) return args;
  const span = args[0]!.span;
  const fields = items.flatMap((x, k): Expr[] => [{ kind: 'Literal', literal: 'string', value: `f${k + 1}`, span: x.span }, x]);
  return [{ kind: 'Call', name: { name: 'struct_pack', span }, args: fields, distinct: false, star: false, span }];
}
