/**
 * The parser's entry points: SQL text in, typed AST (or one SYNTAX_ERROR with a span) out.
 * Spans are offsets into the whole text passed in, so errors render against it.
 */
import type { CstNode, IToken } from 'chevrotain';
import { tokenMatcher } from './chevrotain-runtime.js';
import { SluiceError } from '../common/errors.js';
import type { Expr, ParsedStatement, Statement } from './ast.js';
import { type AstContext, nodes, SourceText } from './cst-access.js';
import { sqlParser, type StartRule } from './grammar.js';
import { Semicolon, sqlLexer, UnterminatedComment, UnterminatedIdentifier, UnterminatedString } from './lexer.js';
import { checkExpressionTrees, checkTokenNesting, expressionRoots, stackExhausted } from './limits.js';
import { syntaxError } from './syntax-error.js';
import { toExpr, toStatement } from './to-ast.js';
import { toSelect } from './to-ast-query.js';

const UNTERMINATED = new Map([
  [UnterminatedString, ['unterminated string literal', "close it with ' (write '' for a quote inside a string)"]],
  [UnterminatedIdentifier, ['unterminated quoted name', 'close it with the same quote it opens with']],
  [UnterminatedComment, ['unterminated comment', 'close it with */']],
] as const);

const STRAY_HINTS: Readonly<Record<string, string>> = {
  '!': "write '<>' or '!=' for not equal, NOT for negation",
  '|': "write '||' to concatenate strings",
  ':': 'write CAST(x AS type) to convert a value',
  '&': 'write AND',
  '?': 'parameters are not supported; write the value',
};

/** `'x'`, or `U+0000` for characters that do not print (they would garble a message or a terminal). */
function showChar(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  return code < 0x20 || (code >= 0x7f && code < 0xa0) ? `U+${code.toString(16).toUpperCase().padStart(4, '0')}` : `'${ch}'`;
}

function lex(src: SourceText): IToken[] {
  // A NUL ends C strings; wherever the text goes next (logs, clients, stored DDL) it could cut
  // the statement short, so it is refused everywhere, string literals included (as PostgreSQL does).
  const nul = src.text.indexOf('\u0000');
  if (nul >= 0) {
    throw new SluiceError('SYNTAX_ERROR', 'the SQL text holds a NUL character (U+0000)', {
      span: src.span(nul, nul + 1),
      hint: 'remove it; NUL is not allowed anywhere in SQL text, not even inside a string literal',
      sql: src.text,
    });
  }
  const { tokens, errors } = sqlLexer().tokenize(src.text);
  const lexError = errors[0];
  const bad = tokens.find((t) => UNTERMINATED.has(t.tokenType));
  if (bad && (!lexError || bad.startOffset < lexError.offset)) {
    const [message, hint] = UNTERMINATED.get(bad.tokenType)!;
    const nl = src.text.indexOf('\n', bad.startOffset);
    const end = nl < 0 ? src.text.length : nl;
    throw new SluiceError('SYNTAX_ERROR', message, { span: src.span(bad.startOffset, end), hint, sql: src.text });
  }
  if (lexError) {
    const ch = src.text[lexError.offset] ?? '';
    const hint = STRAY_HINTS[ch];
    const span = src.span(lexError.offset, lexError.offset + 1);
    throw new SluiceError('SYNTAX_ERROR', `unexpected character ${showChar(ch)}`, hint ? { span, hint, sql: src.text } : { span, sql: src.text });
  }
  return tokens;
}

function runParser(src: SourceText, tokens: IToken[], rule: StartRule): CstNode {
  checkTokenNesting(tokens, src);
  const parser = sqlParser();
  parser.input = tokens;
  let cst: CstNode;
  try {
    cst = rule === 'script' ? parser.script() : parser.standaloneExpression();
  } catch (e) {
    // Past the nesting limit the stack cannot run out; this is the net below it (e.g. when the
    // caller itself runs deep). The parser reports it as RangeError, sometimes of another kind.
    if (e instanceof RangeError) throw stackExhausted(tokens, src);
    throw e;
  }
  const err = parser.errors[0];
  if (err) {
    const i = tokens.indexOf(err.token);
    const upTo = i < 0 ? tokens.length : i;
    let from = 0;
    if (rule === 'script') {
      for (let j = upTo - 1; j >= 0; j--) {
        if (tokenMatcher(tokens[j]!, Semicolon)) {
          from = j + 1;
          break;
        }
      }
    }
    let failure: SluiceError;
    try {
      failure = syntaxError({ tokens, from, rule, parserToken: err.token }, src);
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      failure = stackExhausted(tokens, src);
    }
    throw failure;
  }
  return cst;
}

/** Runs `build`, attaching the SQL text to any SluiceError it raises. */
function withSql<T>(src: SourceText, build: () => T): T {
  try {
    return build();
  } catch (e) {
    if (e instanceof SluiceError) throw e.withSql(src.text);
    throw e;
  }
}

/**
 * Parses a script of statements separated by `;` (a trailing `;` is optional, empty statements
 * are skipped). Each result's `text` is that statement's own source, without the `;`.
 */
export function parseStatements(sql: string): ParsedStatement[] {
  const src = new SourceText(sql);
  return withSql(src, () => {
    const cst = runParser(src, lex(src), 'script');
    const cx: AstContext = { src, select: toSelect };
    return nodes(cst, 'statements').map((n) => {
      const loc = n.location!;
      const statement = toStatement(n, cx);
      checkExpressionTrees(expressionRoots(statement), src);
      return { statement, text: sql.slice(loc.startOffset, loc.endOffset! + 1) };
    });
  });
}

/** Parses exactly one statement (an optional trailing `;` is allowed). */
export function parseStatement(sql: string): Statement {
  const all = parseStatements(sql);
  const first = all[0];
  if (all.length === 1 && first) return first.statement;
  const src = new SourceText(sql);
  if (!first) {
    const end = sql.trimEnd().length;
    throw new SluiceError('SYNTAX_ERROR', 'no statement to run', { span: src.span(end, end), hint: 'expected a statement such as SELECT or CREATE', sql });
  }
  const second = all[1]!.statement.span;
  throw new SluiceError('SYNTAX_ERROR', `expected one statement, found ${all.length}`, {
    span: second,
    hint: 'send one statement at a time here',
    sql,
  });
}

/** Parses a single expression, e.g. `a + 1 > b`; mostly for tests. */
export function parseExpression(sql: string): Expr {
  const src = new SourceText(sql);
  return withSql(src, () => {
    const e = toExpr(runParser(src, lex(src), 'standaloneExpression'), { src });
    checkExpressionTrees([e], src);
    return e;
  });
}
