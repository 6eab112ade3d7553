import { describe, expect, it } from 'vitest';
import { parseStatements } from '../../src/parser/index.js';
import { noSpans } from './helpers.js';

/** The SQL of DESIGN.md §2, verbatim. */
const DESIGN_SQL = `CREATE STREAM tx (
  tx_id    STRING,
  card_id  STRING,
  amount   DOUBLE,
  features ARRAY<FLOAT>,
  ts       TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (connector = 'kafka', topic = 'tx', format = 'json', key = 'card_id');

CREATE TABLE card_features (            -- upsert semantics: latest row per primary key
  card_id STRING PRIMARY KEY,
  avg_amount_30d DOUBLE,
  features ARRAY<FLOAT>
) WITH (connector = 'kafka', topic = 'card_features', format = 'json');

CREATE MODEL fraud
  INPUT (features ARRAY<FLOAT>(30))
  OUTPUT (score FLOAT)
  WITH (path = 'models/fraud.onnx', 'batch.max_rows' = 1024, 'batch.max_wait' = '5ms');

ALTER MODEL fraud SET (path = 'models/fraud-v2.onnx');   -- hot swap, new version

CREATE MATERIALIZED VIEW fraud_scores AS
SELECT tx.tx_id, tx.card_id, tx.amount,
       predict('fraud', features) AS score,
       model_version('fraud')     AS model_version,
       tx.ts
FROM tx JOIN card_features;            -- no ON: lookup join on the table's primary key

CREATE SINK alerts WITH (connector = 'kafka', topic = 'alerts', format = 'json')
AS SELECT * FROM fraud_scores WHERE score > 0.9;

SELECT window_start, card_id, COUNT(*) AS n, AVG(score) AS avg_score
FROM TABLE(TUMBLE(TABLE fraud_scores, DESCRIPTOR(ts), INTERVAL '1' MINUTE))
GROUP BY window_start, window_end, card_id;
`;

const parsed = parseStatements(DESIGN_SQL);
const stmt = (i: number) => parsed[i]!.statement;

