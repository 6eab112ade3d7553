import { describe, expect, it } from 'vitest';
import { K } from '../../src/parser/lexer.js';
import { complete, EMPTY_CATALOG, SQL_KEYWORDS, type CompletionCatalog } from '../../src/shell/completer.js';

const CATALOG: CompletionCatalog = {
  relations: [
    { name: 'tx', kind: 'stream', columns: [{ name: 'tx_id' }, { name: 'card_id' }, { name: 'amount' }, { name: 'ts' }] },
    { name: 'card_features', kind: 'table', columns: [{ name: 'card_id' }, { name: 'avg_amount' }] },
    { name: 'fraud_scores', kind: 'view', columns: [{ name: 'score' }] },
    { name: 'alerts', kind: 'sink', columns: [{ name: 'tx_id' }] },
  ],
  models: ['fraud', 'fraud_v2'],
  functions: ['fahrenheit'],
  options: ['connector', 'key', 'partitions', 'rows.per.second'],
};

describe('shell completion', () => {
  it('knows every keyword of the lexer', () => {
    expect(Object.keys(K).filter((k) => !SQL_KEYWORDS.includes(k))).toEqual([]);
  });

  it('completes keywords in the case typed', () => {
    expect(complete('SEL', EMPTY_CATALOG)).toEqual([['SELECT'], 'SEL']);
    expect(complete('sel', EMPTY_CATALOG)).toEqual([['select'], 'sel']);
  });

  it('offers the words that start a statement on an empty line', () => {
    const [words, word] = complete('', CATALOG);
    expect(word).toBe('');
    expect(words).toEqual(expect.arrayContaining(['SELECT', 'CREATE', 'INSERT', 'SHOW', 'DESCRIBE', 'SET', 'help', 'exit']));
    expect(words).not.toContain('tx');
  });

  it('offers relations that can be read after FROM and JOIN, and nothing else', () => {
    expect(complete('SELECT * FROM fr', CATALOG)).toEqual([['fraud_scores'], 'fr']);
    expect(complete('SELECT * FROM ', CATALOG)).toEqual([['card_features', 'fraud_scores', 'tx'], '']);
    expect(complete('SELECT * FROM tx JOIN ca', CATALOG)).toEqual([['card_features'], 'ca']);
    expect(complete('INSERT INTO t', CATALOG)).toEqual([['tx'], 't']);
    expect(complete('DESCRIBE fr', CATALOG)).toEqual([['fraud', 'fraud_scores', 'fraud_v2'], 'fr']);
    expect(complete('\\d a', CATALOG)).toEqual([['alerts'], 'a']);
  });

  it('offers the columns of the relations the statement names, by name or alias', () => {
    expect(complete('SELECT tx_id, am FROM tx WHERE ', CATALOG)[0]).toEqual(expect.arrayContaining(['tx_id', 'card_id', 'amount', 'ts']));
    expect(complete('SELECT a', CATALOG)[0]).toEqual(expect.arrayContaining(['amount', 'avg_amount']));
    const [cols] = complete('SELECT * FROM tx JOIN card_features ON tx.card_id = card_features.card_id WHERE av', CATALOG);
    expect(cols).toEqual(['avg_amount', 'avg']);
    expect(complete('SELECT t.am', CATALOG)).toEqual([[], 'am']);
    expect(complete('SELECT * FROM tx t WHERE t.am', CATALOG)).toEqual([['amount'], 'am']);
    expect(complete('SELECT * FROM tx AS t WHERE t.', CATALOG)).toEqual([['amount', 'card_id', 'ts', 'tx_id'], '']);
    expect(complete('SELECT fah', CATALOG)[0]).toEqual(['fahrenheit']);
  });

  it('offers model names inside predict(), quoted or not', () => {
    expect(complete("SELECT predict('fr", CATALOG)).toEqual([['fraud', 'fraud_v2'], 'fr']);
    expect(complete('SELECT tx_id, PREDICT(', CATALOG)).toEqual([['fraud', 'fraud_v2'], '']);
  });

  it('offers option keys inside WITH (...)', () => {
    expect(complete("CREATE STREAM s (x INT) WITH ('p", CATALOG)).toEqual([['partitions'], 'p']);
    expect(complete("CREATE STREAM s (x INT) WITH (connector = 'log', k", CATALOG)).toEqual([['key'], 'k']);
    expect(complete("CREATE STREAM s (x INT) WITH (connector = 'log') ", CATALOG)[0]).not.toContain('partitions');
  });
});
