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
    name: 'pushes a condition on columns a projection passes through below it, to the filter there',
    sql: 'SELECT card_id FROM (SELECT card_id, amount FROM tx WHERE amount > 1) AS t WHERE amount < 5',
    expected: [
      'LogicalProject: card_id  [append-only]',
      '  LogicalProject: card_id, amount  [append-only]',
      '    LogicalFilter: (amount > 1) AND (amount < 5)  [append-only]',
      '      LogicalScan: stream=tx, columns=[tx_id, card_id, amount, note, ts], watermark=ts - 5s  [append-only]',
    ],
  },
  {
    name: 'keeps a condition on a computed column above the projection; one on a passed column goes below',
    sql: "SELECT card_id FROM (SELECT card_id, amount * 2 AS a2 FROM tx WHERE amount > 1) AS t WHERE a2 < 5 AND card_id = 'x'",
    expected: [
      'LogicalProject: card_id  [append-only]',
      '  LogicalFilter: a2 < 5  [append-only]',
      '    LogicalProject: card_id, a2 := amount * 2  [append-only]',
      "      LogicalFilter: (amount > 1) AND (card_id = 'x')  [append-only]",
      '        LogicalScan: stream=tx, columns=[tx_id, card_id, amount, note, ts], watermark=ts - 5s  [append-only]',
    ],
  },
  {
    name: 'takes the join condition every branch of an OR shares out of it, as the join key',
    sql: 'SELECT tx.tx_id FROM tx, paired_tx p WHERE (tx.card_id = p.card_id AND tx.amount > 10) OR (tx.card_id = p.card_id AND p.amount < 1)',
    expected: [
      'LogicalProject: tx_id  [append-only]',
      '  LogicalHashJoin: inner, keys=[card_id = card_id], filter=(amount > 10) OR (amount < 1)  [append-only]',
      '    LogicalScan: stream=tx, columns=[tx_id, card_id, amount, note, ts], watermark=ts - 5s  [append-only]',
      '    LogicalScan: stream=paired_tx, columns=[card_id, amount]  [append-only]',
    ],
  },
  {
    name: 'changes nothing when the filter already sits on the scan',
    sql: 'SELECT card_id FROM tx WHERE amount > 1',
    expected: null,
  },
]);
