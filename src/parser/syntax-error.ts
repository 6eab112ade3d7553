/**
 * Turns a failed parse into one SYNTAX_ERROR that points at the offending token and says, in
 * plain words, what could have come there instead.
 *
 * The position is the end of the longest prefix the grammar accepts, found with chevrotain's
 * content assist (which also yields the expected tokens), starting from where the parser stopped.
 * That is exact even where the LL(k) parser gives up early, at the start of a decision.
 */
import type { IToken, TokenType } from 'chevrotain';
import { tokenMatcher } from './chevrotain-runtime.js';
import { didYouMean, SluiceError } from '../common/errors.js';
import type { Span } from '../common/span.js';
import type { SourceText } from './cst-access.js';
import { sqlParser, type StartRule } from './grammar.js';
import { windowCallExample } from './window-calls.js';
import {
  Comma, MatchOperator, ComparisonOperator, Concat, DecimalLiteral, Dot, DoubleColon, Equals, Greater, GreaterEquals, Identifier, IntegerLiteral, K, LCurly,
  LBracket, Less, LessEquals, LParen, Minus, NotEquals, Percent, PlainIdentifier, Plus, RParen, Tilde,
  Semicolon, Slash, DoubleSlash, Caret, StartsWith, Arrow, LongArrow, Ampersand, Pipe, SOFT_KEYWORDS, Star, StringLiteral, Word,
} from './lexer.js';

const KEYWORD_TYPES = new Set<TokenType>(Object.values(K));

const EXPRESSION_START = new Set<TokenType>([
  Identifier, Word, StringLiteral, IntegerLiteral, DecimalLiteral, K.TRUE, K.FALSE, K.NULL, K.INTERVAL,
  K.TIMESTAMP, K.DATE, K.CASE, K.CAST, K.TRY_CAST, K.ARRAY, K.EXISTS, K.NOT, K.LEFT, K.IF, Minus, Plus, Tilde, LParen, LBracket, LCurly,
]);

const OPERATORS = new Set<TokenType>([
  ComparisonOperator, Plus, Minus, Star, Slash, DoubleSlash, Caret, StartsWith, Arrow, LongArrow, Ampersand, Pipe, Percent, Equals, NotEquals, Less, LessEquals, Greater, GreaterEquals, Concat,
  K.AND, K.OR, K.IS, K.IN, K.BETWEEN, K.LIKE, K.ILIKE, K.SIMILAR, K.GLOB, K.NOT, K.COLLATE, Dot, LBracket, DoubleColon, Tilde, MatchOperator,
]);

const TWO_WORD: Readonly<Record<string, string>> = {
  GROUP: 'GROUP BY',
  ORDER: 'ORDER BY',
  PRIMARY: 'PRIMARY KEY',
  MATERIALIZED: 'MATERIALIZED VIEW',
};

/** What the grammar accepts after `prefix`, deduplicated, in grammar order. */
function expectedAfter(rule: StartRule, prefix: IToken[]): TokenType[] {
  const seen = new Set<TokenType>();
  for (const p of sqlParser().computeContentAssist(rule, prefix)) seen.add(p.nextTokenType);
  return [...seen];
}

const JOIN_KINDS: ReadonlySet<TokenType> = new Set([K.INNER, K.LEFT, K.RIGHT, K.FULL, K.CROSS, K.NATURAL, K.SEMI, K.ANTI, K.ASOF]);

