/**
 * Limits on the size and nesting of expressions, checked while parsing so that no later pass
 * (parser rules, AST visitor, binder, planner rules, code generation) can run out of stack,
 * and a statement past them fails with EXPRESSION_TOO_COMPLEX, a caret and a short message.
 *
 * Depth is checked twice: on tokens before the grammar runs (brackets, CASE ... END and runs of
 * prefix operators, which the grammar and the visitor handle by recursion), and on the AST
 * (operators whose operands are themselves operators, e.g. `a + b + ... + z`, which the grammar
 * reads in a loop but which nest in the tree). AND/OR chains are built as balanced trees, so
 * their length adds only its logarithm to the depth.
 */
import type { IToken } from 'chevrotain';
import { SluiceError } from '../common/errors.js';
import type { Span } from '../common/span.js';
import type { Expr } from './ast.js';
import type { SourceText } from './cst-access.js';
import { tokenMatcher, type TokenType } from 'chevrotain';
import {
  Ampersand,
  Caret,
  Comma,
  ComparisonOperator,
  Concat,
  DecimalLiteral,
  DoubleSlash,
  IntegerLiteral,
  K,
  LBracket,
  LParen,
  Minus,
  Percent,
  Pipe,
  PlainIdentifier,
  Plus,
  QuotedIdentifier,
  RBracket,
  RParen,
  Slash,
  Star,
  StringLiteral,
} from './lexer.js';

/**
 * Deepest nesting of an expression (and of parentheses anywhere in a statement). The parser
 * recurses through up to five grammar rules per level; 128 levels stay well inside Node's
 * default stack even before the parser is warmed up by the JIT.
 */
export const MAX_EXPRESSION_DEPTH = 128;
/**
 * Most nodes in one expression (a WHERE, a select item, one VALUES value): each is compiled on
 * its own, so an INSERT of many rows is not limited by the sum.
 */
export const MAX_EXPRESSION_NODES = 10_000;

/** The error for a statement that exhausted the stack anyway: points at its deepest nesting. */
export function stackExhausted(tokens: readonly IToken[], src: SourceText): SluiceError {
  let depth = 0;
  let deepest = 0;
  let at: IToken | undefined;
  for (const t of tokens) {
    if (t.tokenType === LParen || t.tokenType === LBracket || t.tokenType === K.CASE) depth++;
    else if (t.tokenType === RParen || t.tokenType === RBracket || t.tokenType === K.END) depth = Math.max(0, depth - 1);
    if (depth > deepest) {
      deepest = depth;
      at = t;
    }
  }
  const span = at ? src.span(at.startOffset, at.endOffset! + 1) : src.span(0, Math.min(src.text.length, 1));
  return new SluiceError('EXPRESSION_TOO_COMPLEX', 'expression too complex to parse', {
    span,
    hint: 'nest less deeply (write a flat chain such as a OR b OR c, or an IN list), or split the statement',
    sql: src.text,
  });
}

function tooDeep(span: Span, sql: string): SluiceError {
  return new SluiceError('EXPRESSION_TOO_COMPLEX', `expression nested more than ${MAX_EXPRESSION_DEPTH} levels deep`, {
    span,
    hint: 'flatten it: write a chain such as a OR b OR c, or an IN list, instead of nesting, or split the statement',
    sql,
  });
}

/** Tokens that are always a binary operator: each is an AST node with two operands. */
const BINARY: ReadonlySet<TokenType> = new Set([Star, Slash, DoubleSlash, Percent, Caret, Concat, Ampersand, Pipe, K.AND, K.OR]);
/** Keywords that may stand between the operators of one expression (`a AND NOT b IS NULL OR c`). */
const IN_EXPRESSION: ReadonlySet<TokenType> = new Set([K.AND, K.OR, K.NOT, K.IS, K.NULL, K.TRUE, K.FALSE]);
/** Tokens an operand ends with: a `+` or `-` after one is binary, else it is a sign. */
const OPERAND_END: ReadonlySet<TokenType> = new Set([PlainIdentifier, QuotedIdentifier, IntegerLiteral, DecimalLiteral, StringLiteral, RParen, RBracket, K.END, K.NULL, K.TRUE, K.FALSE]);
const KEYWORDS: ReadonlySet<TokenType> = new Set(Object.values(K));

