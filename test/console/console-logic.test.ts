/** The console's plan parsing, slowest-operator hint and live-result bookkeeping, in Node. */
import { describe, expect, it } from 'vitest';
import { parsePlan, slowestOperator } from '../../console/src/plan-model.js';
import { applyChange, isOneSelect } from '../../console/src/sql-text.js';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nexmarkDdl } from '../../src/connectors/nexmark.js';
import { operatorIdentities } from '../../src/exec/state-ids.js';
import { parseStatement } from '../../src/parser/index.js';
import { planQuery } from '../../src/planner/plan-query.js';
import { tempEngine } from '../engine/helpers.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '../..');

const EXPLAIN = `MaterializedView: fraud_scores
  ProjectExec: tx_id, score := predict_fraud  [append-only]
    StreamJoinExec: inner  [retract]
      SourceExec: stream=tx, connector=datagen  [append-only]
      SourceExec: stream=cards, connector=log  [append-only]`;

describe('parsePlan', () => {
  it('reads operators in pre-order with their parent, detail and stream kind, numbering executable ones as the metrics do', () => {
    const nodes = parsePlan(EXPLAIN);
    expect(nodes.map((n) => [n.name, n.parent, n.execIndex, n.streamKind])).toEqual([
      ['MaterializedView', undefined, -1, ''],
      ['ProjectExec', 0, 0, 'append-only'],
      ['StreamJoinExec', 1, 1, 'retract'],
      ['SourceExec', 2, -1, 'append-only'],
      ['SourceExec', 2, -1, 'append-only'],
    ]);
    expect(nodes[1]!.detail).toBe('tx_id, score := predict_fraud');
  });

  it('numbers the operators after a scan and a shared sub-plan as the engine builds them', async () => {
    const { engine, cleanup } = await tempEngine();
    try {
      const ddl = nexmarkDdl({ maxEvents: 10 });
      await engine.execute(`${ddl.person}\n${ddl.auction}\n${ddl.bid}`);
      const sql = readFileSync(join(REPO, 'queries/nexmark/q5.sql'), 'utf8');
      const [explained] = await engine.execute(`EXPLAIN ${sql}`);
      const nodes = parsePlan(explained?.kind === 'explain' ? explained.text : '');
      expect(nodes.map((n) => n.name)).toContain('Reuse');
      const stmt = parseStatement(sql);
      if (stmt.kind !== 'Query') throw new Error('expected a query');
      const built = operatorIdentities(planQuery(stmt.query, engine.catalog).physical).operators.map((o) => [o.index, o.kind]);
      expect(nodes.filter((n) => n.execIndex >= 0).map((n) => [n.execIndex, n.name])).toEqual(built);
    } finally {
      await cleanup();
    }
  });

  it('answers no operators for no text', () => {
    expect(parsePlan('')).toEqual([]);
  });
});

describe('slowestOperator', () => {
  const nodes = parsePlan(EXPLAIN);
  it('marks the lowest rate when rates differ', () => {
    expect(slowestOperator(nodes, new Map([[1, 900], [2, 300], [3, 1000]]))).toBe(2);
  });
  it('marks nothing when every operator keeps pace, or with one rate only', () => {
    expect(slowestOperator(nodes, new Map([[1, 198], [2, 200], [3, 200]]))).toBeUndefined();
    expect(slowestOperator(nodes, new Map([[1, 5]]))).toBeUndefined();
  });
});

describe('isOneSelect', () => {
  it('streams one SELECT or WITH, and sends anything else to /v1/sql', () => {
    expect(isOneSelect('SELECT * FROM tx')).toBe(true);
    expect(isOneSelect('  -- note\n with a AS (SELECT 1) SELECT * FROM a;  ')).toBe(true);
    expect(isOneSelect("SELECT ';' FROM tx")).toBe(true);
    expect(isOneSelect('SELECT 1; SELECT 2')).toBe(false);
    expect(isOneSelect('SHOW STREAMS')).toBe(false);
    expect(isOneSelect('INSERT INTO t SELECT * FROM s')).toBe(false);
  });
});

describe('applyChange', () => {
  it('applies inserts, deletes and updates, an update in the place of the row it replaces (docs/changelog.md)', () => {
    const rows: unknown[][] = [];
    const pending = { at: undefined as number | undefined };
    for (const [op, v] of [['+I', ['a', 1]], ['+I', ['b', 1]], ['+I', ['c', 1]], ['-U', ['b', 1]], ['+U', ['b', 2]], ['-D', ['a', 1]]] as const) {
      applyChange(rows, op, [...v], pending);
    }
    expect(rows).toEqual([['b', 2], ['c', 1]]);
  });
  it('removes one copy of a row that is there twice', () => {
    const rows: unknown[][] = [['x'], ['x']];
    applyChange(rows, '-D', ['x'], { at: undefined });
    expect(rows).toEqual([['x']]);
  });
});
