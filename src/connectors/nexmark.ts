/**
 * A deterministic Nexmark event generator (the online-auction benchmark of Tucker et al., in
 * the shape used by the Beam and Flink Nexmark suites).
 *
 * Model:
 * - Events are numbered from 0. Within every block of 50 events, offset 0 is a person, offsets
 *   1..3 are auctions and offsets 4..49 are bids (person:auction:bid = 1:3:46).
 * - Event `n` happens at `baseTime + floor(n * 1000 / eventsPerSecond)` ms.
 * - Person and auction ids are dense and start at 1000: the k-th person (k from 0) has id
 *   1000 + k, likewise for auctions.
 * - References point at recent entities. A bid names a hot auction with probability
 *   (hotAuctionRatio - 1) / hotAuctionRatio: the newest auction rounded down to a multiple of the
 *   ratio; otherwise one of the last `numInFlightAuctions` auctions. Sellers and bidders follow
 *   the same scheme over the last `numActivePeople` persons (hot bidders are offset by one so that
 *   they differ from hot sellers), and may name a person up to `personIdLead` ahead.
 * - Every event draws from its own random stream (see rng.ts), so event `n` is a pure function of
 *   `(n, config)`: runs can be split by event ranges and restarted anywhere.
 */

import { SluiceError } from '../common/errors.js';
import { T, type DataType } from '../common/types.js';
import { Rng, mix32 } from './rng.js';

// ---------------------------------------------------------------- configuration

/** Generator parameters. Every field has a default; build one with `nexmarkConfig`. */
export interface NexmarkConfig {
  /** Seed of the whole run; event `n` of seed `s` is always the same event. */
  readonly seed: number;
  /** Event time of event 0, epoch milliseconds. */
  readonly baseTime: number;
  /** Event-time rate: event `n` is at `baseTime + floor(n * 1000 / eventsPerSecond)`. */
  readonly eventsPerSecond: number;
  /** How many of the most recent persons sellers and bidders are drawn from. */
  readonly numActivePeople: number;
  /** How many of the most recent auctions bids are drawn from. */
  readonly numInFlightAuctions: number;
  /** A bid goes to the hot auction with probability (ratio - 1) / ratio. */
  readonly hotAuctionRatio: number;
  /** An auction's seller is the hot seller with probability (ratio - 1) / ratio. */
  readonly hotSellersRatio: number;
  /** A bid's bidder is the hot bidder with probability (ratio - 1) / ratio. */
  readonly hotBiddersRatio: number;
  /** A bid comes from one of the few hot channels with probability (ratio - 1) / ratio. */
  readonly hotChannelsRatio: number;
  /** Categories are 10 .. 10 + numCategories - 1. */
  readonly numCategories: number;
  /** Sellers and bidders may name persons up to this many ids ahead of the newest one. */
  readonly personIdLead: number;
  /**
   * Bids may name auctions up to this many ids ahead of the newest one. The standard uses 10;
   * the default here is 0 so that every bid names an auction that already exists.
   */
  readonly auctionIdLead: number;
  /** Average serialized sizes; the `extra` column pads each event towards them. */
  readonly avgPersonByteSize: number;
  readonly avgAuctionByteSize: number;
  readonly avgBidByteSize: number;
}

/** 2024-01-01T00:00:00Z. */
export const NEXMARK_BASE_TIME = Date.UTC(2024, 0, 1);

export const DEFAULT_NEXMARK_CONFIG: NexmarkConfig = Object.freeze({
  seed: 0,
  baseTime: NEXMARK_BASE_TIME,
  eventsPerSecond: 10_000,
  numActivePeople: 1000,
  numInFlightAuctions: 100,
  hotAuctionRatio: 2,
  hotSellersRatio: 4,
  hotBiddersRatio: 4,
  hotChannelsRatio: 2,
  numCategories: 5,
  personIdLead: 10,
  auctionIdLead: 0,
  avgPersonByteSize: 200,
  avgAuctionByteSize: 500,
  avgBidByteSize: 100,
});

