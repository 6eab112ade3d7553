/**
 * Typed access to chevrotain CST nodes by label, and the mapping from offsets to positions.
 * A missing child that the grammar guarantees is a bug in the parser, reported as INTERNAL.
 */
import type { CstElement, CstNode, IToken } from 'chevrotain';
import { SluiceError } from '../common/errors.js';
import type { Position, Span } from '../common/span.js';
import type { Ident, SelectQuery } from './ast.js';

function isToken(e: CstElement): e is IToken {
  return 'image' in e;
}

function children(node: CstNode, label: string): CstElement[] {
  return node.children[label] ?? [];
}

export function optToken(node: CstNode, label: string): IToken | undefined {
  const e = children(node, label)[0];
  return e !== undefined && isToken(e) ? e : undefined;
}

/** A number token's digits as JavaScript reads them: without the underscores that may group them (`1_000`). */
export function numberText(t: IToken): string {
  return t.image.replace(/_/g, '');
}

export function token(node: CstNode, label: string): IToken {
  const t = optToken(node, label);
  if (!t) throw new SluiceError('INTERNAL', `parser: no token '${label}' in ${node.name}`);
  return t;
}

export function tokens(node: CstNode, label: string): IToken[] {
  return children(node, label).filter(isToken);
}

export function optNode(node: CstNode, label: string): CstNode | undefined {
  const e = children(node, label)[0];
  return e !== undefined && !isToken(e) ? e : undefined;
}

export function node(node: CstNode, label: string): CstNode {
  const n = optNode(node, label);
  if (!n) throw new SluiceError('INTERNAL', `parser: no node '${label}' in ${node.name}`);
  return n;
}

export function nodes(parent: CstNode, label: string): CstNode[] {
  return children(parent, label).filter((e): e is CstNode => !isToken(e));
}

/** The only child node of a rule that is a choice between sub-rules. */
export function onlyChild(parent: CstNode): CstNode {
  for (const list of Object.values(parent.children)) {
    for (const e of list) if (!isToken(e)) return e;
  }
  throw new SluiceError('INTERNAL', `parser: ${parent.name} has no child rule`);
}

/** Maps 0-based offsets of one SQL text to 1-based line/column positions. */
export class SourceText {
  private readonly lineStarts: number[] = [0];

  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }

  position(offset: number): Position {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { offset, line: lo + 1, column: offset - this.lineStarts[lo]! + 1 };
  }

  /** The span from `start` (inclusive) to `end` (exclusive). */
  span(start: number, end: number): Span {
    return { start: this.position(start), end: this.position(end) };
  }

  tokenSpan(t: IToken): Span {
    return this.span(t.startOffset, t.startOffset + t.image.length);
  }

  nodeSpan(n: CstNode): Span {
    const loc = n.location;
    if (!loc || Number.isNaN(loc.startOffset)) throw new SluiceError('INTERNAL', `parser: ${n.name} has no location`);
    return this.span(loc.startOffset, (loc.endOffset ?? loc.startOffset) + 1);
  }
}

/** Context passed through the CST→AST visitor. */
export interface AstContext {
  readonly src: SourceText;
  /** The common table expressions (WITH) in scope, by normalized name. */
  readonly ctes?: ReadonlyMap<string, { readonly query: SelectQuery; readonly columns?: readonly Ident[] }>;
  /** Builds a SELECT's AST (to-ast-query.ts), for subqueries inside expressions. */
  readonly select?: (n: CstNode, cx: AstContext) => SelectQuery;
  /** The windows of the SELECT's WINDOW clause, by normalized name, which `OVER name` reads. */
  readonly windows?: ReadonlyMap<string, CstNode>;
}

/** A syntax error found while building the AST (the grammar is looser than the language). */
export function astError(message: string, span: Span, hint?: string): SluiceError {
  return new SluiceError('SYNTAX_ERROR', message, hint === undefined ? { span } : { span, hint });
}
