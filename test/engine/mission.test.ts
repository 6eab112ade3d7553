import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { take, tempEngine } from './helpers.js';

const DDL = `
CREATE STREAM tx (tx_id STRING, card_id STRING, amount DOUBLE, ts TIMESTAMP(3)) WITH (key = 'card_id');
CREATE TABLE card_features (card_id STRING PRIMARY KEY, avg_amount_30d DOUBLE);
INSERT INTO card_features VALUES ('c1', 10.0), ('c2', 20.0);
`;

describe('the mission query on the embedded engine', () => {
  let engine: Engine;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ engine, cleanup } = await tempEngine());
    await engine.execute(DDL);
  });
  afterEach(async () => cleanup());

  it('joins, filters and projects rows inserted before and while it runs', async () => {
    await engine.execute(`INSERT INTO tx VALUES ('t1', 'c1', 5.0, TIMESTAMP '2024-01-01 00:00:00'), ('t2', 'c1', 50.0, TIMESTAMP '2024-01-01 00:00:01'), ('t3', 'zz', 99.0, TIMESTAMP '2024-01-01 00:00:02')`);
    const [res] = await engine.execute('SELECT tx.tx_id, tx.amount * 2 AS x FROM tx JOIN card_features WHERE amount > 10', { from: 'earliest' });
    expect(res?.kind).toBe('push');
    if (res?.kind !== 'push') return;
    expect(res.columns).toEqual([
      { name: 'tx_id', type: 'STRING' },
      { name: 'x', type: 'DOUBLE' },
    ]);
    const pending = take(res, 3);
    await new Promise((r) => setTimeout(r, 100));
    await engine.execute(`INSERT INTO tx VALUES ('t4', 'c2', 11.0, TIMESTAMP '2024-01-01 00:00:03'), ('t5', 'c2', 1.0, TIMESTAMP '2024-01-01 00:00:04')`);
    await engine.execute(`INSERT INTO card_features VALUES ('zz', 1.0)`);
    await engine.execute(`INSERT INTO tx VALUES ('t6', 'zz', 12.5, TIMESTAMP '2024-01-01 00:00:05')`);
    const rows = await pending;
    expect(rows.map((r) => r.values).sort()).toEqual([
      ['t2', 100],
      ['t4', 22],
      ['t6', 25],
    ]);
  });

  it('explains the plan with the filter pushed below the join', async () => {
    const [res] = await engine.execute('EXPLAIN SELECT tx.tx_id, tx.amount * 2 AS x FROM tx JOIN card_features WHERE amount > 10');
    expect(res?.kind === 'explain' && res.text).toBe(
      [
        'ProjectExec: tx_id, x := amount * 2  [append-only]',
        '  StreamLookupJoinExec: inner, table=card_features, key=[card_id], columns=[]  [append-only]',
        '    FilterExec: amount > 10  [append-only]',
        '      SourceExec: stream=tx, connector=log, columns=[tx_id, card_id, amount]  [append-only]',
      ].join('\n'),
    );
  });
});