/** A full config from defaults plus overrides. Throws INVALID_ARGUMENT on nonsense values. */
export function nexmarkConfig(overrides: Partial<NexmarkConfig> = {}): NexmarkConfig {
  const c: NexmarkConfig = { ...DEFAULT_NEXMARK_CONFIG, ...overrides };
  const positive: (keyof NexmarkConfig)[] = [
    'eventsPerSecond', 'numActivePeople', 'numInFlightAuctions', 'hotAuctionRatio',
    'hotSellersRatio', 'hotBiddersRatio', 'hotChannelsRatio', 'numCategories',
  ];
  for (const k of positive) {
    if (!(c[k] > 0) || !Number.isFinite(c[k])) {
      throw new SluiceError('INVALID_ARGUMENT', `nexmark: ${k} must be a positive number, got ${c[k]}`);
    }
  }
  for (const k of ['seed', 'baseTime', 'personIdLead', 'auctionIdLead'] as const) {
    if (!Number.isSafeInteger(c[k]) || (k !== 'baseTime' && c[k] < 0)) {
      throw new SluiceError('INVALID_ARGUMENT', `nexmark: ${k} must be a non-negative integer, got ${c[k]}`);
    }
  }
  return Object.freeze(c);
}

// ---------------------------------------------------------------- rows and schemas

/** A person registers to buy or sell. */
export interface PersonRow {
  id: number;
  name: string;
  email_address: string;
  credit_card: string;
  city: string;
  state: string;
  date_time: number;
  extra: string;
}

/** An item put up for auction by a seller (a person). */
export interface AuctionRow {
  id: number;
  item_name: string;
  description: string;
  initial_bid: number;
  reserve: number;
  date_time: number;
  expires: number;
  seller: number;
  category: number;
  extra: string;
}

/** A bid by a bidder (a person) on an auction. Prices are in cents. */
export interface BidRow {
  auction: number;
  bidder: number;
  price: number;
  channel: string;
  url: string;
  date_time: number;
  extra: string;
}

/** One generated event, tagged with the stream it belongs to. */
export type NexmarkEvent =
  | { readonly kind: 'person'; readonly row: PersonRow }
  | { readonly kind: 'auction'; readonly row: AuctionRow }
  | { readonly kind: 'bid'; readonly row: BidRow };

export type NexmarkKind = NexmarkEvent['kind'];

/** A column of a Nexmark stream: its name, its DDL type text and the engine type. */
export interface NexmarkColumn {
  readonly name: string;
  readonly sqlType: string;
  readonly type: DataType;
}

const BIGINT: Omit<NexmarkColumn, 'name'> = { sqlType: 'BIGINT', type: T.BIGINT };
const STRING: Omit<NexmarkColumn, 'name'> = { sqlType: 'STRING', type: T.STRING };
const TS: Omit<NexmarkColumn, 'name'> = { sqlType: 'TIMESTAMP(3)', type: T.TIMESTAMP };
const col = (name: string, t: Omit<NexmarkColumn, 'name'>): NexmarkColumn => ({ name, ...t });

/** Column order and types of the three streams, as declared by `nexmarkDdl`. */
export const nexmarkSchemas: Readonly<Record<NexmarkKind, readonly NexmarkColumn[]>> = {
  person: [
    col('id', BIGINT), col('name', STRING), col('email_address', STRING), col('credit_card', STRING),
    col('city', STRING), col('state', STRING), col('date_time', TS), col('extra', STRING),
  ],
  auction: [
    col('id', BIGINT), col('item_name', STRING), col('description', STRING), col('initial_bid', BIGINT),
    col('reserve', BIGINT), col('date_time', TS), col('expires', TS), col('seller', BIGINT),
    col('category', BIGINT), col('extra', STRING),
  ],
  bid: [
    col('auction', BIGINT), col('bidder', BIGINT), col('price', BIGINT), col('channel', STRING),
    col('url', STRING), col('date_time', TS), col('extra', STRING),
  ],
};

// ---------------------------------------------------------------- id arithmetic

const PERSON_PROPORTION = 1;
const AUCTION_PROPORTION = 3;
const PROPORTION_DENOMINATOR = 50;
export const FIRST_PERSON_ID = 1000;
export const FIRST_AUCTION_ID = 1000;
export const FIRST_CATEGORY_ID = 10;

