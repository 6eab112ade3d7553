import { describe, expect, it } from 'vitest';
import type { SelectQuery, Statement } from '../../src/parser/index.js';
import { parseStatement, parseStatements } from '../../src/parser/index.js';
import { noSpans } from './helpers.js';

function query(sql: string): SelectQuery {
  const s = parseStatement(sql);
  if (s.kind !== 'Query') throw new Error(`expected a query, got ${s.kind}`);
  return s.query;
}

function shape(sql: string): Statement {
  return noSpans(parseStatement(sql));
}

describe('CREATE STREAM / TABLE', () => {
  it('IF NOT EXISTS, NOT NULL, types and a WITH list with dotted bare keys', () => {
    const s = parseStatement(
      `create stream if not exists clicks (
         id BIGINT NOT NULL, ok BOOLEAN, n INT, m INTEGER, r REAL, d DOUBLE PRECISION,
         s VARCHAR(20), t TEXT, b BYTES, i INTERVAL, p STRUCT<x DOUBLE, y DOUBLE>,
         nested ARRAY<ARRAY<INT>>, ts TIMESTAMP
       ) with (connector = 'file', batch.max_rows = 10, 'value.format' = 'json', strict = true, lag = -1.5)`,
    );
    if (s.kind !== 'CreateStream') throw new Error(s.kind);
    expect(s.ifNotExists).toBe(true);
    expect(s.columns.map((c) => [c.name.name, c.type])).toEqual([
      ['id', { kind: 'BIGINT' }], ['ok', { kind: 'BOOLEAN' }], ['n', { kind: 'INT' }], ['m', { kind: 'INT' }],
      ['r', { kind: 'FLOAT' }], ['d', { kind: 'DOUBLE' }], ['s', { kind: 'STRING' }], ['t', { kind: 'STRING' }],
      ['b', { kind: 'BYTES' }], ['i', { kind: 'INTERVAL' }],
      ['p', { kind: 'STRUCT', fields: [{ name: 'x', type: { kind: 'DOUBLE' }, nullable: true }, { name: 'y', type: { kind: 'DOUBLE' }, nullable: true }] }],
      ['nested', { kind: 'ARRAY', element: { kind: 'ARRAY', element: { kind: 'INT' } } }],
      ['ts', { kind: 'TIMESTAMP', precision: 3 }],
    ]);
    expect(s.columns[0]!.notNull).toBe(true);
    expect(noSpans(s.options)).toEqual([
      { key: 'connector', value: 'file' },
      { key: 'batch.max_rows', value: 10 },
      { key: 'value.format', value: 'json' },
      { key: 'strict', value: true },
      { key: 'lag', value: -1.5 },
    ]);
  });

  it('a stream without WITH', () => {
    expect(shape('CREATE STREAM s (a INT)')).toMatchObject({ kind: 'CreateStream', options: [] });
  });

  it('table-level composite PRIMARY KEY and a watermark', () => {
    const s = parseStatement(
      "CREATE TABLE IF NOT EXISTS t (a STRING, b INT, ts TIMESTAMP(3), PRIMARY KEY (a, b), WATERMARK FOR ts AS ts) WITH (connector = 'table')",
    );
    if (s.kind !== 'CreateTable') throw new Error(s.kind);
    expect(s.ifNotExists).toBe(true);
    expect(s.primaryKey.map((k) => k.name)).toEqual(['a', 'b']);
    expect(s.columns.every((c) => !c.primaryKey)).toBe(true);
    expect(s.watermark?.column.name).toBe('ts');
  });

  it('soft keywords work as column names', () => {
    const s = parseStatement(
      'CREATE STREAM s (key STRING, value DOUBLE, time BIGINT, timestamp TIMESTAMP, type STRING, name STRING, version INT, ' +
        'model STRING, session STRING, watermark INT, window_start TIMESTAMP, date_time STRING, timestamp_col BIGINT, input INT, output INT)',
    );
    if (s.kind !== 'CreateStream') throw new Error(s.kind);
    expect(s.columns.map((c) => c.name.name)).toEqual([
      'key', 'value', 'time', 'timestamp', 'type', 'name', 'version', 'model', 'session', 'watermark', 'window_start',
      'date_time', 'timestamp_col', 'input', 'output',
    ]);
  });

  it('quoted identifiers keep their case and may be keywords', () => {
    const s = parseStatement('CREATE STREAM "My Stream" ("select" INT, `from` INT, "a""b" INT)');
    if (s.kind !== 'CreateStream') throw new Error(s.kind);
    expect(s.name.name).toBe('My Stream');
    expect(s.columns.map((c) => c.name.name)).toEqual(['select', 'from', 'a"b']);
  });
});

