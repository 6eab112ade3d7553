/**
 * The token vocabulary of the SQL dialect and the lexer built from it.
 *
 * Keywords are case-insensitive. Reserved keywords can never be names; soft keywords (KEY, MODEL,
 * TIMESTAMP, SESSION, ...) are also members of the `Identifier` category, so the grammar accepts
 * them wherever a name is expected and the alternatives stay unambiguous. Every keyword is a
 * member of the `Word` category, used where any word can stand (option keys, field names).
 */
import type { CustomPatternMatcherFunc, TokenType } from 'chevrotain';
import { createToken, Lexer } from './chevrotain-runtime.js';

/**
 * Matches text quoted by one of `quotes`, a doubled quote standing for itself: with `closed`, up
 * to and including the closing quote; without, the rest of the text when no closing quote follows
 * (an unterminated string or name). A scan with indexOf instead of a regular expression, whose
 * repetition of `''` or of each character takes backtracking stack in V8 and overflowed it on
 * literals of some millions of characters.
 */
function quoted(quotes: readonly string[], closed: boolean): CustomPatternMatcherFunc {
  return (text, offset) => {
    const q = text[offset];
    if (q === undefined || !quotes.includes(q)) return null;
    for (let i = offset + 1; ; ) {
      const j = text.indexOf(q, i);
      if (j < 0) return closed ? null : [text.slice(offset)];
      if (text[j + 1] === q) {
        i = j + 2;
        continue;
      }
      return closed ? [text.slice(offset, j + 1)] : null;
    }
  };
}

/** Any word at all: identifiers and every keyword. */
export const Word = createToken({ name: 'Word', pattern: Lexer.NA, label: 'a name' });

/** Anything usable as a name: plain and quoted identifiers and the soft keywords. */
export const Identifier = createToken({ name: 'Identifier', pattern: Lexer.NA, categories: [Word], label: 'a name' });

export const PlainIdentifier = createToken({
  name: 'PlainIdentifier',
  pattern: /[A-Za-z_][A-Za-z0-9_$]*/,
  categories: [Identifier],
  label: 'a name',
});

export const QuotedIdentifier = createToken({
  name: 'QuotedIdentifier',
  pattern: quoted(['"', '`'], true),
  start_chars_hint: ['"', '`'],
  categories: [Identifier],
  line_breaks: true,
  label: 'a quoted name',
});

const reserved = [
  'SELECT', 'DISTINCT', 'FROM', 'WHERE', 'GROUP', 'BY', 'HAVING', 'ORDER', 'ASC', 'DESC', 'LIMIT',
  'AS', 'AND', 'OR', 'NOT', 'IS', 'NULL', 'IN', 'BETWEEN', 'LIKE', 'CASE', 'WHEN', 'THEN', 'ELSE',
  'END', 'CAST', 'TRUE', 'FALSE', 'JOIN', 'INNER', 'LEFT', 'OUTER', 'ON', 'CREATE', 'DROP', 'ALTER',
  'INSERT', 'INTO', 'VALUES', 'WITH', 'IF', 'EXISTS', 'PRIMARY', 'INTERVAL', 'ARRAY', 'TABLE',
  'MATERIALIZED', 'SHOW', 'DESCRIBE', 'EXPLAIN', 'FOR', 'TRY_CAST', 'USING', 'UNION', 'OFFSET', 'INTERSECT', 'EXCEPT', 'QUALIFY',
  // Reserved, as in PostgreSQL: after a query's FROM it would read as a table alias.
  'RETURNING',
] as const;