/** Which stream event `n` belongs to; no random draws. */
export function nexmarkEventKind(n: number): NexmarkKind {
  const r = n % PROPORTION_DENOMINATOR;
  return r < PERSON_PROPORTION ? 'person' : r < PERSON_PROPORTION + AUCTION_PROPORTION ? 'auction' : 'bid';
}

/** Event time of event `n`, epoch ms. */
export function nexmarkEventTime(n: number, config: NexmarkConfig = DEFAULT_NEXMARK_CONFIG): number {
  return config.baseTime + Math.floor((n * 1000) / config.eventsPerSecond);
}

/** Zero-based index of the newest person at or before event `n`. */
export function lastPersonIndex(n: number): number {
  // With one person per block it is the person at the start of n's block.
  return Math.floor(n / PROPORTION_DENOMINATOR);
}

/** Zero-based index of the newest auction at or before event `n` (-1 before the first). */
export function lastAuctionIndex(n: number): number {
  const epoch = Math.floor(n / PROPORTION_DENOMINATOR);
  const offset = n % PROPORTION_DENOMINATOR;
  if (offset < PERSON_PROPORTION) return epoch * AUCTION_PROPORTION - 1;
  if (offset >= PERSON_PROPORTION + AUCTION_PROPORTION) return epoch * AUCTION_PROPORTION + AUCTION_PROPORTION - 1;
  return epoch * AUCTION_PROPORTION + offset - PERSON_PROPORTION;
}

/** Number of bid events among event numbers [from, to). */
export function nexmarkBidCount(from: number, to: number): number {
  const bidsBefore = (n: number): number => {
    const whole = Math.floor(n / PROPORTION_DENOMINATOR);
    const rest = n % PROPORTION_DENOMINATOR;
    return whole * (PROPORTION_DENOMINATOR - 4) + Math.max(0, rest - 4);
  };
  return to <= from ? 0 : bidsBefore(to) - bidsBefore(from);
}

function randomPersonIndex(rng: Rng, n: number, c: NexmarkConfig): number {
  const numPeople = lastPersonIndex(n) + 1;
  const active = Math.min(numPeople, c.numActivePeople);
  return numPeople - active + rng.nextInt(active + c.personIdLead);
}

function randomAuctionIndex(rng: Rng, n: number, c: NexmarkConfig): number {
  const last = Math.max(lastAuctionIndex(n), 0);
  const min = Math.max(last - c.numInFlightAuctions, 0);
  return min + rng.nextInt(last - min + 1 + c.auctionIdLead);
}

/** Prices in cents, log-uniform between $1 and $1,000,000. */
function nextPrice(rng: Rng): number {
  return Math.round(Math.pow(10, rng.nextDouble() * 6) * 100);
}

// ---------------------------------------------------------------- strings without allocation

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const POOL_SIZE = 1 << 16;

function makePool(withSpaces: boolean): string {
  const r = new Rng(0x5eed);
  const chars: string[] = new Array<string>(POOL_SIZE);
  for (let i = 0; i < POOL_SIZE; i++) {
    chars[i] = withSpaces && r.nextInt(13) === 0 ? ' ' : (LETTERS[r.nextInt(26)] ?? 'a');
  }
  return chars.join('');
}

/** Random text is a slice of a fixed pool, so drawing it costs one substring, not `len` chars. */
const TEXT_POOL = makePool(true);
const WORD_POOL = makePool(false);

function poolSlice(rng: Rng, pool: string, len: number): string {
  const at = rng.nextInt(POOL_SIZE - len);
  return pool.substring(at, at + len);
}

/** Text of length 3 .. maxLength - 1, as in the standard generator. */
function nextText(rng: Rng, maxLength: number): string {
  return poolSlice(rng, TEXT_POOL, 3 + rng.nextInt(maxLength - 3));
}