describe('CREATE MODEL / FUNCTION / VIEW / SINK', () => {
  it('CREATE MODEL IF NOT EXISTS without WITH', () => {
    expect(shape('CREATE MODEL IF NOT EXISTS m INPUT (x DOUBLE, y DOUBLE) OUTPUT (label INT, probs ARRAY<FLOAT>(2))')).toEqual({
      kind: 'CreateModel',
      name: { name: 'm' },
      ifNotExists: true,
      inputs: [
        { name: { name: 'x' }, type: { kind: 'DOUBLE' }, notNull: false, primaryKey: false },
        { name: { name: 'y' }, type: { kind: 'DOUBLE' }, notNull: false, primaryKey: false },
      ],
      outputs: [
        { name: { name: 'label' }, type: { kind: 'INT' }, notNull: false, primaryKey: false },
        { name: { name: 'probs' }, type: { kind: 'ARRAY', element: { kind: 'FLOAT' }, size: 2 }, notNull: false, primaryKey: false },
      ],
      options: [],
    });
  });

  it('CREATE OR REPLACE FUNCTION with an inline body', () => {
    expect(shape("CREATE OR REPLACE FUNCTION add2(x DOUBLE, y DOUBLE) RETURNS DOUBLE LANGUAGE javascript AS 'return x + y'")).toEqual({
      kind: 'CreateFunction',
      name: { name: 'add2' },
      orReplace: true,
      params: [
        { name: { name: 'x' }, type: { kind: 'DOUBLE' } },
        { name: { name: 'y' }, type: { kind: 'DOUBLE' } },
      ],
      returns: { kind: 'DOUBLE' },
      language: 'javascript',
      body: 'return x + y',
      options: [],
    });
  });

  it('CREATE FUNCTION with a module and no parameters', () => {
    expect(shape("CREATE FUNCTION now_ms() RETURNS BIGINT LANGUAGE JavaScript WITH (module = './f.js', export = 'f')")).toEqual({
      kind: 'CreateFunction',
      name: { name: 'now_ms' },
      orReplace: false,
      params: [],
      returns: { kind: 'BIGINT' },
      language: 'javascript',
      options: [{ key: 'module', value: './f.js' }, { key: 'export', value: 'f' }],
    });
  });

  it('CREATE MATERIALIZED VIEW with options and IF NOT EXISTS', () => {
    const s = parseStatement("CREATE MATERIALIZED VIEW IF NOT EXISTS v WITH ('retention' = '1h') AS SELECT a FROM t");
    expect(s).toMatchObject({ kind: 'CreateMaterializedView', ifNotExists: true, options: [{ key: 'retention', value: '1h' }] });
  });

  it('CREATE SINK IF NOT EXISTS', () => {
    expect(parseStatement("CREATE SINK IF NOT EXISTS k WITH (connector = 'file', path = '/tmp/x') AS SELECT * FROM v")).toMatchObject({
      kind: 'CreateSink',
      ifNotExists: true,
      name: { name: 'k' },
    });
  });
});

