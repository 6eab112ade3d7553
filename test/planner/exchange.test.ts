/**
 * Where queries are cut to run across processes ('scale.out' = true), as EXPLAIN shows it, and
 * the shapes that cannot be cut; and the filter pushdown below TUMBLE/HOP windows that keeps a
 * filtered windowed GROUP BY one windowed aggregation.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SluiceError } from '../../src/common/errors.js';
import { Engine } from '../../src/engine/engine.js';

const KAFKA = `connector = 'kafka', 'bootstrap.servers' = 'localhost:9092'`;
let dir: string;
let engine: Engine;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-exchange-'));
  engine = await Engine.open({ dataDir: dir });
  await engine.execute(`CREATE STREAM tx (tx_id STRING, card_id STRING, amount DOUBLE, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH (${KAFKA}, topic = 'tx')`);
  await engine.execute(`CREATE STREAM local_tx (tx_id STRING, card_id STRING, amount DOUBLE, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)`);
});

afterAll(async () => {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

async function explain(sql: string): Promise<string> {
  const [r] = await engine.execute(`EXPLAIN ${sql}`);
  if (r?.kind !== 'explain') throw new Error(`not an explain result: ${r?.kind}`);
  return r.text;
}

async function failure(sql: string): Promise<SluiceError> {
  try {
    await explain(sql);
  } catch (err) {
    if (err instanceof SluiceError) return err;
    throw err;
  }
  throw new Error('expected an error');
}

describe('scale-out plans', () => {
  it('cuts an updating GROUP BY at the exchange, keyed by the group columns, pre-combining before it', async () => {
    expect(await explain(`CREATE SINK spend WITH (${KAFKA}, 'scale.out' = true) AS SELECT card_id, COUNT(*) AS n, SUM(amount) AS spent FROM tx WHERE amount > 0 GROUP BY card_id`)).toBe(
      [
        'Sink: spend across processes, two stages: a task per key partition above the exchange (state in a changelog topic), a task per input partition below',
        '  ProjectExec: card_id, n := count(), spent := sum(amount)  [upsert(card_id)]',
        '    GroupAggregateExec: updating, final, group=[card_id], aggs=[count(*), sum(amount)]  [upsert(card_id)]',
        '      Exchange: hash(card_id) -> topic sluice-sink_spend-repartition',
        '        LocalAggregateExec: partial, group=[card_id], aggs=[count(*), sum(amount)]  [append-only]',
        '          FilterExec: amount > 0  [append-only]',
        '            SourceExec: stream=tx, connector=kafka, columns=[card_id, amount, ts], watermark=ts - 5s  [append-only]',
      ].join('\n'),
    );
  });

  it("sends every row across the exchange when the stream says 'aggregate.two_phase' = false", async () => {
    await engine.execute(`CREATE STREAM tx_rows (tx_id STRING, card_id STRING, amount DOUBLE) WITH (${KAFKA}, topic = 'tx', 'aggregate.two_phase' = false)`);
    expect(await explain(`CREATE SINK spend1 WITH (${KAFKA}, 'scale.out' = true) AS SELECT card_id, COUNT(*) AS n FROM tx_rows GROUP BY card_id`)).toBe(
      [
        'Sink: spend1 across processes, two stages: a task per key partition above the exchange (state in a changelog topic), a task per input partition below',
        '  ProjectExec: card_id, n := count()  [upsert(card_id)]',
        '    GroupAggregateExec: updating, group=[card_id], aggs=[count(*)]  [upsert(card_id)]',
        '      Exchange: hash(card_id) -> topic sluice-sink_spend1-repartition',
        '        SourceExec: stream=tx_rows, connector=kafka, columns=[card_id]  [append-only]',
      ].join('\n'),
    );
    // In one process (no exchange) the GROUP BY stays one phase unless asked.
    expect(await explain(`SELECT card_id, COUNT(*) AS n FROM tx GROUP BY card_id`)).not.toContain('LocalAggregateExec');
  });

  it('keys a windowed GROUP BY by its non-window columns', async () => {
    const text = await explain(
      `CREATE SINK per_min WITH (${KAFKA}, 'scale.out' = true, 'transactional.id' = 'spend-app') AS SELECT window_start, card_id, SUM(amount) AS spent FROM TABLE(TUMBLE(TABLE tx, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) WHERE amount > 0 GROUP BY window_start, window_end, card_id`,
    );
    expect(text).toContain('    WindowAggregateExec: TUMBLE(ts, 1m), group=[window_start, window_end, card_id], aggs=[sum(amount)]  [append-only]\n      Exchange: hash(card_id) -> topic spend-app-repartition\n        FilterExec: amount > 0  [append-only]');
  });

  it('runs a query without keyed state in one stage', async () => {
    expect(await explain(`CREATE SINK big WITH (${KAFKA}, 'scale.out' = true) AS SELECT tx_id, amount * 2 AS a2 FROM tx WHERE amount > 100`)).toBe(
      [
        'Sink: big across processes, one stage: a task per input partition',
        '  ProjectExec: tx_id, a2 := amount * 2  [append-only]',
        '    FilterExec: amount > 100  [append-only]',
        '      SourceExec: stream=tx, connector=kafka, columns=[tx_id, amount, ts], watermark=ts - 5s  [append-only]',
      ].join('\n'),
    );
  });

  it('says which shapes cannot run across processes, and what to do', async () => {
    const join = await failure(`CREATE SINK j WITH (${KAFKA}, 'scale.out' = true) AS SELECT a.tx_id FROM tx a JOIN tx b ON a.card_id = b.card_id AND b.ts BETWEEN a.ts AND a.ts + INTERVAL '1' MINUTE`);
    expect(join.code).toBe('UNSUPPORTED');
    expect(join.message).toContain('a join of two streams cannot run across processes');
    expect(join.hint).toContain("drop 'scale.out'");
    const local = await failure(`CREATE SINK l WITH (${KAFKA}, 'scale.out' = true) AS SELECT card_id, COUNT(*) AS n FROM local_tx GROUP BY card_id`);
    expect(local.message).toContain("needs a Kafka stream as input, but local_tx uses connector 'log'");
    await engine.execute('CREATE TABLE IF NOT EXISTS cards (card_id STRING PRIMARY KEY, lim DOUBLE)');
    const table = await failure(`CREATE SINK t WITH (${KAFKA}, 'scale.out' = true) AS SELECT card_id FROM cards WHERE lim > 10`);
    expect(table.message).toContain('but cards is a table (read whole, as its changelog, in one process)');
    const global = await failure(`CREATE SINK g WITH (${KAFKA}, 'scale.out' = true) AS SELECT COUNT(*) AS n FROM tx`);
    expect(global.code).toBe('UNSUPPORTED');
    expect(global.message).toContain('an aggregate without GROUP BY has one group');
  });
});

describe('filters below windows', () => {
  it('pushes a filter on input columns below TUMBLE, so the GROUP BY stays one windowed aggregation', async () => {
    const text = await explain(`SELECT window_start, card_id, COUNT(*) AS n FROM TABLE(TUMBLE(TABLE local_tx, DESCRIPTOR(ts), INTERVAL '1' SECOND)) WHERE amount > 10 GROUP BY window_start, window_end, card_id`);
    expect(text).toContain('WindowAggregateExec: TUMBLE(ts, 1s)');
    expect(text).toContain('  FilterExec: amount > 10  [append-only]\n      SourceExec');
    expect(text).not.toContain('updating');
  });

  it('keeps a filter on window bounds above the window', async () => {
    const text = await explain(`SELECT window_start, card_id FROM TABLE(TUMBLE(TABLE local_tx, DESCRIPTOR(ts), INTERVAL '1' SECOND)) WHERE window_start > TIMESTAMP '2026-01-01 00:00:00' AND amount > 10`);
    expect(text).toMatch(/FilterExec: window_start > [^\n]*\n\s+WindowAssignExec: TUMBLE\(ts, 1s\)  \[append-only\]\n\s+FilterExec: amount > 10/);
  });
});