describe('DESIGN.md §2 examples', () => {
  it('parses all seven statements in order', () => {
    expect(parsed.map((p) => p.statement.kind)).toEqual([
      'CreateStream', 'CreateTable', 'CreateModel', 'AlterModel', 'CreateMaterializedView', 'CreateSink', 'Query',
    ]);
  });

  it('keeps each statement text without the separator', () => {
    expect(parsed[3]!.text).toBe("ALTER MODEL fraud SET (path = 'models/fraud-v2.onnx')");
    expect(parsed[0]!.text.startsWith('CREATE STREAM tx (')).toBe(true);
    expect(parsed[0]!.text.endsWith("key = 'card_id')")).toBe(true);
  });

  it('CREATE STREAM with watermark and options', () => {
    expect(noSpans(stmt(0))).toEqual({
      kind: 'CreateStream',
      name: { name: 'tx' },
      ifNotExists: false,
      columns: [
        { name: { name: 'tx_id' }, type: { kind: 'STRING' }, notNull: false, primaryKey: false },
        { name: { name: 'card_id' }, type: { kind: 'STRING' }, notNull: false, primaryKey: false },
        { name: { name: 'amount' }, type: { kind: 'DOUBLE' }, notNull: false, primaryKey: false },
        { name: { name: 'features' }, type: { kind: 'ARRAY', element: { kind: 'FLOAT' } }, notNull: false, primaryKey: false },
        { name: { name: 'ts' }, type: { kind: 'TIMESTAMP', precision: 3 }, notNull: false, primaryKey: false },
      ],
      watermark: {
        column: { name: 'ts' },
        expr: {
          kind: 'Binary',
          op: '-',
          left: { kind: 'ColumnRef', column: { name: 'ts' } },
          right: { kind: 'Interval', text: '5', unit: 'SECOND', millis: 5000, months: 0 },
        },
      },
      options: [
        { key: 'connector', value: 'kafka' },
        { key: 'topic', value: 'tx' },
        { key: 'format', value: 'json' },
        { key: 'key', value: 'card_id' },
      ],
    });
  });

  it('CREATE TABLE with a column primary key', () => {
    const s = stmt(1);
    if (s.kind !== 'CreateTable') throw new Error(s.kind);
    expect(noSpans(s.primaryKey)).toEqual([{ name: 'card_id' }]);
    expect(s.columns.map((c) => [c.name.name, c.primaryKey])).toEqual([
      ['card_id', true], ['avg_amount_30d', false], ['features', false],
    ]);
  });

  it('CREATE MODEL with fixed-size array input and quoted dotted option keys', () => {
    expect(noSpans(stmt(2))).toEqual({
      kind: 'CreateModel',
      name: { name: 'fraud' },
      ifNotExists: false,
      inputs: [{ name: { name: 'features' }, type: { kind: 'ARRAY', element: { kind: 'FLOAT' }, size: 30 }, notNull: false, primaryKey: false }],
      outputs: [{ name: { name: 'score' }, type: { kind: 'FLOAT' }, notNull: false, primaryKey: false }],
      options: [
        { key: 'path', value: 'models/fraud.onnx' },
        { key: 'batch.max_rows', value: 1024 },
        { key: 'batch.max_wait', value: '5ms' },
      ],
    });
  });

  it('ALTER MODEL ... SET', () => {
    expect(noSpans(stmt(3))).toEqual({ kind: 'AlterModel', name: { name: 'fraud' }, action: 'set', options: [{ key: 'path', value: 'models/fraud-v2.onnx' }] });
  });

  it('CREATE MATERIALIZED VIEW with a lookup join and no ON', () => {
    const s = stmt(4);
    if (s.kind !== 'CreateMaterializedView') throw new Error(s.kind);
    expect(s.name.name).toBe('fraud_scores');
    const items = noSpans(s.query.items);
    expect(items[0]).toEqual({ kind: 'ExprItem', expr: { kind: 'ColumnRef', qualifier: { name: 'tx' }, column: { name: 'tx_id' } } });
    expect(items[3]).toEqual({
      kind: 'ExprItem',
      expr: {
        kind: 'Call',
        name: { name: 'predict' },
        args: [{ kind: 'Literal', literal: 'string', value: 'fraud' }, { kind: 'ColumnRef', column: { name: 'features' } }],
        distinct: false,
        star: false,
      },
      alias: { name: 'score' },
    });
    expect(items[4]).toMatchObject({ alias: { name: 'model_version' } });
    expect(noSpans(s.query.from)).toEqual({
      kind: 'Join',
      joinType: 'INNER',
      left: { kind: 'TableRef', name: { name: 'tx' } },
      right: { kind: 'TableRef', name: { name: 'card_features' } },
    });
  });

  it('CREATE SINK ... WITH ... AS SELECT', () => {
    const s = stmt(5);
    if (s.kind !== 'CreateSink') throw new Error(s.kind);
    expect(s.options.map((o) => o.key)).toEqual(['connector', 'topic', 'format']);
    expect(noSpans(s.query.items)).toEqual([{ kind: 'Star' }]);
    expect(noSpans(s.query.where)).toEqual({
      kind: 'Binary',
      op: '>',
      left: { kind: 'ColumnRef', column: { name: 'score' } },
      right: { kind: 'Literal', literal: 'decimal', value: 0.9, digits: '0.9' },
    });
  });

  it('SELECT over a TUMBLE window with GROUP BY', () => {
    const s = stmt(6);
    if (s.kind !== 'Query') throw new Error(s.kind);
    expect(noSpans(s.query.from)).toEqual({
      kind: 'Window',
      fn: 'TUMBLE',
      input: { kind: 'TableRef', name: { name: 'fraud_scores' } },
      timeColumn: { name: 'ts' },
      args: [{ kind: 'Interval', text: '1', unit: 'MINUTE', millis: 60_000, months: 0 }],
    });
    expect(noSpans(s.query.items[2])).toEqual({
      kind: 'ExprItem',
      expr: { kind: 'Call', name: { name: 'COUNT' }, args: [], distinct: false, star: true },
      alias: { name: 'n' },
    });
    expect(s.query.groupBy.map((g) => (g.kind === 'ColumnRef' ? g.column.name : g.kind))).toEqual(['window_start', 'window_end', 'card_id']);
  });
});