const soft = [
  'KEY', 'STREAM', 'STREAMS', 'TABLES', 'MODEL', 'MODELS', 'FUNCTION', 'FUNCTIONS', 'QUERY', 'QUERIES',
  'VIEW', 'VIEWS', 'SINK', 'SINKS', 'LANGUAGE', 'RETURNS', 'REPLACE', 'DESCRIPTOR', 'WATERMARK',
  'INPUT', 'OUTPUT', 'SET', 'HOP', 'TUMBLE', 'SESSION', 'TIMESTAMP', 'DATE', 'PRECISION', 'STRUCT',
  'MILLISECOND', 'MILLISECONDS', 'SECOND', 'SECONDS', 'MINUTE', 'MINUTES', 'HOUR', 'HOURS', 'DAY', 'DAYS',
  'ILIKE', 'ESCAPE', 'BOTH', 'LEADING', 'TRAILING', 'VERBOSE', 'CANDIDATE', 'PROMOTE', 'ROLLBACK', 'TO', 'VERSION',
  'NULLS', 'FIRST', 'LAST', 'FILTER', 'UNKNOWN', 'ALL', 'OVER', 'PARTITION',
  'ROWS', 'RANGE', 'GROUPS', 'UNBOUNDED', 'PRECEDING', 'FOLLOWING', 'CURRENT', 'ROW', 'EXCLUDE',
  'RIGHT', 'FULL', 'CROSS', 'NATURAL', 'GROUPING', 'SETS', 'ROLLUP', 'CUBE', 'WITHIN', 'WINDOW', 'DELETE', 'UPDATE', 'SIMILAR',
  'SEMI', 'ANTI', 'ASOF', 'RECURSIVE', 'IGNORE', 'RESPECT', 'FETCH', 'NEXT', 'ONLY', 'LATERAL', 'GLOB', 'CONFLICT', 'DO', 'NOTHING', 'WEEK', 'WEEKS', 'MONTH', 'MONTHS', 'QUARTER', 'QUARTERS', 'YEAR', 'YEARS', 'TRUNCATE', 'TEMP', 'TEMPORARY', 'DEFAULT', 'CHECK', 'CONSTRAINT', 'UNIQUE', 'MAP', 'SYMMETRIC', 'ASYMMETRIC', 'PIVOT', 'UNPIVOT', 'RENAME', 'COLLATE',
  // After TIMESTAMP: the first keyword that matches takes the word (`TIMESTAMP` is not `TIME` + `STAMP`).
  'TIME',
] as const;

export type ReservedKeyword = (typeof reserved)[number];
export type SoftKeyword = (typeof soft)[number];
export type Keyword = ReservedKeyword | SoftKeyword;

/** MILLISECOND(S) .. DAY(S) after `INTERVAL '5'`. */
export const TimeUnit = createToken({ name: 'TimeUnit', pattern: Lexer.NA, label: 'a time unit (SECOND, MINUTE, ...)' });

/** BOTH, LEADING, TRAILING in `TRIM(LEADING 'x' FROM s)`. */
export const TrimSide = createToken({ name: 'TrimSide', pattern: Lexer.NA, label: 'BOTH, LEADING or TRAILING' });

const TRIM_SIDES = new Set<string>(['BOTH', 'LEADING', 'TRAILING']);

/** `=`, `<>`, `<`, `<=`, `>`, `>=`. */
export const ComparisonOperator = createToken({ name: 'ComparisonOperator', pattern: Lexer.NA, label: 'a comparison' });

const TIME_UNITS = new Set<string>(['MILLISECOND', 'MILLISECONDS', 'SECOND', 'SECONDS', 'MINUTE', 'MINUTES', 'HOUR', 'HOURS', 'DAY', 'DAYS', 'WEEK', 'WEEKS', 'MONTH', 'MONTHS', 'QUARTER', 'QUARTERS', 'YEAR', 'YEARS']);

function keyword(word: Keyword, isSoft: boolean): TokenType {
  return createToken({
    name: word,
    label: word,
    pattern: new RegExp(word, 'i'),
    longer_alt: PlainIdentifier,
    categories: [...(isSoft ? [Identifier, Word] : [Word]), ...(TIME_UNITS.has(word) ? [TimeUnit] : []), ...(TRIM_SIDES.has(word) ? [TrimSide] : [])],
  });
}

/** Keyword tokens by their upper-case spelling; the token name is the keyword itself. */
export const K = Object.fromEntries([
  ...reserved.map((w) => [w, keyword(w, false)] as const),
  ...soft.map((w) => [w, keyword(w, true)] as const),
]) as Readonly<Record<Keyword, TokenType>>;

