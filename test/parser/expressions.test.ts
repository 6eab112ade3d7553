import { describe, expect, it } from 'vitest';
import { typeToString } from '../../src/common/types.js';
import { type Expr, parseExpression } from '../../src/parser/index.js';
import { noSpans } from './helpers.js';

/** A fully parenthesised rendering of an expression tree, to check grouping. */
function sexpr(e: Expr): string {
  switch (e.kind) {
    case 'Literal':
      return e.literal === 'string' ? `'${String(e.value)}'` : String(e.value);
    case 'Interval':
      return `interval(${e.millis}ms)`;
    case 'TimestampLiteral':
      return `ts(${e.millis})`;
    case 'ColumnRef':
      return e.qualifier ? `${e.qualifier.name}.${e.column.name}` : e.column.name;
    case 'Binary':
      return `(${sexpr(e.left)} ${e.op} ${sexpr(e.right)})`;
    case 'Unary':
      return `(${e.op} ${sexpr(e.operand)})`;
    case 'IsNull':
      return `(${sexpr(e.operand)} IS ${e.negated ? 'NOT ' : ''}NULL)`;
    case 'In':
      return `(${sexpr(e.operand)} ${e.negated ? 'NOT ' : ''}IN [${e.list.map(sexpr).join(', ')}])`;
    case 'Between':
      return `(${sexpr(e.operand)} ${e.negated ? 'NOT ' : ''}BETWEEN ${sexpr(e.low)} ${sexpr(e.high)})`;
    case 'Like':
      return `(${sexpr(e.operand)} ${e.negated ? 'NOT ' : ''}LIKE ${sexpr(e.pattern)})`;
    case 'Case':
      return `case(${e.operand ? `${sexpr(e.operand)}; ` : ''}${e.whens.map((w) => `${sexpr(w.when)} => ${sexpr(w.then)}`).join(', ')}${e.else ? `; else ${sexpr(e.else)}` : ''})`;
    case 'Cast':
      return `cast(${sexpr(e.operand)} as ${typeToString(e.type)})`;
    case 'Call':
      return `${e.name.name}(${e.distinct ? 'distinct ' : ''}${e.star ? '*' : e.args.map(sexpr).join(', ')})`;
    case 'FieldAccess':
      return `field(${sexpr(e.operand)}, ${e.field.name})`;
    case 'Index':
      return `index(${sexpr(e.operand)}, ${sexpr(e.index)})`;
    case 'Array':
      return `[${e.elements.map(sexpr).join(', ')}]`;
    case 'Lambda':
      return `lambda(${e.params.map((p) => p.name).join(', ')}: ${sexpr(e.body)})`;
    case 'LambdaRef':
      return `@${e.name}`;
    case 'InSubquery':
      return `(${sexpr(e.operand)} ${e.negated ? 'NOT ' : ''}IN subquery)`;
    case 'Exists':
      return 'exists(subquery)';
    case 'ScalarSubquery':
      return 'subquery';
  }
}

const p = (sql: string) => sexpr(parseExpression(sql));

describe('precedence', () => {
  it.each([
    ['a OR b AND c', '(a OR (b AND c))'],
    ['a AND b OR c AND d', '((a AND b) OR (c AND d))'],
    ['NOT a AND b', '((NOT a) AND b)'],
    ['NOT a = b', '(NOT (a = b))'],
    ['NOT NOT a', '(NOT (NOT a))'],
    ['a = b AND c <> d', '((a = b) AND (c <> d))'],
    ['a != b', '(a <> b)'],
    ['a + b * c', '(a + (b * c))'],
    ['a - b - c', '((a - b) - c)'],
    ['a / b % c * d', '(((a / b) % c) * d)'],
    ['(a + b) * c', '((a + b) * c)'],
    ['-a * b', '((- a) * b)'],
    ['- -a', '(- (- a))'],
    ['+a', 'a'],
    ['a || b + c', '(a || (b + c))'],
    ["a || 'x' = b", "((a || 'x') = b)"],
    ['a + 1 > b * 2 OR c', '(((a + 1) > (b * 2)) OR c)'],
    ['a < b = TRUE', '((a < b) = true)'],
    ['a IS NULL AND b IS NOT NULL', '((a IS NULL) AND (b IS NOT NULL))'],
    ['a + 1 IS NULL', '((a + 1) IS NULL)'],
    ['NOT a IS NULL', '(NOT (a IS NULL))'],
    ['a IN (1, 2) OR b NOT IN (3)', '((a IN [1, 2]) OR (b NOT IN [3]))'],
    ['a BETWEEN 1 AND 2 AND b', '((a BETWEEN 1 2) AND b)'],
    ['a NOT BETWEEN b - 1 AND b + 1', '(a NOT BETWEEN (b - 1) (b + 1))'],
    ["a LIKE 'x%' AND b NOT LIKE 'y' || 'z'", "((a LIKE 'x%') AND (b NOT LIKE ('y' || 'z')))"],
    ['-a[1]', '(- index(a, 1))'],
    ['-x.y', '(- x.y)'],
    ['a.b.c', 'field(a.b, c)'],
    ['a[1].b[2]', 'index(field(index(a, 1), b), 2)'],
    ['(a).b', 'field(a, b)'],
    ["predict('m', x).score", "field(predict('m', x), score)"],
    ["predict('m', x).score > 0.5", "(field(predict('m', x), score) > 0.5)"],
    ['t.value', 't.value'],
    ['r.key.type', 'field(r.key, type)'],
  ])('%s', (sql, expected) => {
    expect(p(sql)).toBe(expected);
  });
});

