/**
 * A nexmark bid stream builds its batches from columns (nexmarkBidColumns): through the engine it
 * gives the rows nexmarkEvent makes, for every column layout a CREATE STREAM may declare.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { nexmarkRange, type BidRow } from '../../src/connectors/nexmark.js';
import { tempEngine } from '../engine/helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const FIRST = 1234;
const EVENTS = 3000;

function expected(columns: readonly string[]): unknown[][] {
  const bids = [...nexmarkRange(FIRST, FIRST + EVENTS)].flatMap((e) => (e.kind === 'bid' ? [e.row] : []));
  return bids.map((b) => columns.map((c) => (c in b ? b[c as keyof BidRow] : null)));
}

describe('nexmark bid stream built from columns', () => {
  for (const [what, ddl, columns] of [
    ['every column, in order', 'auction BIGINT, bidder BIGINT, price BIGINT, channel STRING, url STRING, date_time TIMESTAMP(3), extra STRING', ['auction', 'bidder', 'price', 'channel', 'url', 'date_time', 'extra']],
    ['a reordered subset with a column the generator does not make', 'extra STRING, note STRING, price BIGINT, date_time TIMESTAMP(3), channel STRING', ['extra', 'note', 'price', 'date_time', 'channel']],
  ] as const) {
    it(`gives nexmarkEvent's rows: ${what}`, async () => {
      const { engine, cleanup } = await tempEngine();
      cleanups.push(cleanup);
      await engine.execute(`CREATE STREAM bid (${ddl}) WITH (connector = 'nexmark', 'nexmark.table' = 'bid', 'first.event' = ${FIRST}, 'max.events' = ${EVENTS}, 'batch.size' = 700)`);
      const [res] = await engine.execute(`SELECT ${columns.join(', ')} FROM bid`, { bounded: true });
      if (res?.kind !== 'push') throw new Error('expected a push result');
      const got: unknown[][] = [];
      for await (const batch of res.rows) for (const r of batch) got.push(r.values.map((v) => (typeof v === 'bigint' ? Number(v) : v)));
      const want = expected(columns);
      expect(got.length).toBe(want.length);
      expect(got).toEqual(want);
    });
  }
});
