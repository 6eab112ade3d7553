/** CST→AST for names, string literals and WITH options. */
import type { CstNode, IToken } from 'chevrotain';
import type { Ident, OptionEntry } from './ast.js';
import { type AstContext, node, nodes, numberText, optToken, token, tokens } from './cst-access.js';
import { EscapeStringLiteral, QuotedIdentifier } from './lexer.js';

/** The name a token stands for: quoted names lose their quotes (doubled quotes become one). */
export function identName(t: IToken): string {
  if (t.tokenType !== QuotedIdentifier) return t.image;
  const q = t.image[0]!;
  return t.image.slice(1, -1).split(q + q).join(q);
}

export function identFromToken(t: IToken, cx: AstContext): Ident {
  return { name: identName(t), span: cx.src.tokenSpan(t) };
}

/** An `identifier` rule node. */
export function toIdent(n: CstNode, cx: AstContext): Ident {
  return identFromToken(token(n, 'token'), cx);
}

export function toIdentList(n: CstNode, cx: AstContext): Ident[] {
  return nodes(n, 'names').map((x) => toIdent(x, cx));
}

/** The value of a string literal token: quotes stripped, `''` unescaped. */
export function stringValue(t: IToken): string {
  if (t.tokenType === EscapeStringLiteral) return unescape(t.image.slice(2, -1));
  return t.image.slice(1, -1).replaceAll("''", "'");
}

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v' };

/** The text of `E'...'`: `\n`, `\t`, `\r`, `\b`, `\f`, `\xHH`, `\uXXXX`, `\UXXXXXXXX`, octal `\ooo`, and `\c` for any other c; `''` is a quote. */
function unescape(body: string): string {
  return body.replace(/\\(x[0-9a-fA-F]{1,2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|[\s\S])|''/g, (m, e: string | undefined) => {
    if (e === undefined) return "'";
    if (/^[xuU]./.test(e)) return String.fromCodePoint(parseInt(e.slice(1), 16));
    if (/^[0-7]+$/.test(e)) return String.fromCodePoint(parseInt(e, 8));
    return ESCAPES[e] ?? e;
  });
}

/**
 * `WITH (...)` or a bare `(...)` option list. Bare keys are folded to lower case (they are
 * names); quoted keys are kept exactly as written.
 */
export function toOptions(n: CstNode | undefined, cx: AstContext): OptionEntry[] {
  if (!n) return [];
  const list = n.name === 'withOptions' ? node(n, 'optionList') : n;
  return nodes(list, 'options').map((o) => toOption(o, cx));
}

function toOption(n: CstNode, cx: AstContext): OptionEntry {
  const quoted = optToken(n, 'quotedKey');
  const key = quoted
    ? stringValue(quoted)
    : tokens(n, 'keyParts')
        .map((t) => identName(t).toLowerCase())
        .join('.');
  return { key, value: optionValue(n), span: cx.src.nodeSpan(n) };
}

function optionValue(n: CstNode): string | number | boolean {
  const s = optToken(n, 'string');
  if (s) return stringValue(s);
  const b = optToken(n, 'boolean');
  if (b) return b.image.toUpperCase() === 'TRUE';
  const num = Number(numberText(token(n, 'number')));
  return optToken(n, 'minus') ? -num : num;
}