/** Padding so that an event's size averages `avgSize`, +-20%. */
function nextExtra(rng: Rng, currentSize: number, avgSize: number): string {
  if (currentSize > avgSize) return '';
  const want = avgSize - currentSize;
  const delta = Math.round(want * 0.2);
  return poolSlice(rng, TEXT_POOL, want - delta + (delta === 0 ? 0 : rng.nextInt(2 * delta)));
}

const FIRST_NAMES = ['Peter', 'Paul', 'Luke', 'John', 'Saul', 'Vicky', 'Kate', 'Julie', 'Sarah', 'Deiter', 'Walter'];
const LAST_NAMES = ['Shultz', 'Abrams', 'Spencer', 'White', 'Bartels', 'Walton', 'Smith', 'Jones', 'Noris'];
const FULL_NAMES = FIRST_NAMES.flatMap((f) => LAST_NAMES.map((l) => `${f} ${l}`));
const CITIES = ['Phoenix', 'Los Angeles', 'San Francisco', 'Boise', 'Portland', 'Bend', 'Redmond', 'Seattle', 'Kent', 'Cheyenne'];
const STATES = ['AZ', 'CA', 'ID', 'OR', 'WA', 'WY'];
const DIGITS4 = Array.from({ length: 10000 }, (_, i) => String(i).padStart(4, '0'));

const HOT_CHANNELS = ['Google', 'Facebook', 'Baidu', 'Apple'];
const HOT_URLS = HOT_CHANNELS.map((c) => `https://www.nexmark.com/${c.toLowerCase()}/item.htm?query=1`);
const NUM_CHANNELS = 10_000;
const CHANNEL_NAMES: string[] = [];
const CHANNEL_URLS: string[] = [];
for (let i = 0; i < NUM_CHANNELS; i++) {
  const h = mix32(i + 0x2545f491);
  const a = WORD_POOL.substring(h & 0x7fff, (h & 0x7fff) + 5);
  const b = WORD_POOL.substring((h >>> 15) & 0x7fff, ((h >>> 15) & 0x7fff) + 5);
  CHANNEL_NAMES.push(`channel-${i}`);
  CHANNEL_URLS.push(`https://www.nexmark.com/${a}/${b}/item.htm?query=1&channel_id=${h >>> 0}`);
}

const pick = (arr: readonly string[], rng: Rng): string => arr[rng.nextInt(arr.length)] ?? '';

// ---------------------------------------------------------------- events

/** One stream reseeded per event; generation never re-enters itself, so sharing is safe. */
const rng = new Rng();

function makePerson(n: number, c: NexmarkConfig, time: number): PersonRow {
  const name = pick(FULL_NAMES, rng);
  const email = poolSlice(rng, WORD_POOL, 7) + '@' + poolSlice(rng, WORD_POOL, 5) + '.com';
  const card =
    pick(DIGITS4, rng) + ' ' + pick(DIGITS4, rng) + ' ' + pick(DIGITS4, rng) + ' ' + pick(DIGITS4, rng);
  const city = pick(CITIES, rng);
  const state = pick(STATES, rng);
  const size = 8 + name.length + email.length + card.length + city.length + state.length + 8;
  return {
    id: FIRST_PERSON_ID + lastPersonIndex(n),
    name,
    email_address: email,
    credit_card: card,
    city,
    state,
    date_time: time,
    extra: nextExtra(rng, size, c.avgPersonByteSize),
  };
}

function makeAuction(n: number, c: NexmarkConfig, time: number): AuctionRow {
  const sellerIndex =
    rng.nextInt(c.hotSellersRatio) > 0
      ? Math.floor(lastPersonIndex(n) / c.hotSellersRatio) * c.hotSellersRatio
      : randomPersonIndex(rng, n, c);
  const category = FIRST_CATEGORY_ID + rng.nextInt(c.numCategories);
  const initialBid = nextPrice(rng);
  // Auctions run for up to twice the time it takes for numInFlightAuctions more to open.
  const eventsForAuctions = Math.floor((c.numInFlightAuctions * PROPORTION_DENOMINATOR) / AUCTION_PROPORTION);
  const horizon = nexmarkEventTime(n + eventsForAuctions, c) - time;
  const expires = time + 1 + rng.nextInt(Math.max(horizon * 2, 1));
  const itemName = nextText(rng, 20);
  const description = nextText(rng, 100);
  const reserve = initialBid + nextPrice(rng);
  const size = 8 + itemName.length + description.length + 8 + 8 + 8 + 8 + 8;
  return {
    id: FIRST_AUCTION_ID + lastAuctionIndex(n),
    item_name: itemName,
    description,
    initial_bid: initialBid,
    reserve,
    date_time: time,
    expires,
    seller: FIRST_PERSON_ID + sellerIndex,
    category,
    extra: nextExtra(rng, size, c.avgAuctionByteSize),
  };
}