/** Collapses expected tokens into a short list of plain words. */
export function describeExpected(types: readonly TokenType[]): string[] {
  // A query may open with WITH or VALUES; where SELECT is expected, naming them too only adds noise.
  let rest = types.includes(K.SELECT) ? types.filter((t) => t !== K.WITH && t !== K.VALUES) : [...types];
  // Where UNION may come, so may INTERSECT and EXCEPT: UNION stands for the three.
  if (rest.includes(K.UNION)) rest = rest.filter((t) => t !== K.INTERSECT && t !== K.EXCEPT);
  // QUALIFY and WINDOW may come where HAVING may, and are seldom what was meant there.
  if (rest.includes(K.HAVING)) rest = rest.filter((t) => t !== K.QUALIFY && t !== K.WINDOW);
  // After *, EXCLUDE, REPLACE and RENAME may come where FROM may: FROM is what was meant.
  if (rest.includes(K.FROM)) rest = rest.filter((t) => t !== K.EXCLUDE && t !== K.REPLACE && t !== K.RENAME);
  // After a call's *, EXCLUDE may come (COLUMNS(* EXCLUDE (a))) where ')' may: ')' is what was meant.
  if (rest.includes(RParen)) rest = rest.filter((t) => t !== K.EXCLUDE);
  // Where LIMIT may come, so may the standard's FETCH FIRST: LIMIT, the usual word, stands for it.
  if (rest.includes(K.LIMIT)) rest = rest.filter((t) => t !== K.FETCH);
  // Where a query may start, so may DuckDB's FROM-first form, PIVOT and UNPIVOT: SELECT stands for them.
  // A query in parentheses too: '(' beside SELECT only adds noise.
  if (rest.includes(K.SELECT)) rest = rest.filter((t) => t !== K.FROM && t !== K.PIVOT && t !== K.UNPIVOT && t !== LParen);
  // Where JOIN may come, so may the words of a join's kind, PIVOT and UNPIVOT: JOIN stands for them.
  if (rest.includes(K.JOIN)) rest = rest.filter((t) => !JOIN_KINDS.has(t) && t !== K.PIVOT && t !== K.UNPIVOT);
  const words: string[] = [];
  const has = (t: TokenType) => rest.includes(t);
  const tail: string[] = [];
  if ((has(Identifier) || has(Word)) && has(StringLiteral) && has(IntegerLiteral)) {
    tail.push('an expression');
    rest = rest.filter((t) => !EXPRESSION_START.has(t) && !SOFT_KEYWORDS.has(t.name));
  }
  if (rest.filter((t) => OPERATORS.has(t)).length >= 4) {
    tail.push('an operator');
    // After a name, '(' would make it a call; listing it beside operators only adds noise.
    rest = rest.filter((t) => !OPERATORS.has(t) && t !== LParen);
  }
  const punct: string[] = [];
  let semicolon = false;
  let as = false;
  for (const t of rest) {
    if (t === Semicolon) semicolon = true;
    else if (t === K.AS) as = true;
    else if (t === K.PRECISION) continue; // only after DOUBLE; listing it everywhere misleads
    else if (t === K.IGNORE || t === K.RESPECT) continue; // IGNORE NULLS: only in a window function's call
    else if (KEYWORD_TYPES.has(t)) words.push(TWO_WORD[t.name] ?? t.name);
    else if (t === Identifier || t === Word) tail.unshift('a name');
    else if (t === StringLiteral || t === IntegerLiteral || t === DecimalLiteral) tail.push(t.LABEL ?? t.name);
    else punct.push(t.LABEL ?? t.name);
  }
  if (as) words.push('AS');
  const all = [...new Set([...words, ...tail, ...punct])];
  if (semicolon) all.push("';'");
  return all;
}

/** `A`, `A or B`, `A, B or C`; long lists keep their head and the last item. */
export function joinExpected(items: readonly string[]): string {
  const list = items.length > 10 ? [...items.slice(0, 7), '...', items[items.length - 1]!] : [...items];
  if (list.length <= 1) return list[0] ?? 'nothing';
  return `${list.slice(0, -1).join(', ')} or ${list[list.length - 1]}`;
}

function isWordToken(t: IToken): boolean {
  return tokenMatcher(t, Word) && t.image.length > 0 && /^[A-Za-z_]/.test(t.image);
}

function keywordNames(types: readonly TokenType[]): string[] {
  return types.filter((t) => KEYWORD_TYPES.has(t)).map((t) => t.name);
}

/** True when `b` is `a` with two neighbouring letters swapped (FORM/FROM). */
function isTransposition(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  const diff = [...a].flatMap((c, i) => (c === b[i] ? [] : [i]));
  return diff.length === 2 && diff[1] === diff[0]! + 1 && a[diff[0]!] === b[diff[1]!] && a[diff[1]!] === b[diff[0]!];
}

/** A "did you mean" for a misspelled keyword, counting a swap of two letters as one typo. */
function suggestKeyword(word: string, keywords: readonly string[]): string | undefined {
  const upper = word.toUpperCase();
  const swapped = keywords.find((k) => isTransposition(upper, k));
  return swapped ? `did you mean '${swapped}'?` : didYouMean(word, keywords);
}

function shown(image: string): string {
  const oneLine = image.replace(/\s+/g, ' ');
  return oneLine.length > 30 ? `${oneLine.slice(0, 27)}...` : oneLine;
}

