import { describe, expect, it } from 'vitest';
import { SluiceError } from '../../src/common/errors.js';
import {
  DEFAULT_NEXMARK_CONFIG,
  NEXMARK_BASE_TIME,
  lastAuctionIndex,
  nexmarkBidColumns,
  nexmarkBidCount,
  nexmarkConfig,
  nexmarkDdl,
  nexmarkEvent,
  nexmarkEventKind,
  nexmarkRange,
  nexmarkSchemas,
  nexmarkSourceOptions,
  type AuctionRow,
  type BidRow,
  type NexmarkEvent,
} from '../../src/connectors/nexmark.js';

const collect = (from: number, to: number, config = DEFAULT_NEXMARK_CONFIG): NexmarkEvent[] => [
  ...nexmarkRange(from, to, config),
];
const bidsOf = (events: NexmarkEvent[]): BidRow[] => events.flatMap((e) => (e.kind === 'bid' ? [e.row] : []));

describe('nexmark generator: determinism', () => {
  it('generates the same event twice, whatever was generated in between', () => {
    const a = nexmarkEvent(4321);
    collect(0, 500);
    expect(nexmarkEvent(4321)).toEqual(a);
    expect(nexmarkEvent(1_000_000_007)).toEqual(nexmarkEvent(1_000_000_007));
  });

  it('split runs equal a whole run', () => {
    const whole = collect(0, 10_000);
    const parts = [...collect(0, 3_333), ...collect(3_333, 7_001), ...collect(7_001, 10_000)];
    expect(parts).toEqual(whole);
    // Partitioned by event number modulo 4, then merged back in order.
    const byPartition = [0, 1, 2, 3].map((p) => {
      const out: NexmarkEvent[] = [];
      for (let n = p; n < 10_000; n += 4) out.push(nexmarkEvent(n));
      return out;
    });
    const merged = whole.map((_, n) => byPartition[n % 4]?.[Math.floor(n / 4)]);
    expect(merged).toEqual(whole);
  });

  it('restarts from any event number', () => {
    const whole = collect(0, 2_000);
    expect(collect(1_234, 2_000)).toEqual(whole.slice(1_234));
  });

  it('changes with the seed', () => {
    const other = nexmarkConfig({ seed: 99 });
    expect(nexmarkEvent(10, other)).not.toEqual(nexmarkEvent(10));
    expect(nexmarkEvent(10, other).kind).toBe('bid');
  });
});