describe('DROP / ALTER / SHOW / DESCRIBE / INSERT / EXPLAIN', () => {
  it.each([
    ['DROP STREAM s', 'STREAM', false],
    ['DROP TABLE IF EXISTS s', 'TABLE', true],
    ['drop model s', 'MODEL', false],
    ['DROP FUNCTION IF EXISTS s', 'FUNCTION', true],
    ['DROP MATERIALIZED VIEW s', 'MATERIALIZED VIEW', false],
    ['DROP VIEW s', 'MATERIALIZED VIEW', false],
    ['DROP SINK s', 'SINK', false],
    ['DROP QUERY s', 'QUERY', false],
  ] as const)('%s', (sql, objectKind, ifExists) => {
    expect(shape(sql)).toEqual({ kind: 'Drop', objectKind, name: { name: 's' }, ifExists });
  });

  it.each([
    ['SHOW STREAMS', 'STREAMS'],
    ['show tables', 'TABLES'],
    ['SHOW MODELS', 'MODELS'],
    ['SHOW FUNCTIONS', 'FUNCTIONS'],
    ['SHOW QUERIES', 'QUERIES'],
    ['SHOW VIEWS', 'VIEWS'],
    ['SHOW MATERIALIZED VIEWS', 'VIEWS'],
    ['SHOW SINKS;', 'SINKS'],
  ] as const)('%s', (sql, what) => {
    expect(shape(sql)).toEqual({ kind: 'Show', what });
  });

  it('DESCRIBE with and without a kind, and DESC', () => {
    expect(shape('DESCRIBE tx')).toEqual({ kind: 'Describe', name: { name: 'tx' } });
    expect(shape('DESCRIBE MODEL fraud')).toEqual({ kind: 'Describe', objectKind: 'MODEL', name: { name: 'fraud' } });
    expect(shape('DESC MATERIALIZED VIEW v')).toEqual({ kind: 'Describe', objectKind: 'MATERIALIZED VIEW', name: { name: 'v' } });
    expect(shape('DESCRIBE model')).toEqual({ kind: 'Describe', name: { name: 'model' } });
  });

  it('ALTER MODEL with several options', () => {
    expect(shape("ALTER MODEL m SET (path = 'b.onnx', batch.max_rows = 64)")).toEqual({
      kind: 'AlterModel',
      name: { name: 'm' },
      action: 'set',
      options: [{ key: 'path', value: 'b.onnx' }, { key: 'batch.max_rows', value: 64 }],
    });
  });

  it('ALTER MODEL candidates: SET CANDIDATE, PROMOTE, ROLLBACK TO VERSION, DROP CANDIDATE', () => {
    expect(shape("ALTER MODEL fraud SET CANDIDATE (path = 'models/fraud-mlp.onnx', mode = 'canary', share = 0.1)")).toEqual({
      kind: 'AlterModel',
      name: { name: 'fraud' },
      action: 'candidate',
      options: [{ key: 'path', value: 'models/fraud-mlp.onnx' }, { key: 'mode', value: 'canary' }, { key: 'share', value: 0.1 }],
    });
    expect(shape('ALTER MODEL fraud PROMOTE')).toEqual({ kind: 'AlterModel', name: { name: 'fraud' }, action: 'promote', options: [] });
    expect(shape('alter model fraud rollback to version 1')).toEqual({ kind: 'AlterModel', name: { name: 'fraud' }, action: 'rollback', options: [], version: { value: 1 } });
    expect(shape('ALTER MODEL fraud DROP CANDIDATE')).toEqual({ kind: 'AlterModel', name: { name: 'fraud' }, action: 'drop candidate', options: [] });
    // The new words stay usable as names.
    expect(shape('SELECT version, candidate, to FROM s')).toMatchObject({ kind: 'Query' });
  });

  it('INSERT with columns and several rows', () => {
    expect(shape("INSERT INTO tx (tx_id, amount) VALUES ('a', 1.5), ('b', -2)")).toEqual({
      kind: 'Insert',
      target: { name: 'tx' },
      columns: [{ name: 'tx_id' }, { name: 'amount' }],
      rows: [
        [{ kind: 'Literal', literal: 'string', value: 'a' }, { kind: 'Literal', literal: 'decimal', value: 1.5, digits: '1.5' }],
        [{ kind: 'Literal', literal: 'string', value: 'b' }, { kind: 'Unary', op: '-', operand: { kind: 'Literal', literal: 'integer', value: 2 } }],
      ],
    });
  });

  it('INSERT without columns, with timestamps, arrays and NULL', () => {
    const s = parseStatement("INSERT INTO tx VALUES (TIMESTAMP '2024-01-01 00:00:01.5', ARRAY[1.0, 2.0], NULL)");
    if (s.kind !== 'Insert') throw new Error(s.kind);
    expect(s.columns).toBeUndefined();
    expect(noSpans(s.rows[0])).toEqual([
      { kind: 'TimestampLiteral', type: 'TIMESTAMP', text: '2024-01-01 00:00:01.5', millis: Date.UTC(2024, 0, 1, 0, 0, 1, 500) },
      { kind: 'Array', elements: [{ kind: 'Literal', literal: 'decimal', value: 1, digits: '1.0' }, { kind: 'Literal', literal: 'decimal', value: 2, digits: '2.0' }] },
      { kind: 'Literal', literal: 'null', value: null },
    ]);
  });

  it('EXPLAIN of a select, a view and a sink', () => {
    expect(parseStatement('EXPLAIN SELECT a FROM t')).toMatchObject({ kind: 'Explain', statement: { kind: 'Query' } });
    expect(parseStatement('EXPLAIN CREATE MATERIALIZED VIEW v AS SELECT a FROM t')).toMatchObject({
      kind: 'Explain',
      statement: { kind: 'CreateMaterializedView', name: { name: 'v' } },
    });
    expect(parseStatement("EXPLAIN CREATE SINK k WITH (connector = 'x') AS SELECT a FROM t")).toMatchObject({
      kind: 'Explain',
      statement: { kind: 'CreateSink' },
    });
  });
});

