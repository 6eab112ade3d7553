import { describe, expect, it } from 'vitest';
import { SqlParser } from '../../src/parser/grammar.js';
import { buildLexer } from '../../src/parser/lexer.js';

// The engine builds its lexer and parser without chevrotain's definition checks to start fast;
// these builds run them, so a token or rule change that breaks the grammar fails here.
describe('grammar definitions', () => {
  it('the lexer passes chevrotain validation', () => {
    const lexer = buildLexer(true);
    expect(lexer.lexerDefinitionErrors).toEqual([]);
    expect(lexer.tokenize('SELECT a FROM t').errors).toEqual([]);
  });

  it('the parser passes chevrotain validation (no ambiguity, no left recursion)', () => {
    // performSelfAnalysis throws 'Parser Definition Errors detected' when a check fails.
    expect(() => new SqlParser(true)).not.toThrow();
  });
});