/**
 * Binary operators one expression may have, counted on tokens: each makes a node with two
 * operands, so one more than this is past MAX_EXPRESSION_NODES, and the AST check would refuse
 * the expression anyway, after the parser spent seconds on it (a megabyte of `1 + 1 + ...`: 4 s).
 */
const MAX_BINARY_OPERATORS = Math.floor(MAX_EXPRESSION_NODES / 2);

/**
 * Nesting on tokens: ( [ CASE open a level; ) ] END close one; a run of NOT, -, + or of bracket
 * groups adds its length.
 * Also refused here, before the grammar runs: an IN list, a chain of binary operators or a CASE
 * of more parts than one expression may have (each counted between commas and clause keywords
 * at one level, so the count never exceeds the parts of one expression).
 */
export function checkTokenNesting(tokens: readonly IToken[], src: SourceText): void {
  let depth = 0;
  let run = 0;
  // The open `IN (` list, if any: its depth, where it starts and its commas so far. A list of
  // more values than an expression may have parts is refused here, before the parser spends
  // seconds building its tree (200,000 values: 4 s).
  let inList: { depth: number; start: IToken; commas: number } | undefined;
  // Per open level: binary operators since its last comma or clause keyword, where they started,
  // and (a CASE level) its WHENs.
  const operators: number[] = [0];
  const starts: (IToken | undefined)[] = [undefined];
  const opens: (IToken | undefined)[] = [undefined];
  const whens: number[] = [0];
  // Per level: the bracket groups in a row just closed there.
  const brackets: number[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const type = t.tokenType;
    if (type === LParen || type === LBracket || type === K.CASE) {
      // A run of bracket groups (`INT[][][]`, `a[1][2]`) nests as deep as it is long.
      if (type === LBracket) {
        brackets[depth] = i > 0 && tokens[i - 1]!.tokenType === RBracket ? (brackets[depth] ?? 0) + 1 : 1;
        if (depth + brackets[depth]! > MAX_EXPRESSION_DEPTH) throw tooDeep(src.span(t.startOffset, t.endOffset! + 1), src.text);
      }
      depth++;
      operators[depth] = 0;
      opens[depth] = t;
      whens[depth] = 0;
      if (type === LParen && inList === undefined && i > 0 && tokens[i - 1]!.tokenType === K.IN) inList = { depth, start: t, commas: 0 };
    } else if (type === RParen || type === RBracket || type === K.END) {
      if (inList?.depth === depth) inList = undefined;
      depth = Math.max(0, depth - 1);
    } else if (type === Comma && inList?.depth === depth && ++inList.commas >= MAX_EXPRESSION_NODES) {
      throw tooManyParts(src.span(inList.start.startOffset, t.endOffset! + 1), src.text);
    } else if (type === K.WHEN && ++whens[depth]! > MAX_BINARY_OPERATORS) {
      throw tooManyParts(src.span((opens[depth] ?? t).startOffset, t.endOffset! + 1), src.text);
    }
    const binary = BINARY.has(type) || tokenMatcher(t, ComparisonOperator) || ((type === Plus || type === Minus) && i > 0 && OPERAND_END.has(tokens[i - 1]!.tokenType));
    if (binary) {
      if (operators[depth] === 0) starts[depth] = t;
      if (++operators[depth]! > MAX_BINARY_OPERATORS) throw tooManyParts(src.span(starts[depth]!.startOffset, t.endOffset! + 1), src.text);
    } else if (type === Comma || type === K.WHEN || type === K.THEN || type === K.ELSE || (KEYWORDS.has(type) && !IN_EXPRESSION.has(type))) {
      operators[depth] = 0;
    }
    run = type === K.NOT || type === Minus || type === Plus ? run + 1 : 0;
    if (depth + run > MAX_EXPRESSION_DEPTH) throw tooDeep(src.span(t.startOffset, t.endOffset! + 1), src.text);
  }
}