describe('primaries', () => {
  it.each([
    ['42', '42'],
    ['1.5', '1.5'],
    ['1e3', '1000'],
    ['.5', '0.5'],
    ["'it''s'", "'it's'"],
    ['TRUE', 'true'],
    ['false', 'false'],
    ['NULL', 'null'],
    ["INTERVAL '5' SECOND", 'interval(5000ms)'],
    ["INTERVAL '250' MILLISECONDS", 'interval(250ms)'],
    ["INTERVAL '2' HOURS", 'interval(7200000ms)'],
    ["INTERVAL '1' DAY", 'interval(86400000ms)'],
    ["INTERVAL '1.5' MINUTE", 'interval(90000ms)'],
    ["INTERVAL '5 SECONDS'", 'interval(5000ms)'],
    ["interval '100 ms'", 'interval(100ms)'],
    ["TIMESTAMP '1970-01-01 00:00:01'", 'ts(1000)'],
    ["TIMESTAMP '2024-02-29T12:30:00.123Z'", `ts(${Date.UTC(2024, 1, 29, 12, 30, 0, 123)})`],
    ["TIMESTAMP '2024-03-01'", `ts(${Date.UTC(2024, 2, 1)})`],
    ['timestamp', 'timestamp'],
    ['COUNT(*)', 'COUNT(*)'],
    ['count(DISTINCT a)', 'count(distinct a)'],
    ['PROCTIME()', 'PROCTIME()'],
    ['coalesce(a, b, 0)', 'coalesce(a, b, 0)'],
    ['CAST(a AS BIGINT)', 'cast(a as BIGINT)'],
    ['CAST(a AS ARRAY<FLOAT>(3))', 'cast(a as ARRAY<FLOAT>(3))'],
    ['CAST(ts AS TIMESTAMP(0))', 'cast(ts as TIMESTAMP(0))'],
    ["CASE WHEN a > 1 THEN 'x' WHEN a > 0 THEN 'y' ELSE 'z' END", "case((a > 1) => 'x', (a > 0) => 'y'; else 'z')"],
    ["CASE a WHEN 1 THEN 'one' END", "case(a; 1 => 'one')"],
    ['ARRAY[1, 2, 3]', '[1, 2, 3]'],
    ['ARRAY[]', '[]'],
    ['`quoted col` + "Other"', '(quoted col + Other)'],
  ])('%s', (sql, expected) => {
    expect(p(sql)).toBe(expected);
  });

  it('literal kinds', () => {
    expect(noSpans(parseExpression('42'))).toEqual({ kind: 'Literal', literal: 'integer', value: 42 });
    expect(noSpans(parseExpression('4e2'))).toEqual({ kind: 'Literal', literal: 'decimal', value: 400, digits: '4e2' });
    // Integers beyond 2^53 keep every digit (a bigint); decimals keep their source digits.
    expect(parseExpression('9007199254740993')).toMatchObject({ kind: 'Literal', literal: 'integer', value: 9007199254740993n });
    expect(noSpans(parseExpression('9007199254740993.4'))).toMatchObject({ literal: 'decimal', digits: '9007199254740993.4' });
    expect(noSpans(parseExpression("INTERVAL '5 seconds'"))).toEqual({ kind: 'Interval', text: '5 seconds', unit: 'SECOND', millis: 5000, months: 0 });
  });
});

describe('spans', () => {
  it('cover the whole expression, 1-based columns, end exclusive', () => {
    const e = parseExpression('a + b * c');
    expect(e.span).toEqual({ start: { offset: 0, line: 1, column: 1 }, end: { offset: 9, line: 1, column: 10 } });
    if (e.kind !== 'Binary') throw new Error(e.kind);
    expect(e.right.span.start.offset).toBe(4);
    expect(e.right.span.end.offset).toBe(9);
  });

  it('include parentheses of a grouped operand and the closing token of postfix forms', () => {
    const e = parseExpression('(a + b) * c[2]');
    if (e.kind !== 'Binary') throw new Error(e.kind);
    expect([e.span.start.offset, e.span.end.offset]).toEqual([0, 14]);
    expect([e.right.span.start.offset, e.right.span.end.offset]).toEqual([10, 14]);
  });

  it('track lines across newlines', () => {
    const e = parseExpression("f(x,\n   'y')\n  .z");
    expect(e.kind).toBe('FieldAccess');
    expect(e.span.end).toEqual({ offset: 17, line: 3, column: 5 });
    if (e.kind !== 'FieldAccess') throw new Error(e.kind);
    expect(e.field.span.start).toEqual({ offset: 16, line: 3, column: 4 });
    if (e.operand.kind !== 'Call') throw new Error(e.operand.kind);
    expect(e.operand.args[1]!.span.start).toEqual({ offset: 8, line: 2, column: 4 });
  });

  it('of a qualified column cover qualifier and name; identifiers have their own', () => {
    const e = parseExpression('  tx.amount');
    if (e.kind !== 'ColumnRef') throw new Error(e.kind);
    expect([e.span.start.column, e.span.end.column]).toEqual([3, 12]);
    expect([e.qualifier?.span.start.column, e.qualifier?.span.end.column]).toEqual([3, 5]);
    expect([e.column.span.start.column, e.column.span.end.column]).toEqual([6, 12]);
  });

  it('of IS NULL and IN end at their last token', () => {
    expect(parseExpression('a IS NOT NULL').span.end.offset).toBe(13);
    expect(parseExpression('a IN (1, 2)').span.end.offset).toBe(11);
    expect(parseExpression('NOT a').span.start.offset).toBe(0);
  });
});
