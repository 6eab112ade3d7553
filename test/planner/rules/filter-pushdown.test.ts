import { describeRule } from './rule-fixtures.js';

describeRule('filter-pushdown', [
  {
    name: 'moves the conjuncts that read only stream columns below a lookup join; the one on the table stays above',
    sql: "SELECT tx.card_id, cards.owner FROM tx JOIN cards WHERE tx.amount > 10 AND cards.owner <> 'x'",
    expected: [
      'LogicalProject: card_id, owner  [append-only]',
      "  LogicalFilter: owner <> 'x'  [append-only]",
      '    LogicalLookupJoin: inner, table=cards, key=[card_id], columns=[card_id, owner, limit_amount]  [append-only]',
      '      LogicalFilter: amount > 10  [append-only]',
      '        LogicalScan: stream=tx, columns=[tx_id, card_id, amount, note, ts], watermark=ts - 5s  [append-only]',
    ],
  },
  {
    name: 'moves a filter below a TUMBLE window, so the GROUP BY stays a windowed (append-only) aggregation',
    sql: "SELECT window_start, card_id, SUM(amount) AS s FROM TABLE(TUMBLE(TABLE tx, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) WHERE amount > 0 GROUP BY window_start, window_end, card_id",
    expected: [
      'LogicalProject: window_start, card_id, s := sum(amount)  [append-only]',
      '  LogicalAggregate: group=[window_start, window_end, card_id], aggs=[sum(amount)]  [append-only]',
      '    LogicalWindow: TUMBLE(ts, 1m)  [append-only]',
      '      LogicalFilter: amount > 0  [append-only]',
      '        LogicalScan: stream=tx, columns=[tx_id, card_id, amount, note, ts], watermark=ts - 5s  [append-only]',
    ],
  },
  {
    name: 'does not push a filter through a projection (a subquery keeps its WHERE and the outer one apart)',
    sql: 'SELECT card_id FROM (SELECT card_id, amount FROM tx WHERE amount > 1) AS t WHERE amount < 5',
    expected: null,
  },
  {
    name: 'changes nothing when the filter already sits on the scan',
    sql: 'SELECT card_id FROM tx WHERE amount > 1',
    expected: null,
  },
]);