export interface ParseFailure {
  readonly tokens: IToken[];
  /** Index of the first token of the statement that failed (after the previous ';'). */
  readonly from: number;
  readonly rule: StartRule;
  /** The token chevrotain stopped at; used when content assist cannot place the error. */
  readonly parserToken: IToken;
}

/**
 * Most tokens of a statement before its error that content assist reads to place the error and
 * say what may come there: it interprets the grammar, at some 0.15 ms a token, so a long
 * statement (a generated select list, a long INSERT) would take seconds; past this the error is
 * where the parser stopped, with a plainer hint.
 */
const MAX_ASSISTED_TOKENS = 2000;

export function syntaxError(f: ParseFailure, src: SourceText): SluiceError {
  const { tokens, from, rule } = f;
  const stoppedAt = tokens.indexOf(f.parserToken);
  if ((stoppedAt < 0 ? tokens.length : stoppedAt) - from > MAX_ASSISTED_TOKENS) return longStatementError(tokens, stoppedAt, from, src);
  const viable = (j: number) => j === from || sqlParser().computeContentAssist(rule, tokens.slice(from, j)).length > 0;
  // The tokens the parser consumed form a viable prefix; the true error is at most a few tokens
  // further on (where an LL(k) decision looked ahead and found no alternative).
  const parserAt = tokens.indexOf(f.parserToken);
  // A parser token that is not in the input is EOF: everything was consumed.
  let at = parserAt < 0 ? tokens.length : Math.max(from, parserAt);
  while (at < tokens.length && viable(at + 1)) at++;
  if (at === tokens.length && parserAt >= 0) at = parserAt;
  let expected = expectedAfter(rule, tokens.slice(from, at));
  let hintExtra: string | undefined;

  // `SELECT a FORM t`: FORM was taken as an alias and `t` fails; the real culprit is FORM.
  const prev = at > from ? tokens[at - 1] : undefined;
  if (prev && prev.tokenType === PlainIdentifier && prev.image.length >= 3) {
    const before = expectedAfter(rule, tokens.slice(from, at - 1));
    const guess = suggestKeyword(prev.image, keywordNames(before));
    if (guess) {
      at -= 1;
      expected = before.filter((t) => t !== Identifier && t !== Word && t !== K.AS);
      hintExtra = guess;
    }
  }

  const found = at < tokens.length ? tokens[at] : undefined;
  let span: Span;
  let message: string;
  if (found) {
    span = src.tokenSpan(found);
    message = `unexpected '${shown(found.image)}'`;
  } else {
    const last = tokens[tokens.length - 1];
    const end = last ? last.startOffset + last.image.length : src.text.length;
    span = src.span(end, end);
    message = 'unexpected end of input';
  }

  const described = describeExpected(rule === 'script' && at === from ? expected.filter((t) => t !== Semicolon) : expected);
  const hints = [`expected ${joinExpected(described)}`];
  hintExtra ??= dialectHint(found, tokens.slice(from, at));
  if (found && !hintExtra && isWordToken(found)) {
    hintExtra = suggestKeyword(found.image, keywordNames(expected));
    const reserved = KEYWORD_TYPES.has(found.tokenType) && !SOFT_KEYWORDS.has(found.tokenType.name);
    const afterComma = prev !== undefined && tokenMatcher(prev, Comma);
    if (!hintExtra && reserved && !afterComma && (expected.includes(Identifier) || expected.includes(Word))) {
      hintExtra = `${found.tokenType.name} is a reserved word; write "${found.image}" in double quotes to use it as a name`;
    }
  }
  hintExtra ??= windowCallHint(found, prev, at >= from + 2 ? tokens[at - 2] : undefined);
  if (hintExtra) hints.push(hintExtra);
  if (prev && tokenMatcher(prev, Comma) && (!found || !described.includes(`'${found.image}'`))) {
    const after = found ? `before '${shown(found.image)}'` : 'at the end';
    if (found === undefined || KEYWORD_TYPES.has(found.tokenType) || tokenMatcher(found, RParen)) {
      hints.push(`remove the trailing ',' ${after}`);
    }
  }
  return new SluiceError('SYNTAX_ERROR', message, { span, hint: hints.join('; '), sql: src.text });
}

/**
 * `FROM TUMBLE(s, ts, ...)`, as other engines write a window: the call was read as a relation
 * named TUMBLE and fails at its '('. Says how this dialect writes it.
 */
