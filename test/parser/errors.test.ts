import { describe, expect, it } from 'vitest';
import { parseExpression, parseStatement, parseStatements } from '../../src/parser/index.js';
import { catchSluice } from './helpers.js';

/** The rendered error for `sql`, checked to be a SYNTAX_ERROR. */
function rendered(sql: string): string {
  const err = catchSluice(() => parseStatements(sql));
  expect(err.code).toBe('SYNTAX_ERROR');
  expect(err.kind).toBe('parse');
  return err.render();
}

const lines = (...l: string[]) => l.join('\n');

describe('syntax errors render with line, caret and hint', () => {
  it('misspelled FROM on line 3 of a multi-line statement', () => {
    expect(rendered('SELECT card_id,\n       amount\nFORM tx')).toBe(
      lines(
        "ERROR [SYNTAX_ERROR]: unexpected 'FORM'",
        'LINE 3: FORM tx',
        '        ^^^^',
        "HINT: expected FROM, WHERE, GROUP BY, HAVING, UNION, ORDER BY, LIMIT, ... or ';'; did you mean 'FROM'?",
      ),
    );
  });

  it('misspelled FROM right after a star', () => {
    expect(rendered('SELECT * FORM t')).toBe(
      lines(
        "ERROR [SYNTAX_ERROR]: unexpected 'FORM'",
        'LINE 1: SELECT * FORM t',
        '                 ^^^^',
        "HINT: expected FROM, WHERE, GROUP BY, HAVING, UNION, ORDER BY, LIMIT, OFFSET, ',' or ';'; did you mean 'FROM'?",
      ),
    );
  });

  it('misspelled SELECT', () => {
    expect(rendered('SELCT a FROM t')).toBe(
      lines(
        "ERROR [SYNTAX_ERROR]: unexpected 'SELCT'",
        'LINE 1: SELCT a FROM t',
        '        ^^^^^',
        "HINT: expected SELECT, CREATE, DROP, ALTER, INSERT, DELETE, TRUNCATE, ... or EXPLAIN; did you mean 'SELECT'?",
      ),
    );
  });

  it('misspelled keyword in the second statement of a script', () => {
    expect(rendered('SELECT a FROM t; SELEC b FROM u')).toBe(
      lines(
        "ERROR [SYNTAX_ERROR]: unexpected 'SELEC'",
        'LINE 1: SELECT a FROM t; SELEC b FROM u',
        '                         ^^^^^',
        "HINT: expected SELECT, CREATE, DROP, ALTER, INSERT, DELETE, TRUNCATE, ... or EXPLAIN; did you mean 'SELECT'?",
      ),
    );
  });

  it('misspelled AND on line 3', () => {
    expect(rendered('SELECT card_id, amount\nFROM tx\nWHERE amount > 10 ANDD card_id = 1')).toBe(
      lines(
        "ERROR [SYNTAX_ERROR]: unexpected 'ANDD'",
        'LINE 3: WHERE amount > 10 ANDD card_id = 1',
        '                          ^^^^',
        "HINT: expected GROUP BY, HAVING, UNION, ORDER BY, LIMIT, OFFSET, an operator or ';'; did you mean 'AND'?",
      ),
    );
  });

  it('unterminated string', () => {
    expect(rendered("SELECT a FROM t WHERE name = 'abc")).toBe(
      lines(
        'ERROR [SYNTAX_ERROR]: unterminated string literal',
        "LINE 1: SELECT a FROM t WHERE name = 'abc",
        '                                     ^^^^',
        "HINT: close it with ' (write '' for a quote inside a string)",
      ),
    );
  });

  it('missing closing parenthesis before FROM on the next line', () => {
    expect(rendered('SELECT COUNT(*\nFROM t')).toBe(
      lines("ERROR [SYNTAX_ERROR]: unexpected 'FROM'", 'LINE 2: FROM t', '        ^^^^', "HINT: expected ')'"),
    );
  });

  it('missing closing parenthesis at the end of input', () => {
    expect(rendered('SELECT a FROM t WHERE a IN (1, 2')).toBe(
      lines(
        'ERROR [SYNTAX_ERROR]: unexpected end of input',
        'LINE 1: SELECT a FROM t WHERE a IN (1, 2',
        '                                        ^',
        "HINT: expected an operator, ',' or ')'",
      ),
    );
  });

  it('trailing comma in a select list', () => {
    expect(rendered('SELECT a, b,\nFROM t')).toBe(
      lines(
        "ERROR [SYNTAX_ERROR]: unexpected 'FROM'",
        'LINE 2: FROM t',
        '        ^^^^',
        "HINT: expected an expression or '*'; remove the trailing ',' before 'FROM'",
      ),
    );
  });

  it('trailing comma in an option list', () => {
    expect(rendered("CREATE STREAM s (a INT) WITH (connector = 'x',)")).toBe(
      lines(
        "ERROR [SYNTAX_ERROR]: unexpected ')'",
        "LINE 1: CREATE STREAM s (a INT) WITH (connector = 'x',)",
        '                                                      ^',
        "HINT: expected a name or a string; remove the trailing ',' before ')'",
      ),
    );
  });

  it('bad type name on line 3', () => {
    expect(rendered('CREATE STREAM tx (\n  id STRING,\n  amount DUBLE\n)')).toBe(
      lines("ERROR [SYNTAX_ERROR]: unknown type 'DUBLE'", 'LINE 3:   amount DUBLE', '                 ^^^^^', "HINT: did you mean 'DOUBLE'?"),
    );
  });

  it('bad type name in a CAST', () => {
    expect(rendered('SELECT CAST(a AS VARCHR) FROM t')).toBe(
      lines(
        "ERROR [SYNTAX_ERROR]: unknown type 'VARCHR'",
        'LINE 1: SELECT CAST(a AS VARCHR) FROM t',
        '                         ^^^^^^',
        "HINT: did you mean 'VARCHAR'?",
      ),
    );
  });

  it('end of input after GROUP BY', () => {
    expect(rendered('SELECT a FROM t GROUP BY')).toBe(
      lines(
        'ERROR [SYNTAX_ERROR]: unexpected end of input',
        'LINE 1: SELECT a FROM t GROUP BY',
        '                                ^',
        'HINT: expected an expression',
      ),
    );
  });

  it('end of input after ON, trailing whitespace ignored', () => {
    expect(rendered('SELECT a FROM t LEFT JOIN u ON   ')).toBe(
      lines(
        'ERROR [SYNTAX_ERROR]: unexpected end of input',
        'LINE 1: SELECT a FROM t LEFT JOIN u ON   ',
        '                                      ^',
        'HINT: expected an expression',
      ),
    );
  });

  it('stray character on line 3', () => {
    expect(rendered('SELECT a FROM t WHERE a > 1\n  AND b < 2\n  AND c @ 3')).toBe(
      lines("ERROR [SYNTAX_ERROR]: unexpected character '@'", 'LINE 3:   AND c @ 3', '                ^'),
    );
  });

  it('reserved word as a name', () => {
    expect(rendered('CREATE STREAM select (a INT)')).toBe(
      lines(
        "ERROR [SYNTAX_ERROR]: unexpected 'select'",
        'LINE 1: CREATE STREAM select (a INT)',
        '                      ^^^^^^',
        'HINT: expected IF or a name; SELECT is a reserved word; write "select" in double quotes to use it as a name',
      ),
    );
  });

  it('missing option value', () => {
    expect(rendered('CREATE MODEL m INPUT (x DOUBLE) OUTPUT (y DOUBLE) WITH (path = )')).toBe(
      lines(
        "ERROR [SYNTAX_ERROR]: unexpected ')'",
        'LINE 1: CREATE MODEL m INPUT (x DOUBLE) OUTPUT (y DOUBLE) WITH (path = )',
        '                                                                       ^',
        "HINT: expected TRUE, FALSE, a string, a number or '-'",
      ),
    );
  });

  it('wrong number of window arguments', () => {
    expect(rendered("SELECT * FROM TABLE(HOP(TABLE tx, DESCRIPTOR(ts), INTERVAL '1' MINUTE))")).toBe(
      lines(
        'ERROR [SYNTAX_ERROR]: HOP takes 2 interval arguments after the DESCRIPTOR, got 1',
        "LINE 1: SELECT * FROM TABLE(HOP(TABLE tx, DESCRIPTOR(ts), INTERVAL '1' MINUTE))",
        '                            ^^^',
        'HINT: write HOP(TABLE t, DESCRIPTOR(ts), <slide>, <size>)',
      ),
    );
  });

  it('invalid timestamp literal', () => {
    expect(rendered("SELECT a FROM t WHERE ts > TIMESTAMP '2024-13-01 00:00:00'")).toBe(
      lines(
        "ERROR [SYNTAX_ERROR]: invalid timestamp '2024-13-01 00:00:00'",
        "LINE 1: SELECT a FROM t WHERE ts > TIMESTAMP '2024-13-01 00:00:00'",
        '                                             ^^^^^^^^^^^^^^^^^^^^^',
        "HINT: write e.g. TIMESTAMP '2024-01-31 23:59:59.999' (UTC)",
      ),
    );
  });

  it('interval without a unit', () => {
    expect(rendered("SELECT INTERVAL '5' FORTNIGHTS FROM t")).toBe(
      lines(
        "ERROR [SYNTAX_ERROR]: interval '5' has no unit",
        "LINE 1: SELECT INTERVAL '5' FORTNIGHTS FROM t",
        '               ^^^^^^^^^^^^',
        "HINT: write e.g. INTERVAL '5' SECOND, INTERVAL '1 month 2 days' or INTERVAL '01:30:00' (units: MILLISECOND, SECOND, MINUTE, HOUR, DAY, WEEK, MONTH, QUARTER, YEAR)",
      ),
    );
  });

  it('unterminated comment and quoted name', () => {
    expect(rendered('SELECT a /* comment')).toBe(
      lines('ERROR [SYNTAX_ERROR]: unterminated comment', 'LINE 1: SELECT a /* comment', '                 ^^^^^^^^^^', 'HINT: close it with */'),
    );
    expect(rendered('SELECT "abc FROM t')).toContain('ERROR [SYNTAX_ERROR]: unterminated quoted name');
  });

  it('PRIMARY KEY on a stream', () => {
    expect(rendered('CREATE STREAM s (a INT PRIMARY KEY)')).toBe(
      lines(
        'ERROR [SYNTAX_ERROR]: a stream has no PRIMARY KEY',
        'LINE 1: CREATE STREAM s (a INT PRIMARY KEY)',
        '                               ^^^^^^^',
        "HINT: use CREATE TABLE for keyed data, or WITH (key = '...') to partition a stream",
      ),
    );
  });
});

