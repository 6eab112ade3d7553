import { describeRule } from './rule-fixtures.js';

describeRule('two-phase-aggregate', [
  {
    name: "splits a GROUP BY over a salted stream into partial aggregates per (key, salt) and a final merge",
    sql: 'SELECT card_id, SUM(amount) AS s FROM hot_tx GROUP BY card_id',
    expected: [
      'ProjectExec: card_id, s := sum(amount)  [upsert(card_id)]',
      '  GroupAggregateExec: updating, final, group=[card_id], aggs=[sum(amount)]  [upsert(card_id)]',
      '    LocalAggregateExec: partial, group=[card_id], aggs=[sum(amount)], salt=4  [append-only]',
      '      SourceExec: stream=hot_tx, connector=log, columns=[card_id, amount, ts], watermark=ts - 1s  [append-only]',
    ],
  },
  {
    name: "splits without salt when the stream asks for two phases",
    sql: 'SELECT card_id, COUNT(*) AS n FROM paired_tx GROUP BY card_id',
    expected: [
      'ProjectExec: card_id, n := count()  [upsert(card_id)]',
      '  GroupAggregateExec: updating, final, group=[card_id], aggs=[count(*)]  [upsert(card_id)]',
      '    LocalAggregateExec: partial, group=[card_id], aggs=[count(*)]  [append-only]',
      '      SourceExec: stream=paired_tx, connector=log, columns=[card_id]  [append-only]',
    ],
  },
  {
    name: 'keeps one phase in one process unless the stream asks',
    sql: 'SELECT card_id, COUNT(*) AS n FROM tx GROUP BY card_id',
    expected: null,
  },
  {
    name: 'leaves a windowed GROUP BY alone',
    sql: "SELECT window_start, card_id, COUNT(*) AS n FROM TABLE(TUMBLE(TABLE hot_tx, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) GROUP BY window_start, window_end, card_id",
    expected: null,
  },
]);