describe('SELECT', () => {
  it('DISTINCT, WHERE, GROUP BY, HAVING, ORDER BY, LIMIT', () => {
    const q = query('SELECT DISTINCT a, SUM(b) s FROM t WHERE a > 1 GROUP BY a HAVING SUM(b) > 10 ORDER BY s DESC, a ASC, b LIMIT 5');
    expect(q.distinct).toBe(true);
    expect(noSpans(q.items[1])).toMatchObject({ kind: 'ExprItem', alias: { name: 's' } });
    expect(q.groupBy).toHaveLength(1);
    expect(q.having?.kind).toBe('Binary');
    expect(q.orderBy.map((o) => o.desc)).toEqual([true, false, false]);
    expect(q.limit).toBe(5);
  });

  it('FETCH FIRST | NEXT [n] ROW | ROWS ONLY and OFFSET n ROW | ROWS are LIMIT and OFFSET', () => {
    const limits = (sql: string) => {
      const q = query(sql);
      return [q.limit, q.offset];
    };
    expect(limits('SELECT a FROM t ORDER BY a FETCH FIRST 3 ROWS ONLY')).toEqual([3, undefined]);
    expect(limits('SELECT a FROM t FETCH NEXT ROW ONLY')).toEqual([1, undefined]);
    expect(limits('SELECT a FROM t OFFSET 2 ROWS FETCH FIRST 1 ROW ONLY')).toEqual([1, 2]);
    expect(limits('SELECT a FROM t FETCH FIRST 4 ROWS ONLY OFFSET 1 ROW')).toEqual([4, 1]);
    expect(limits('SELECT a FROM t LIMIT 5 OFFSET 6 ROWS')).toEqual([5, 6]);
    expect(limits('SELECT a FROM t ORDER BY a OFFSET 7')).toEqual([undefined, 7]);
    // FETCH stays a name, unless FIRST or NEXT follows it.
    expect(noSpans(query('SELECT fetch FROM t fetch').from)).toEqual({ kind: 'TableRef', name: { name: 't' }, alias: { name: 'fetch' } });
    expect(limits('SELECT a FROM t FETCH FIRST 2 ROWS ONLY')).toEqual([2, undefined]);
  });

  it('WITH ... AS [NOT] MATERIALIZED (...) is the same common table', () => {
    const plain = noSpans(query('WITH c AS (SELECT a FROM t) SELECT a FROM c'));
    expect(noSpans(query('WITH c AS MATERIALIZED (SELECT a FROM t) SELECT a FROM c'))).toEqual(plain);
    expect(noSpans(query('WITH c AS NOT MATERIALIZED (SELECT a FROM t) SELECT a FROM c'))).toEqual(plain);
  });

  it('x op ANY | ALL (list): a CASE over the list; ANY ((SELECT ...)) is the subquery form', () => {
    const item = (sql: string) => {
      const i = query(sql).items[0]!;
      if (i.kind !== 'ExprItem') throw new Error(i.kind);
      return i.expr;
    };
    expect(item('SELECT x = ANY ([1, 2]) FROM t')).toMatchObject({ kind: 'Case', whens: [{}, {}, { when: { right: { kind: 'Call', name: { name: 'list_contains' } } } }, {}] });
    expect(item('SELECT x > ALL (l) FROM t')).toMatchObject({ kind: 'Case', else: { value: true } });
    expect(item('SELECT x = SOME ((SELECT a FROM u)) FROM t')).toMatchObject({ kind: 'InSubquery', negated: false });
  });

  it('ARRAY(SELECT ...) is COALESCE((SELECT LIST(...)), [])', () => {
    const i = query('SELECT ARRAY(SELECT a FROM u WHERE u.k = t.k ORDER BY a DESC) FROM t').items[0]!;
    expect(noSpans(i)).toMatchObject({
      expr: {
        kind: 'Call',
        name: { name: 'coalesce' },
        args: [
          { kind: 'ScalarSubquery', query: { items: [{ expr: { kind: 'Call', name: { name: 'list' }, orderBy: [{ desc: true }] } }], where: { kind: 'Binary' }, orderBy: [] } },
          { kind: 'Array', elements: [] },
        ],
      },
    });
    expect(parseStatement('SELECT ARRAY[1, 2]')).toMatchObject({ query: { items: [{ expr: { kind: 'Array' } }] } });
  });

  it('a query without FROM', () => {
    const q = query('SELECT 1 + 1 AS two');
    expect(q.from).toBeUndefined();
    expect(q.groupBy).toEqual([]);
    expect(q.orderBy).toEqual([]);
  });

  it('qualified star, COUNT(DISTINCT x), aliases with and without AS', () => {
    const q = query('SELECT t.*, COUNT(DISTINCT card_id) AS cards, amount total FROM tx AS t');
    expect(noSpans(q.items)).toEqual([
      { kind: 'Star', qualifier: { name: 't' } },
      {
        kind: 'ExprItem',
        expr: { kind: 'Call', name: { name: 'COUNT' }, args: [{ kind: 'ColumnRef', column: { name: 'card_id' } }], distinct: true, star: false },
        alias: { name: 'cards' },
      },
      { kind: 'ExprItem', expr: { kind: 'ColumnRef', column: { name: 'amount' } }, alias: { name: 'total' } },
    ]);
    expect(noSpans(q.from)).toEqual({ kind: 'TableRef', name: { name: 'tx' }, alias: { name: 't' } });
  });

  it('joins: INNER, LEFT OUTER with ON, aliases without AS; left-deep', () => {
    const q = query(
      'SELECT * FROM a x INNER JOIN b y ON x.k = y.k LEFT OUTER JOIN c ON y.k = c.k AND c.ts BETWEEN y.ts AND y.ts + INTERVAL \'1\' HOUR LEFT JOIN d',
    );
    const from = noSpans(q.from);
    expect(from).toMatchObject({
      kind: 'Join',
      joinType: 'LEFT',
      right: { kind: 'TableRef', name: { name: 'd' } },
      left: {
        kind: 'Join',
        joinType: 'LEFT',
        right: { kind: 'TableRef', name: { name: 'c' } },
        on: { kind: 'Binary', op: 'AND', right: { kind: 'Between' } },
        left: {
          kind: 'Join',
          joinType: 'INNER',
          left: { kind: 'TableRef', name: { name: 'a' }, alias: { name: 'x' } },
          right: { kind: 'TableRef', name: { name: 'b' }, alias: { name: 'y' } },
        },
      },
    });
    expect(from && 'on' in from ? from.on : undefined).toBeUndefined();
  });

  it('subquery in FROM with alias', () => {
    const q = query('SELECT s.a FROM (SELECT a FROM t WHERE a > 0) AS s');
    expect(q.from).toMatchObject({ kind: 'Subquery', alias: { name: 's' }, query: { kind: 'Select' } });
  });

  it('HOP and SESSION windows', () => {
    const hop = query("SELECT * FROM TABLE(HOP(TABLE tx, DESCRIPTOR(ts), INTERVAL '10' SECONDS, INTERVAL '1' MINUTE)) w");
    expect(noSpans(hop.from)).toEqual({
      kind: 'Window',
      fn: 'HOP',
      input: { kind: 'TableRef', name: { name: 'tx' } },
      timeColumn: { name: 'ts' },
      args: [
        { kind: 'Interval', text: '10', unit: 'SECOND', millis: 10_000, months: 0 },
        { kind: 'Interval', text: '1', unit: 'MINUTE', millis: 60_000, months: 0 },
      ],
      alias: { name: 'w' },
    });
    const session = query("SELECT * FROM TABLE(SESSION(TABLE tx, DESCRIPTOR(ts), INTERVAL '5 minutes'))");
    expect(session.from).toMatchObject({ kind: 'Window', fn: 'SESSION', args: [{ kind: 'Interval', unit: 'MINUTE', millis: 300_000, months: 0 }] });
  });

  it('a pull query on a view key', () => {
    const q = query("SELECT * FROM fraud_scores WHERE card_id = 'c1'");
    expect(noSpans(q.where)).toEqual({
      kind: 'Binary',
      op: '=',
      left: { kind: 'ColumnRef', column: { name: 'card_id' } },
      right: { kind: 'Literal', literal: 'string', value: 'c1' },
    });
  });
});

describe('scripts', () => {
  it('skips empty statements, allows a trailing ; and comments', () => {
    const all = parseStatements(';; SHOW STREAMS; /* block\ncomment */ SHOW TABLES ;\n-- done\n;');
    expect(all.map((p) => p.text)).toEqual(['SHOW STREAMS', 'SHOW TABLES']);
  });

  it('an empty script has no statements', () => {
    expect(parseStatements('  -- nothing\n')).toEqual([]);
  });

  it('spans are offsets into the whole script', () => {
    const all = parseStatements('SHOW STREAMS;\n  DROP STREAM s');
    expect(all[1]!.statement.span).toEqual({ start: { offset: 16, line: 2, column: 3 }, end: { offset: 29, line: 2, column: 16 } });
  });
});