describe('error details', () => {
  it('carry a span covering the whole offending token', () => {
    const err = catchSluice(() => parseStatements('SELECT a\nFROM t\nWHERE x = = 1'));
    expect(err.message).toBe("unexpected '='");
    expect(err.span).toEqual({ start: { offset: 26, line: 3, column: 11 }, end: { offset: 27, line: 3, column: 12 } });
    expect(err.sql).toBe('SELECT a\nFROM t\nWHERE x = = 1');
  });

  it('at end of input are zero-width after the last token', () => {
    const err = catchSluice(() => parseStatements('SELECT a FROM -- comment'));
    expect(err.message).toBe('unexpected end of input');
    expect(err.span?.start).toEqual(err.span?.end);
    expect(err.span?.start.offset).toBe(13);
  });

  it('EXPLAIN only takes queries, views and sinks', () => {
    expect(catchSluice(() => parseStatement('EXPLAIN DROP STREAM s')).hint).toBe('expected VERBOSE, SELECT or CREATE');
    expect(catchSluice(() => parseStatement('EXPLAIN CREATE STREAM s (a INT)')).message).toBe(
      'EXPLAIN takes a SELECT, CREATE MATERIALIZED VIEW or CREATE SINK',
    );
  });

  it('reject OR REPLACE outside functions and double primary keys', () => {
    expect(catchSluice(() => parseStatement('CREATE OR REPLACE STREAM s (a INT)')).message).toBe('OR REPLACE is only supported for CREATE TABLE, CREATE FUNCTION and CREATE VIEW');
    expect(catchSluice(() => parseStatement('CREATE OR REPLACE MATERIALIZED VIEW v AS SELECT 1 AS a')).message).toBe('OR REPLACE is only supported for CREATE TABLE, CREATE FUNCTION and CREATE VIEW');
    expect(catchSluice(() => parseStatement('CREATE TABLE t (a INT PRIMARY KEY, PRIMARY KEY (a))')).message).toBe('PRIMARY KEY is declared twice');
    expect(catchSluice(() => parseStatement('CREATE TABLE t (a INT PRIMARY KEY, b INT PRIMARY KEY)')).message).toBe(
      'more than one column is marked PRIMARY KEY',
    );
  });

  it('parseStatement wants exactly one statement', () => {
    const two = catchSluice(() => parseStatement('SHOW STREAMS; SHOW TABLES'));
    expect(two.message).toBe('expected one statement, found 2');
    expect(two.span?.start.offset).toBe(14);
    expect(catchSluice(() => parseStatement('  ;  ')).message).toBe('no statement to run');
    expect(parseStatement('SHOW STREAMS;').kind).toBe('Show');
  });

  it('parseExpression rejects trailing input', () => {
    const err = catchSluice(() => parseExpression('a + b c'));
    expect(err.message).toBe("unexpected 'c'");
    expect(err.hint).toBe('expected an operator');
  });
});

describe('characters that do not print', () => {
  it('refuses a NUL anywhere, string literals included, pointing at it', () => {
    for (const sql of ['SHOW STREAMS;\u0000 SHOW TABLES', "SELECT 'a\u0000b' FROM t", '-- \u0000\nSHOW STREAMS']) {
      const err = catchSluice(() => parseStatements(sql));
      expect(err.code).toBe('SYNTAX_ERROR');
      expect(err.message).toBe('the SQL text holds a NUL character (U+0000)');
      expect(err.span?.start.offset).toBe(sql.indexOf('\u0000'));
    }
  });

  it('names other control characters by code point instead of printing them', () => {
    expect(catchSluice(() => parseStatements('SELECT \u0001 FROM t')).message).toBe('unexpected character U+0001');
  });
});
