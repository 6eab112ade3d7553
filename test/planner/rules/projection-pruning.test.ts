import { describeRule } from './rule-fixtures.js';

describeRule('projection-pruning', [
  {
    name: 'reads only the columns a GROUP BY needs (and the event-time column)',
    sql: 'SELECT card_id, COUNT(*) AS n FROM tx GROUP BY card_id',
    expected: [
      'LogicalProject: card_id, n := count()  [upsert(card_id)]',
      '  LogicalAggregate: group=[card_id], aggs=[count(*)]  [upsert(card_id)]',
      '    LogicalScan: stream=tx, columns=[card_id, ts], watermark=ts - 5s  [append-only]',
    ],
  },
  {
    name: "takes only the table columns the query uses from a lookup join",
    sql: 'SELECT tx.tx_id, cards.owner FROM tx JOIN cards',
    expected: [
      'LogicalProject: tx_id, owner  [append-only]',
      '  LogicalLookupJoin: inner, table=cards, key=[card_id], columns=[owner]  [append-only]',
      '    LogicalScan: stream=tx, columns=[tx_id, card_id, ts], watermark=ts - 5s  [append-only]',
    ],
  },
  {
    name: 'changes nothing when every column is read',
    sql: 'SELECT * FROM tx',
    expected: null,
  },
]);