describe('nexmark generator: model', () => {
  it('has exactly 1 person, 3 auctions and 46 bids per 50 events', () => {
    const events = collect(0, 50_000);
    for (let block = 0; block < 1_000; block++) {
      const counts = { person: 0, auction: 0, bid: 0 };
      for (let i = block * 50; i < block * 50 + 50; i++) {
        const e = events[i];
        if (e) counts[e.kind]++;
      }
      expect(counts).toEqual({ person: 1, auction: 3, bid: 46 });
    }
    expect(events.map((e) => e.kind)).toEqual(events.map((_, n) => nexmarkEventKind(n)));
    expect(nexmarkBidCount(0, 50_000)).toBe(46_000);
    expect(nexmarkBidCount(17, 1_234)).toBe(bidsOf(collect(17, 1_234)).length);
  });

  it('numbers persons and auctions densely from 1000', () => {
    const events = collect(0, 20_000);
    const persons = events.flatMap((e) => (e.kind === 'person' ? [e.row.id] : []));
    const auctions = events.flatMap((e) => (e.kind === 'auction' ? [e.row.id] : []));
    expect(persons).toEqual(persons.map((_, i) => 1000 + i));
    expect(auctions).toEqual(auctions.map((_, i) => 1000 + i));
  });

  it('times events at base time + n / rate', () => {
    expect(nexmarkEvent(0).row.date_time).toBe(NEXMARK_BASE_TIME);
    expect(NEXMARK_BASE_TIME).toBe(Date.parse('2024-01-01T00:00:00Z'));
    expect(nexmarkEvent(10_000).row.date_time).toBe(NEXMARK_BASE_TIME + 1_000);
    expect(nexmarkEvent(10_005).row.date_time).toBe(NEXMARK_BASE_TIME + 1_000);
    const slow = nexmarkConfig({ eventsPerSecond: 100 });
    expect(nexmarkEvent(250, slow).row.date_time).toBe(NEXMARK_BASE_TIME + 2_500);
  });

  it('bids only reference auctions that exist by then, and never later than their event', () => {
    const auctionTime = new Map<number, number>();
    let maxAuction = -1;
    const bad: string[] = [];
    for (const e of nexmarkRange(0, 50_000)) {
      if (e.kind === 'auction') {
        auctionTime.set(e.row.id, e.row.date_time);
        maxAuction = Math.max(maxAuction, e.row.id);
      } else if (e.kind === 'bid') {
        const t = auctionTime.get(e.row.auction);
        if (e.row.auction < 1000 || e.row.auction > maxAuction || t === undefined || t > e.row.date_time) {
          bad.push(JSON.stringify(e.row));
        }
      }
    }
    expect(bad).toEqual([]);
  });

  it('references recent auctions only', () => {
    const { numInFlightAuctions } = DEFAULT_NEXMARK_CONFIG;
    const cols = nexmarkBidColumns(0, 50_000);
    let worst = 0;
    for (let i = 0; i < cols.length; i++) {
      const newest = 1000 + lastAuctionIndex(cols.eventNumber[i] ?? 0);
      worst = Math.max(worst, newest - (cols.auction[i] ?? 0));
    }
    expect(worst).toBeLessThanOrEqual(numInFlightAuctions);
    expect(worst).toBeGreaterThan(numInFlightAuctions / 2);
  });

  it('makes hot auctions and hot bidders', () => {
    const events = collect(0, 50_000);
    const topShare = (rows: number[]): number => {
      const counts = new Map<number, number>();
      let top = 0;
      for (const k of rows) {
        const c = (counts.get(k) ?? 0) + 1;
        counts.set(k, c);
        top = Math.max(top, c);
      }
      return top / rows.length;
    };
    // Within each block of 50 events the 46 bids spread over ~100 in-flight auctions; uniform
    // choice would give the top auction a few percent, the hot auction takes about half.
    let auctionShare = 0;
    for (let b = 0; b < 1_000; b++) auctionShare += topShare(bidsOf(events.slice(b * 50, b * 50 + 50)).map((r) => r.auction));
    expect(auctionShare / 1_000).toBeGreaterThan(0.4);
    // Hot bidders stay hot for 4 blocks and take about 3/4 of the bids.
    let bidderShare = 0;
    for (let b = 0; b < 250; b++) bidderShare += topShare(bidsOf(events.slice(b * 200, b * 200 + 200)).map((r) => r.bidder));
    expect(bidderShare / 250).toBeGreaterThan(0.6);
    // Over the whole run the most-bid auction is far above the mean of 46000 / 3000.
    const whole = bidsOf(events).map((r) => r.auction);
    expect(topShare(whole) * whole.length).toBeGreaterThan(3 * (whole.length / 3_000));
  });

  it('fills plausible values', () => {
    const bad: string[] = [];
    const check = (ok: boolean, e: NexmarkEvent): void => {
      if (!ok) bad.push(JSON.stringify(e));
    };
    for (const e of nexmarkRange(0, 5_000)) {
      if (e.kind === 'auction') {
        const a: AuctionRow = e.row;
        check(a.expires > a.date_time && a.reserve >= a.initial_bid, e);
        check(a.category >= 10 && a.category < 15 && a.seller >= 1000, e);
      } else if (e.kind === 'bid') {
        const b = e.row;
        check(b.price >= 100 && b.price <= 100_000_000 && Number.isInteger(b.price), e);
        check(b.extra.length >= 54 && b.extra.length < 82, e);
        check(b.url.startsWith('https://www.nexmark.com/') && b.channel.length > 0, e);
      } else {
        const p = e.row;
        check(/^[a-z]{7}@[a-z]{5}\.com$/.test(p.email_address), e);
        check(/^\d{4} \d{4} \d{4} \d{4}$/.test(p.credit_card), e);
        check(['AZ', 'CA', 'ID', 'OR', 'WA', 'WY'].includes(p.state), e);
      }
    }
    expect(bad).toEqual([]);
  });

  it('gives rows exactly the schema columns, in order', () => {
    for (const n of [0, 1, 4]) {
      const e = nexmarkEvent(n);
      expect(Object.keys(e.row)).toEqual(nexmarkSchemas[e.kind].map((c) => c.name));
    }
  });
});

