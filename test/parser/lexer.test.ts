import { describe, expect, it } from 'vitest';
import { sqlLexer } from '../../src/parser/lexer.js';

function lex(sql: string): string[] {
  const r = sqlLexer().tokenize(sql);
  expect(r.errors).toEqual([]);
  return r.tokens.map((t) => `${t.tokenType.name}:${t.image}`);
}

describe('lexer', () => {
  it('keywords are case-insensitive; longer words are names', () => {
    expect(lex('select SeLeCt selection inner innerx in timestamp_col timestamp')).toEqual([
      'SELECT:select', 'SELECT:SeLeCt', 'PlainIdentifier:selection', 'INNER:inner', 'PlainIdentifier:innerx',
      'IN:in', 'PlainIdentifier:timestamp_col', 'TIMESTAMP:timestamp',
    ]);
  });

  it('numbers, strings and quoted names', () => {
    expect(lex(`1 1.5 1e3 2.5E-2 .5 'it''s' "a ""b""" \`c\``)).toEqual([
      'IntegerLiteral:1', 'DecimalLiteral:1.5', 'DecimalLiteral:1e3', 'DecimalLiteral:2.5E-2', 'DecimalLiteral:.5',
      "StringLiteral:'it''s'", 'QuotedIdentifier:"a ""b"""', 'QuotedIdentifier:`c`',
    ]);
  });

  it('digits grouped by underscores, and E strings with backslash escapes', () => {
    expect(lex(`1_000 1_000.5_0 2_0e3 1 _0 E'a\\'b' e'x''y' E 'z'`)).toEqual([
      'IntegerLiteral:1_000', 'DecimalLiteral:1_000.5_0', 'DecimalLiteral:2_0e3', 'IntegerLiteral:1', 'PlainIdentifier:_0',
      "EscapeStringLiteral:E'a\\'b'", "EscapeStringLiteral:e'x''y'", 'PlainIdentifier:E', "StringLiteral:'z'",
    ]);
  });

  it('strings and quoted names of millions of characters, doubled quotes included', () => {
    // A regular expression repeating per character or per doubled quote ran out of stack here.
    const body = "x''".repeat(8_000_000);
    const tokens = sqlLexer().tokenize(`SELECT '${body}', "${'y""'.repeat(8_000_000)}" FROM t`);
    expect(tokens.errors).toEqual([]);
    expect(tokens.tokens.map((t) => t.tokenType.name)).toEqual(['SELECT', 'StringLiteral', 'Comma', 'QuotedIdentifier', 'FROM', 'PlainIdentifier']);
    expect(tokens.tokens[1]!.image).toBe(`'${body}'`);
    expect(tokens.tokens[4]!.startLine).toBe(1);
  });

  it('a quote left open reads to the end as an unterminated token', () => {
    expect(sqlLexer().tokenize("a 'it''s").tokens.map((t) => `${t.tokenType.name}:${t.image}`)).toEqual(['PlainIdentifier:a', "UnterminatedString:'it''s"]);
    expect(sqlLexer().tokenize('a "b""c').tokens.map((t) => `${t.tokenType.name}:${t.image}`)).toEqual(['PlainIdentifier:a', 'UnterminatedIdentifier:"b""c']);
  });

  it('operators, longest first', () => {
    expect(lex('<> != <= >= < > = || + - * / % . , ; ( ) [ ]').map((t) => t.split(':')[0])).toEqual([
      'NotEquals', 'NotEquals', 'LessEquals', 'GreaterEquals', 'Less', 'Greater', 'Equals', 'Concat', 'Plus', 'Minus',
      'Star', 'Slash', 'Percent', 'Dot', 'Comma', 'Semicolon', 'LParen', 'RParen', 'LBracket', 'RBracket',
    ]);
  });

  it('ARRAY<ARRAY<INT>> closes with two tokens', () => {
    expect(lex('ARRAY<ARRAY<INT>>').map((t) => t.split(':')[0])).toEqual([
      'ARRAY', 'Less', 'ARRAY', 'Less', 'PlainIdentifier', 'Greater', 'Greater',
    ]);
  });

  it('skips line and block comments', () => {
    expect(lex('a -- one\n/* two\nlines */ b')).toEqual(['PlainIdentifier:a', 'PlainIdentifier:b']);
  });
});