/** Names of the soft keywords, which may also be used as names. */
export const SOFT_KEYWORDS: ReadonlySet<string> = new Set<string>(soft);

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /\s+/, group: Lexer.SKIPPED, line_breaks: true });
export const LineComment = createToken({ name: 'LineComment', pattern: /--[^\n\r]*/, group: Lexer.SKIPPED });
export const BlockComment = createToken({
  name: 'BlockComment',
  pattern: /\/\*[\s\S]*?\*\//,
  group: Lexer.SKIPPED,
  line_breaks: true,
});

/** Lexed only when the closing quote or comment end is missing; parse.ts reports it. */
export const UnterminatedString = createToken({ name: 'UnterminatedString', pattern: quoted(["'"], false), start_chars_hint: ["'"], line_breaks: true });
export const UnterminatedIdentifier = createToken({
  name: 'UnterminatedIdentifier',
  pattern: quoted(['"', '`'], false),
  start_chars_hint: ['"', '`'],
  line_breaks: true,
});
export const UnterminatedComment = createToken({ name: 'UnterminatedComment', pattern: /\/\*[\s\S]*/, line_breaks: true });

export const StringLiteral = createToken({ name: 'StringLiteral', pattern: quoted(["'"], true), start_chars_hint: ["'"], line_breaks: true, label: 'a string' });
/**
 * `E'a\tb'`: a string with backslash escapes, as PostgreSQL and DuckDB read it (to-ast-names.ts
 * decodes them); a string wherever one may be written.
 */
export const EscapeStringLiteral = createToken({
  name: 'EscapeStringLiteral',
  pattern: (text, offset) => {
    if ((text[offset] !== 'E' && text[offset] !== 'e') || text[offset + 1] !== "'") return null;
    for (let i = offset + 2; i < text.length; i++) {
      if (text[i] === '\\') i++;
      else if (text[i] === "'") {
        if (text[i + 1] !== "'") return [text.slice(offset, i + 1)];
        i++;
      }
    }
    return null;
  },
  start_chars_hint: ['E', 'e'],
  line_breaks: true,
  categories: [StringLiteral],
  label: 'a string',
});
export const DecimalLiteral = createToken({
  name: 'DecimalLiteral',
  pattern: /(?:\d+(?:_\d+)*\.\d+(?:_\d+)*|\.\d+(?:_\d+)*)(?:[eE][+-]?\d+)?|\d+(?:_\d+)*[eE][+-]?\d+/,
  label: 'a number',
});
/** Digits may be grouped by underscores, as DuckDB and PostgreSQL take them: `1_000_000`. */
export const IntegerLiteral = createToken({ name: 'IntegerLiteral', pattern: /\d+(?:_\d+)*/, label: 'a number' });

function punct(name: string, pattern: string, comparison = false): TokenType {
  return createToken({ name, pattern, label: `'${pattern}'`, categories: comparison ? [ComparisonOperator] : [] });
}

export const NotEquals = createToken({ name: 'NotEquals', pattern: /<>|!=/, label: "'<>'", categories: [ComparisonOperator] });
export const LessEquals = punct('LessEquals', '<=', true);
export const GreaterEquals = punct('GreaterEquals', '>=', true);
export const Less = punct('Less', '<', true);
export const Greater = punct('Greater', '>', true);
export const Equals = punct('Equals', '=', true);
export const Concat = punct('Concat', '||');
/** `a & b`, `a | b`: bitwise AND and OR of integers (`<<` and `>>` are two `<` or `>`: see the grammar). */
export const Ampersand = punct('Ampersand', '&');
export const Pipe = punct('Pipe', '|');
export const Plus = punct('Plus', '+');
export const Minus = punct('Minus', '-');
/** `~a`: bitwise NOT of an integer. */
export const Tilde = punct('Tilde', '~');
/**
 * PostgreSQL's pattern operators, as DuckDB has them: `s !~ re` (not a full match of the regular
 * expression), `s ~~ p` (LIKE), `!~~` (NOT LIKE), `~~*` (ILIKE), `!~~*` (NOT ILIKE); `~` alone is
 * Tilde (a full match between two operands, bitwise NOT before one).
 */