describe('nexmark generator: columnar bids', () => {
  it('equals the bids of the row path', () => {
    const rows = bidsOf(collect(123, 5_123));
    const cols = nexmarkBidColumns(123, 5_000);
    expect(cols.length).toBe(rows.length);
    rows.forEach((r, i) => {
      expect({
        auction: cols.auction[i],
        bidder: cols.bidder[i],
        price: cols.price[i],
        channel: cols.channel[i],
        url: cols.url[i],
        date_time: cols.date_time[i],
        extra: cols.extra[i],
      }).toEqual(r);
    });
  });

  it('skips string columns not asked for without changing the numbers', () => {
    const all = nexmarkBidColumns(0, 1_000);
    const some = nexmarkBidColumns(0, 1_000, DEFAULT_NEXMARK_CONFIG, ['auction', 'price']);
    expect(some.extra).toEqual([]);
    expect(some.channel).toEqual([]);
    expect(some.price).toEqual(all.price);
    expect(some.bidder).toEqual(all.bidder);
    expect(nexmarkBidColumns(0, 0).length).toBe(0);
  });
});

describe('nexmark DDL and options', () => {
  it('declares the three streams with a watermark', () => {
    const ddl = nexmarkDdl({ config: { eventsPerSecond: 50_000, seed: 3 }, maxEvents: 1_000_000 });
    expect(ddl.bid).toContain('CREATE STREAM bid (');
    expect(ddl.bid).toContain("WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND");
    expect(ddl.bid).toContain("connector = 'nexmark'");
    expect(ddl.person).toContain('credit_card STRING');
    expect(ddl.auction).toContain('expires TIMESTAMP(3)');
    expect(ddl.auction).toContain("'events.per.second' = 50000");
  });

  it('parses the options it writes', () => {
    const parsed = nexmarkSourceOptions({
      connector: 'nexmark',
      'nexmark.table': 'auction',
      'events.per.second': 50_000,
      seed: '3',
      'max.events': 1_000,
      'base.time': '2024-06-01T00:00:00Z',
    });
    expect(parsed.table).toBe('auction');
    expect(parsed.config.eventsPerSecond).toBe(50_000);
    expect(parsed.config.seed).toBe(3);
    expect(parsed.config.baseTime).toBe(Date.parse('2024-06-01T00:00:00Z'));
    expect(parsed.maxEvents).toBe(1_000);
    expect(parsed.firstEvent).toBe(0);
  });

  it('rejects bad options and configs with INVALID_ARGUMENT', () => {
    const code = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        return e instanceof SluiceError ? e.code : 'other';
      }
      return undefined;
    };
    expect(code(() => nexmarkSourceOptions({ 'nexmark.table': 'bids' }))).toBe('INVALID_ARGUMENT');
    expect(code(() => nexmarkSourceOptions({ 'events.per.sec': 1 }))).toBe('INVALID_ARGUMENT');
    expect(code(() => nexmarkSourceOptions({ seed: 'x' }))).toBe('INVALID_ARGUMENT');
    expect(code(() => nexmarkConfig({ eventsPerSecond: 0 }))).toBe('INVALID_ARGUMENT');
  });
});
