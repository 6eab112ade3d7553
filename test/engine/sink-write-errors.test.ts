/**
 * A sink that cannot encode one row: that row goes to the query's dead-letter stream and the
 * query goes on; it never enters 'failed' because of one row.
 */
import type { RecordBatch } from 'apache-arrow';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Field } from '../../src/common/types.js';
import { batchToRows } from '../../src/exec/columns.js';
import type { Engine } from '../../src/engine/engine.js';
import { RunningQuery } from '../../src/engine/running-query.js';
import type { EpochSink } from '../../src/engine/sinks.js';
import { parseStatements } from '../../src/parser/index.js';
import { planQuery } from '../../src/planner/plan-query.js';
import { collectRows } from '../sql/collect.js';
import { tempEngine } from './helpers.js';

/** Keeps rows like a view's writer does, but cannot encode a row whose n is 13. */
class PickySink implements EpochSink {
  readonly written: unknown[][] = [];
  constructor(private readonly fields: readonly Field[]) {}
  write(batch: RecordBatch): void {
    const rows = batchToRows(batch, this.fields);
    if (rows.some((r) => r[1] === 13)) throw new RangeError('13 cannot be encoded');
    this.written.push(...rows);
  }
  stage(): void {}
  committed(): void {}
}

describe('a sink writer that throws on one row', () => {
  let engine: Engine;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ engine, cleanup } = await tempEngine(50));
  });
  afterEach(async () => cleanup());

  it('dead-letters that row, writes the others, and the query finishes', async () => {
    await engine.execute(`CREATE STREAM s (id STRING, n INT) WITH (partitions = 1); INSERT INTO s VALUES ('a', 1), ('b', 13), ('c', 3)`);
    const stmt = parseStatements('SELECT id, n FROM s')[0]?.statement;
    if (stmt?.kind !== 'Query') throw new Error('expected a query');
    const q = planQuery(stmt.query, engine.catalog);
    const dlq = await engine.ensureDlq('picky_dlq');
    const sink = new PickySink(q.fields);
    const rq = new RunningQuery({
      id: 'sink_picky',
      kind: 'sink',
      name: 'picky',
      sql: 'SELECT id, n FROM s',
      plan: q.physical,
      fields: q.fields,
      output: { kind: 'epoch', sink },
      deps: engine.queryDeps(),
      dlqTopic: dlq,
      bounded: true,
    });
    await rq.start();
    await rq.stopped();
    expect(rq.info(undefined).status).toBe('finished');
    expect(sink.written).toEqual([
      ['a', 1],
      ['c', 3],
    ]);
    const letters = (await collectRows(engine, 'SELECT reason, row FROM picky_dlq')).rows;
    expect(letters).toEqual([['sink picky: cannot write the row: 13 cannot be encoded', '{"id":"b","n":13}']]);
  });
});