export const MatchOperator = createToken({ name: 'MatchOperator', pattern: /!~~\*|!~~|!~|~~\*|~~/, label: "'~~'" });
export const Star = punct('Star', '*');
export const Slash = punct('Slash', '/');
/** `a // b`: integer division (DuckDB). */
export const DoubleSlash = punct('DoubleSlash', '//');
/** `a ^ b` and `a ** b`: power (DuckDB, PostgreSQL). */
export const Caret = createToken({ name: 'Caret', pattern: /\^|\*\*/, label: "'^'" });
/** `x -> x * 2`: a lambda's parameters and its body (DuckDB's list functions). */
export const Arrow = punct('Arrow', '->');
/** `json ->> path`: the text at path (DuckDB's JSON_EXTRACT_STRING). */
export const LongArrow = punct('LongArrow', '->>');
/** `s ^@ prefix`: whether s starts with prefix (DuckDB's STARTS_WITH). */
export const StartsWith = punct('StartsWith', '^@');
export const Percent = punct('Percent', '%');
export const Dot = punct('Dot', '.');
/** `x::type`, the PostgreSQL and DuckDB shorthand for CAST(x AS type). */
export const DoubleColon = punct('DoubleColon', '::');
/** `list[a:b]`, a slice; `{'k': v}`, a struct field. */
export const Colon = punct('Colon', ':');
/** `{'a': 1, 'b': 'x'}`, a struct value (DuckDB). */
export const LCurly = punct('LCurly', '{');
export const RCurly = punct('RCurly', '}');
export const Comma = punct('Comma', ',');
export const Semicolon = punct('Semicolon', ';');
export const LParen = punct('LParen', '(');
export const RParen = punct('RParen', ')');
export const LBracket = punct('LBracket', '[');
export const RBracket = punct('RBracket', ']');

// Longer keywords first, so that e.g. INNER is not lexed as IN followed by a name.
const keywordTokens = Object.values(K).sort((a, b) => b.name.length - a.name.length);

/** All tokens in lexing order (order matters: first matching pattern wins). */
export const allTokens: TokenType[] = [
  WhiteSpace,
  LineComment,
  BlockComment,
  UnterminatedComment,
  EscapeStringLiteral,
  StringLiteral,
  UnterminatedString,
  QuotedIdentifier,
  UnterminatedIdentifier,
  DecimalLiteral,
  IntegerLiteral,
  ...keywordTokens,
  PlainIdentifier,
  NotEquals,
  LessEquals,
  GreaterEquals,
  Less,
  Greater,
  Equals,
  Concat,
  Ampersand,
  Pipe,
  Plus,
  LongArrow,
  Arrow,
  Minus,
  MatchOperator,
  Tilde,
  StartsWith,
  Caret,
  Star,
  DoubleSlash,
  Slash,
  Percent,
  Dot,
  DoubleColon,
  Colon,
  LCurly,
  RCurly,
  Comma,
  Semicolon,
  LParen,
  RParen,
  LBracket,
  RBracket,
  Word,
  Identifier,
  TimeUnit,
  TrimSide,
  ComparisonOperator,
];

/**
 * Builds the lexer. `validate` runs chevrotain's checks of the token definitions (unreachable
 * patterns, conflicting categories); they cost start-up time and the definitions are fixed, so
 * the engine skips them and a test runs them.
 */
export function buildLexer(validate = false): InstanceType<typeof Lexer> {
  return new Lexer(allTokens, { positionTracking: 'full', ensureOptimizations: false, skipValidations: !validate });
}

let lexer: InstanceType<typeof Lexer> | undefined;
/** The one lexer instance, built on first use; chevrotain lexers are reusable and costly to build. */
export function sqlLexer(): InstanceType<typeof Lexer> {
  lexer ??= buildLexer();
  return lexer;
}