// The numeric part of a bid, drawn into module scratch so the row and columnar paths share it.
let bidAuction = 0;
let bidBidder = 0;
let bidPrice = 0;
let bidChannel = 0; // < 0: hot channel ~index; else channel number

function drawBidNumbers(n: number, c: NexmarkConfig): void {
  bidAuction =
    FIRST_AUCTION_ID +
    (rng.nextInt(c.hotAuctionRatio) > 0
      ? Math.floor(Math.max(lastAuctionIndex(n), 0) / c.hotAuctionRatio) * c.hotAuctionRatio
      : randomAuctionIndex(rng, n, c));
  bidBidder =
    FIRST_PERSON_ID +
    (rng.nextInt(c.hotBiddersRatio) > 0
      ? Math.floor(lastPersonIndex(n) / c.hotBiddersRatio) * c.hotBiddersRatio + 1
      : randomPersonIndex(rng, n, c));
  bidPrice = nextPrice(rng);
  bidChannel = rng.nextInt(c.hotChannelsRatio) > 0 ? ~rng.nextInt(HOT_CHANNELS.length) : rng.nextInt(NUM_CHANNELS);
}

const BID_FIXED_SIZE = 8 + 8 + 8 + 8;

function makeBid(n: number, c: NexmarkConfig, time: number): BidRow {
  drawBidNumbers(n, c);
  const hot = bidChannel < 0;
  return {
    auction: bidAuction,
    bidder: bidBidder,
    price: bidPrice,
    channel: (hot ? HOT_CHANNELS[~bidChannel] : CHANNEL_NAMES[bidChannel]) ?? '',
    url: (hot ? HOT_URLS[~bidChannel] : CHANNEL_URLS[bidChannel]) ?? '',
    date_time: time,
    extra: nextExtra(rng, BID_FIXED_SIZE, c.avgBidByteSize),
  };
}

/** Event number `eventNumber` (a non-negative safe integer) of the run described by `config`. */
export function nexmarkEvent(eventNumber: number, config: NexmarkConfig = DEFAULT_NEXMARK_CONFIG): NexmarkEvent {
  rng.seedEvent(config.seed, eventNumber);
  const time = nexmarkEventTime(eventNumber, config);
  const r = eventNumber % PROPORTION_DENOMINATOR;
  if (r < PERSON_PROPORTION) return { kind: 'person', row: makePerson(eventNumber, config, time) };
  if (r < PERSON_PROPORTION + AUCTION_PROPORTION) return { kind: 'auction', row: makeAuction(eventNumber, config, time) };
  return { kind: 'bid', row: makeBid(eventNumber, config, time) };
}

/** Events `from` (inclusive) to `to` (exclusive), in order. Nothing is generated until pulled. */
export function* nexmarkRange(
  from: number,
  to: number,
  config: NexmarkConfig = DEFAULT_NEXMARK_CONFIG,
): Generator<NexmarkEvent, void, undefined> {
  for (let n = from; n < to; n++) yield nexmarkEvent(n, config);
}

// ---------------------------------------------------------------- columnar bids

export type BidColumnName = 'auction' | 'bidder' | 'price' | 'channel' | 'url' | 'date_time' | 'extra';

/**
 * The bids among a range of events, column by column. Numeric columns (BIGINT and TIMESTAMP(3)
 * as numbers) are Float64Arrays of exactly `length` entries; a string column that was not asked
 * for is an empty array. Row `i` equals the `i`-th bid that `nexmarkRange` yields for the range.
 */