function windowCallHint(found: IToken | undefined, name: IToken | undefined, before: IToken | undefined): string | undefined {
  if (!found || !name || !before || !tokenMatcher(found, LParen)) return undefined;
  const call = windowCallExample(name.image);
  if (call === undefined || !(tokenMatcher(before, K.FROM) || tokenMatcher(before, K.JOIN))) return undefined;
  return `a window is a table function over the stream, written in FROM: FROM TABLE(${call})`;
}

/**
 * Hints for statements other streaming engines take and this dialect writes otherwise: `found`
 * is the token the parse failed at, `before` the statement's tokens up to it.
 */
function dialectHint(found: IToken | undefined, before: readonly IToken[]): string | undefined {
  if (!found) return undefined;
  const word = (t: IToken | undefined) => (t === undefined ? '' : t.image.toUpperCase());
  const last = before[before.length - 1];
  // ksqlDB: SELECT ... EMIT CHANGES (EMIT was read as an alias).
  if (word(found) === 'CHANGES' && word(last) === 'EMIT') return 'a push query streams its changes as they happen: leave out EMIT CHANGES';
  // A constraint there is not: FOREIGN KEY / REFERENCES.
  if (['REFERENCES', 'FOREIGN'].includes(word(found)) && word(before[0]) === 'CREATE') {
    return 'FOREIGN KEY is not supported: PRIMARY KEY, UNIQUE and CHECK (cond) are';
  }
  // ALTER TABLE / STREAM / VIEW ...: only models change in place.
  if (word(last) === 'ALTER' && before.length === 1 && ['TABLE', 'STREAM', 'VIEW', 'MATERIALIZED', 'SINK', 'FUNCTION'].includes(word(found))) {
    const what = word(found) === 'MATERIALIZED' ? 'MATERIALIZED VIEW' : word(found);
    return what === 'TABLE'
      ? 'ALTER is for models (ALTER MODEL); a table keeps the columns it was created with: create the one wanted from it (CREATE TABLE t2 AS SELECT *, NULL::STRING AS z FROM t) and drop the old one'
      : `ALTER is for models (ALTER MODEL); a ${what.toLowerCase()} keeps its definition: drop it and create it again (CREATE OR REPLACE where the statement takes it)`;
  }
  // Oracle's MINUS: the word was read as an alias, or comes where none fits.
  if ([word(found), word(last)].includes('MINUS')) return 'the rows of one SELECT that another does not give: SELECT ... EXCEPT SELECT ...';
  // x OVER (...) after something that is not a function call: OVER was read as an alias.
  if (tokenMatcher(found, LParen) && word(last) === 'OVER') {
    return 'OVER follows a window function call: ROW_NUMBER() OVER (PARTITION BY k ORDER BY ts)';
  }
  // Window frames.
  if (['ROWS', 'RANGE', 'GROUPS'].includes(word(found)) && before.some((t) => word(t) === 'OVER')) {
    return 'a frame comes last in OVER (...): [PARTITION BY ...] [ORDER BY ...] ROWS | RANGE | GROUPS BETWEEN start AND end, each bound UNBOUNDED PRECEDING, n PRECEDING, CURRENT ROW, n FOLLOWING or UNBOUNDED FOLLOWING';
  }
  return undefined;
}

/** The error of a statement too long for content assist: at the token the parser stopped at. */
function longStatementError(tokens: readonly IToken[], at: number, from: number, src: SourceText): SluiceError {
  const found = at >= 0 ? tokens[at] : undefined;
  const prev = at > from ? tokens[at - 1] : undefined;
  const hints = [`the statement is too long (${(at - from).toLocaleString('en-US')} tokens before this point) to list what may come here: look at the text just before the caret, or split the statement`];
  const dialect = dialectHint(found, tokens.slice(Math.max(from, at - 8), at));
  if (dialect) hints.unshift(dialect);
  if (prev && tokenMatcher(prev, Comma) && found && (KEYWORD_TYPES.has(found.tokenType) || tokenMatcher(found, RParen))) hints.unshift(`remove the trailing ',' before '${shown(found.image)}'`);
  if (found) return new SluiceError('SYNTAX_ERROR', `unexpected '${shown(found.image)}'`, { span: src.tokenSpan(found), hint: hints.join('; '), sql: src.text });
  const last = tokens[tokens.length - 1];
  const end = last ? last.startOffset + last.image.length : src.text.length;
  return new SluiceError('SYNTAX_ERROR', 'unexpected end of input', { span: src.span(end, end), hint: hints.join('; '), sql: src.text });
}