function tooManyParts(span: Span, sql: string): SluiceError {
  return new SluiceError('EXPRESSION_TOO_COMPLEX', `expression has more than ${MAX_EXPRESSION_NODES} parts`, {
    span,
    hint: 'split it up, or put a long list of values into a table and join it',
    sql,
  });
}

/** Direct sub-expressions of an AST expression. */
function operands(e: Expr): readonly Expr[] {
  switch (e.kind) {
    case 'Literal':
    case 'Interval':
    case 'TimestampLiteral':
    case 'ColumnRef':
      return [];
    case 'Binary':
      return [e.left, e.right];
    case 'Unary':
    case 'IsNull':
    case 'Cast':
    case 'FieldAccess':
      return [e.operand];
    case 'In':
      return [e.operand, ...e.list];
    case 'InSubquery':
      return [e.operand];
    case 'Exists':
    case 'ScalarSubquery':
      return [];
    case 'Between':
      return [e.operand, e.low, e.high];
    case 'Like':
      return [e.operand, e.pattern, ...(e.escape ? [e.escape] : [])];
    case 'Case':
      return [...(e.operand ? [e.operand] : []), ...e.whens.flatMap((w) => [w.when, w.then]), ...(e.else ? [e.else] : [])];
    case 'Call':
      return [...e.args, ...(e.filter ? [e.filter] : []), ...(e.orderBy ?? []).map((o) => o.expr), ...(e.over ? [...e.over.partitionBy, ...e.over.orderBy.map((o) => o.expr)] : [])];
    case 'Index':
      return [e.operand, e.index];
    case 'Array':
      return e.elements;
    case 'Lambda':
      return [e.body];
    case 'LambdaRef':
      return [];
  }
}

/** Checks the depth and the number of nodes of each expression. Iterative: any tree fits. */
export function checkExpressionTrees(roots: readonly Expr[], src: SourceText): void {
  for (const root of roots) {
    let nodes = 0;
    const stack: [Expr, number][] = [[root, 1]];
    while (stack.length) {
      const [e, depth] = stack.pop()!;
      if (depth > MAX_EXPRESSION_DEPTH) throw tooDeep(e.span, src.text);
      if (++nodes > MAX_EXPRESSION_NODES) throw tooManyParts(root.span, src.text);
      for (const c of operands(e)) stack.push([c, depth + 1]);
      // A subquery's own expressions are trees of their own.
      if (e.kind === 'InSubquery' || e.kind === 'Exists' || e.kind === 'ScalarSubquery') checkExpressionTrees(expressionRoots(e.query), src);
    }
  }
}

/** Every expression held by a parsed statement, found by walking its plain-data AST. */
export function expressionRoots(node: unknown): Expr[] {
  const out: Expr[] = [];
  const stack: unknown[] = [node];
  while (stack.length) {
    const x = stack.pop();
    if (typeof x !== 'object' || x === null) continue;
    if (Array.isArray(x)) {
      for (const y of x) stack.push(y);
      continue;
    }
    if (isExpr(x)) {
      out.push(x);
      continue;
    }
    for (const [k, v] of Object.entries(x)) if (k !== 'span') stack.push(v);
  }
  return out;
}

const EXPR_KINDS: ReadonlySet<string> = new Set<Expr['kind']>([
  'Literal', 'Interval', 'TimestampLiteral', 'ColumnRef', 'Binary', 'Unary', 'IsNull', 'In', 'Between', 'Like', 'Case', 'Cast', 'Call', 'FieldAccess', 'Index', 'Array',
  'InSubquery', 'Exists', 'ScalarSubquery',
]);

function isExpr(x: object): x is Expr {
  const kind = (x as { kind?: unknown }).kind;
  return typeof kind === 'string' && EXPR_KINDS.has(kind) && 'span' in x;
}