export interface NexmarkBidColumns {
  readonly length: number;
  /** Event number of each bid, for offsets and restarts. */
  readonly eventNumber: Float64Array;
  readonly auction: Float64Array;
  readonly bidder: Float64Array;
  readonly price: Float64Array;
  readonly date_time: Float64Array;
  readonly channel: string[];
  readonly url: string[];
  readonly extra: string[];
}

const ALL_BID_COLUMNS: readonly BidColumnName[] = ['auction', 'bidder', 'price', 'channel', 'url', 'date_time', 'extra'];

/**
 * Bids among events [from, from + count), as columns: the fast path for bid-only sources.
 * `columns` limits which string columns are built (numbers are always filled; they cost little);
 * leaving out `extra` skips its random draw and substring, which is most of a bid's cost.
 */
export function nexmarkBidColumns(
  from: number,
  count: number,
  config: NexmarkConfig = DEFAULT_NEXMARK_CONFIG,
  columns: readonly BidColumnName[] = ALL_BID_COLUMNS,
): NexmarkBidColumns {
  const to = from + Math.max(0, count);
  const length = nexmarkBidCount(from, to);
  const wantChannel = columns.includes('channel');
  const wantUrl = columns.includes('url');
  const wantExtra = columns.includes('extra');
  const out: NexmarkBidColumns = {
    length,
    eventNumber: new Float64Array(length),
    auction: new Float64Array(length),
    bidder: new Float64Array(length),
    price: new Float64Array(length),
    date_time: new Float64Array(length),
    channel: wantChannel ? new Array<string>(length) : [],
    url: wantUrl ? new Array<string>(length) : [],
    extra: wantExtra ? new Array<string>(length) : [],
  };
  const { seed, baseTime, eventsPerSecond, avgBidByteSize } = config;
  let i = 0;
  for (let n = from; n < to; n++) {
    if (n % PROPORTION_DENOMINATOR < PERSON_PROPORTION + AUCTION_PROPORTION) continue;
    rng.seedEvent(seed, n);
    drawBidNumbers(n, config);
    out.eventNumber[i] = n;
    out.auction[i] = bidAuction;
    out.bidder[i] = bidBidder;
    out.price[i] = bidPrice;
    out.date_time[i] = baseTime + Math.floor((n * 1000) / eventsPerSecond);
    const hot = bidChannel < 0;
    if (wantChannel) out.channel[i] = (hot ? HOT_CHANNELS[~bidChannel] : CHANNEL_NAMES[bidChannel]) ?? '';
    if (wantUrl) out.url[i] = (hot ? HOT_URLS[~bidChannel] : CHANNEL_URLS[bidChannel]) ?? '';
    if (wantExtra) out.extra[i] = nextExtra(rng, BID_FIXED_SIZE, avgBidByteSize);
    i++;
  }
  return out;
}

// ---------------------------------------------------------------- DDL and connector options

/** Options of `nexmarkDdl`; each becomes a WITH option of the generated statements. */
export interface NexmarkDdlOptions {
  readonly config?: Partial<NexmarkConfig>;
  /** First event number the source emits (default 0). */
  readonly firstEvent?: number;
  /** Stop after this event number (exclusive); unbounded when absent. */
  readonly maxEvents?: number;
  /** Prefix for the stream names, e.g. 'nx_' gives nx_person, nx_auction, nx_bid. */
  readonly prefix?: string;
  readonly ifNotExists?: boolean;
}

/** WITH option keys understood by the nexmark connector, mapped to config fields. */
const OPTION_KEYS: Readonly<Record<string, keyof NexmarkConfig>> = {
  seed: 'seed',
  'base.time': 'baseTime',
  'events.per.second': 'eventsPerSecond',
  'active.people': 'numActivePeople',
  'in.flight.auctions': 'numInFlightAuctions',
  'hot.auction.ratio': 'hotAuctionRatio',
  'hot.seller.ratio': 'hotSellersRatio',
  'hot.bidder.ratio': 'hotBiddersRatio',
  'hot.channel.ratio': 'hotChannelsRatio',
  categories: 'numCategories',
  'person.id.lead': 'personIdLead',
  'auction.id.lead': 'auctionIdLead',
  'person.avg.size': 'avgPersonByteSize',
  'auction.avg.size': 'avgAuctionByteSize',
  'bid.avg.size': 'avgBidByteSize',
};

