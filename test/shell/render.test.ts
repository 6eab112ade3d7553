import { describe, expect, it } from 'vitest';
import { printResult, renderApiError, renderTable } from '../../src/shell/render.js';

describe('renderTable', () => {
  it('aligns columns, right-aligns numbers and counts rows', () => {
    expect(renderTable([{ name: 'card_id' }, { name: 'n' }], [['c1', 5], ['card-22', 120], ['c3', null]])).toBe(
      [' card_id |    n', '---------+------', ' c1      |    5', ' card-22 |  120', ' c3      | NULL', '(3 rows)'].join('\n'),
    );
  });

  it('renders arrays and objects as JSON', () => {
    expect(renderTable([{ name: 'f' }], [[[1, 2]], [{ a: 1 }]])).toContain('[1,2]');
  });

  it('shows every decimal of a DECIMAL column, as DuckDB prints it', () => {
    expect(renderTable([{ name: 'amount', type: 'DECIMAL(10,2)' }, { name: 'x', type: 'DOUBLE' }], [[0.1, 0.1], [12, 12], [null, null]])).toBe(
      [' amount |    x', '--------+------', '   0.10 |  0.1', '  12.00 |   12', '   NULL | NULL', '(3 rows)'].join('\n'),
    );
  });

  it('shows an INTERVAL as days and a clock, as DuckDB prints it', () => {
    const day = 86_400_000;
    const rows = [[14 * day + 10 * 3_600_000], [-(day + 1500)], [0], [5400_000], [null]];
    expect(renderTable([{ name: 'took', type: 'INTERVAL' }], rows).split('\n').slice(2, 7).map((l) => l.trim())).toEqual(['14 days 10:00:00', '-1 day -00:00:01.5', '00:00:00', '01:30:00', 'NULL']);
  });
});

describe('renderApiError', () => {
  it('draws the line and a caret under the span from the SQL that was sent', () => {
    const text = renderApiError(
      { code: 'UNKNOWN_COLUMN', message: "unknown column 'amout'", position: { line: 2, column: 8, offset: 16 }, end: { line: 2, column: 13, offset: 21 }, hint: "did you mean 'amount'?" },
      'SELECT x\nWHERE  amout > 1',
    );
    expect(text).toBe(["ERROR [UNKNOWN_COLUMN]: unknown column 'amout'", 'LINE 2: WHERE  amout > 1', '               ^^^^^', "HINT: did you mean 'amount'?"].join('\n'));
  });

  it('underlines the word at the position when no end is given', () => {
    expect(renderApiError({ code: 'SYNTAX_ERROR', message: 'bad', position: { line: 1, column: 1 } }, 'SELEC 1')).toContain('LINE 1: SELEC 1\n        ^^^^^');
  });

  it('renders unknown codes and connection errors without a caret', () => {
    expect(renderApiError({ code: 'CONNECTION', message: 'cannot reach', hint: 'start it' }, 'x')).toBe('ERROR [CONNECTION]: cannot reach\nHINT: start it');
  });
});

describe('printResult with a pull query\'s failed rows', () => {
  it('prints the table, then each failed row with its reason', () => {
    let out = '';
    printResult(
      { kind: 'rows', columns: [{ name: 'g' }, { name: 'q' }], rows: [['b', 50]], errors: [{ reason: 'SELECT q := 100 / (t - 5): division by zero', row: { g: 'c', t: 5 } }] },
      (s) => (out += s),
    );
    expect(out).toBe(
      [
        renderTable([{ name: 'g' }, { name: 'q' }], [['b', 50]]),
        '-- 1 row failed:',
        'ERROR (1 of 1): SELECT q := 100 / (t - 5): division by zero',
        '  row: {"g":"c","t":5}',
        '',
      ].join('\n'),
    );
  });

  it('prints nothing more when no row failed', () => {
    let out = '';
    printResult({ kind: 'rows', columns: [{ name: 'g' }], rows: [['b']], errors: [] }, (s) => (out += s));
    expect(out).toBe(`${renderTable([{ name: 'g' }], [['b']])}\n`);
  });
});
