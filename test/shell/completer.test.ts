import { describe, expect, it } from 'vitest';
import { K } from '../../src/parser/lexer.js';
import { complete, SQL_KEYWORDS } from '../../src/shell/completer.js';

describe('shell completion', () => {
  it('knows every keyword of the lexer', () => {
    expect(Object.keys(K).filter((k) => !SQL_KEYWORDS.includes(k))).toEqual([]);
  });

  it('completes keywords in the case typed, and catalog names as they are', () => {
    expect(complete('SEL', [])).toEqual([['SELECT'], 'SEL']);
    expect(complete('sel', [])).toEqual([['select'], 'sel']);
    expect(complete('SELECT * FROM fr', ['fraud_scores', 'tx'])).toEqual([['fraud_scores', 'from'], 'fr']);
    expect(complete('SELECT * FROM ', ['tx'])).toEqual([[], '']);
  });
});