/** CREATE STREAM statements for `person`, `auction` and `bid` over the nexmark connector. */
export function nexmarkDdl(options: NexmarkDdlOptions = {}): Readonly<Record<NexmarkKind, string>> {
  const config = options.config ?? {};
  const withOpts: string[] = [];
  for (const [key, field] of Object.entries(OPTION_KEYS)) {
    const v = config[field];
    if (v !== undefined) withOpts.push(`'${key}' = ${v}`);
  }
  if (options.firstEvent !== undefined) withOpts.push(`'first.event' = ${options.firstEvent}`);
  if (options.maxEvents !== undefined) withOpts.push(`'max.events' = ${options.maxEvents}`);
  const prefix = options.prefix ?? '';
  const make = (kind: NexmarkKind): string => {
    const cols = nexmarkSchemas[kind].map((c) => `  ${c.name} ${c.sqlType},`).join('\n');
    const opts = [`connector = 'nexmark'`, `'nexmark.table' = '${kind}'`, ...withOpts].join(', ');
    return (
      `CREATE STREAM ${options.ifNotExists ? 'IF NOT EXISTS ' : ''}${prefix}${kind} (\n${cols}\n` +
      `  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND\n) WITH (${opts});`
    );
  };
  return { person: make('person'), auction: make('auction'), bid: make('bid') };
}

/** What a nexmark source needs, parsed from its WITH options. */
export interface NexmarkSourceOptions {
  readonly table: NexmarkKind;
  readonly config: NexmarkConfig;
  readonly firstEvent: number;
  /** Exclusive upper bound on event numbers; Infinity when unbounded. */
  readonly maxEvents: number;
}

/**
 * Parses the WITH options of a `connector = 'nexmark'` stream (keys as written by `nexmarkDdl`;
 * `connector` itself is ignored). Throws INVALID_ARGUMENT naming the offending key.
 */
export function nexmarkSourceOptions(
  options: Readonly<Record<string, string | number | boolean>>,
): NexmarkSourceOptions {
  const overrides: Record<string, number> = {};
  let table: NexmarkKind = 'bid';
  let firstEvent = 0;
  let maxEvents = Number.POSITIVE_INFINITY;
  const num = (key: string, v: string | number | boolean): number => {
    const x = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    if (!Number.isFinite(x)) {
      throw new SluiceError('INVALID_ARGUMENT', `nexmark: option '${key}' must be a number, got ${String(v)}`);
    }
    return x;
  };
  for (const [rawKey, v] of Object.entries(options)) {
    const key = rawKey.toLowerCase();
    if (key === 'connector') continue;
    if (key === 'nexmark.table') {
      if (v !== 'person' && v !== 'auction' && v !== 'bid') {
        throw new SluiceError('INVALID_ARGUMENT', `nexmark: 'nexmark.table' must be person, auction or bid`, {
          hint: `got ${String(v)}`,
        });
      }
      table = v;
    } else if (key === 'first.event') firstEvent = num(key, v);
    else if (key === 'max.events') maxEvents = num(key, v);
    else if (key === 'base.time' && typeof v === 'string' && !/^\d+$/.test(v)) {
      const t = Date.parse(v);
      if (Number.isNaN(t)) throw new SluiceError('INVALID_ARGUMENT', `nexmark: 'base.time' is not a timestamp: ${v}`);
      overrides.baseTime = t;
    } else {
      const field = OPTION_KEYS[key];
      if (field === undefined) {
        throw new SluiceError('INVALID_ARGUMENT', `nexmark: unknown option '${rawKey}'`, {
          hint: `known options: nexmark.table, first.event, max.events, ${Object.keys(OPTION_KEYS).join(', ')}`,
        });
      }
      overrides[field] = num(key, v);
    }
  }
  return { table, config: nexmarkConfig(overrides), firstEvent, maxEvents };
}
