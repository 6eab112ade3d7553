import { describeRule } from './rule-fixtures.js';

describeRule('share-scans', [
  {
    name: 'serves both scans of a self-join from one reader of the union of their columns',
    sql: "SELECT a.tx_id, b.amount FROM tx AS a JOIN tx AS b ON a.card_id = b.card_id AND b.ts BETWEEN a.ts AND a.ts + INTERVAL '1' MINUTE",
    expected: [
      'ProjectExec: tx_id, amount  [append-only]',
      "  IntervalJoinExec: card_id = card_id, ts BETWEEN ts + 0d AND ts + 1m  [append-only]",
      '    SourceExec: stream=tx, connector=log, columns=[tx_id, card_id, ts], watermark=ts - 5s, shared scan #1 reading [tx_id, card_id, amount, ts]  [append-only]',
      '    SourceExec: stream=tx, connector=log, columns=[card_id, amount, ts], watermark=ts - 5s, shared scan #1 reading [tx_id, card_id, amount, ts]  [append-only]',
    ],
  },
  {
    name: 'shares the scan under a stream and under an aggregate of the same stream',
    sql: "SELECT t.tx_id, m.hi FROM tx AS t JOIN (SELECT MAX(amount) AS hi, window_end AS we FROM TABLE(TUMBLE(TABLE tx, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY window_start, window_end) AS m ON t.amount = m.hi AND t.ts BETWEEN m.we - INTERVAL '10' SECOND AND m.we",
    expected: [
      'ProjectExec: tx_id, hi  [append-only]',
      '  IntervalJoinExec: amount = hi, we BETWEEN ts + 0d AND ts + 10s  [append-only]',
      '    SourceExec: stream=tx, connector=log, columns=[tx_id, amount, ts], watermark=ts - 5s, shared scan #1 reading [tx_id, amount, ts]  [append-only]',
      '    ProjectExec: hi := max(amount), we := window_end  [append-only]',
      '      WindowAggregateExec: TUMBLE(ts, 10s), group=[window_start, window_end], aggs=[max(amount)]  [append-only]',
      '        SourceExec: stream=tx, connector=log, columns=[amount, ts], watermark=ts - 5s, shared scan #1 reading [tx_id, amount, ts]  [append-only]',
    ],
  },
  {
    name: 'leaves a query that reads each input once alone',
    sql: 'SELECT tx.tx_id, cards.owner FROM tx JOIN cards ON tx.card_id = cards.card_id',
    expected: null,
  },
  {
    name: 'does not share scans of different streams',
    sql: "SELECT a.tx_id FROM tx AS a JOIN hot_tx AS b ON a.card_id = b.card_id AND b.ts BETWEEN a.ts AND a.ts + INTERVAL '1' MINUTE",
    expected: null,
  },
]);
