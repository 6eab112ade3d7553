import { describe, expect, it } from 'vitest';
import { isQuery, splitStatements } from '../../src/shell/statement-splitter.js';

describe('splitStatements', () => {
  it('waits for a semicolon', () => {
    expect(splitStatements('SELECT 1\nFROM t')).toEqual({ statements: [], rest: 'SELECT 1\nFROM t' });
  });

  it('splits at top-level semicolons and keeps the rest', () => {
    expect(splitStatements('CREATE STREAM a (x INT); SELECT * FROM a; SEL')).toEqual({ statements: ['CREATE STREAM a (x INT)', 'SELECT * FROM a'], rest: ' SEL' });
  });

  it('ignores semicolons in strings, quoted names and comments', () => {
    const sql = "SELECT 'a;b', \"c;d\" -- e;f\nFROM t /* g; */;";
    expect(splitStatements(sql).statements).toEqual([sql.slice(0, -1)]);
    expect(splitStatements("SELECT 'it''s;' FROM t;").statements).toEqual(["SELECT 'it''s;' FROM t"]);
  });

  it('drops empty statements', () => {
    expect(splitStatements(';; -- nothing\n;').statements).toEqual([]);
  });

  it('tells queries from other statements', () => {
    expect(isQuery('  -- c\nselect 1')).toBe(true);
    expect(isQuery('WITH x AS (SELECT 1) SELECT * FROM x')).toBe(true);
    expect(isQuery('FROM tx SELECT tx_id')).toBe(true);
    expect(isQuery('EXPLAIN SELECT 1')).toBe(false);
    expect(isQuery('CREATE VIEW v AS SELECT 1')).toBe(false);
  });
});
