/** The data generators: `datagen` (card transactions) and `nexmark` (the Nexmark auction benchmark). */
import type * as A from 'apache-arrow';
import { SluiceError } from '../common/errors.js';
import { typeToString, type DataType, type Field } from '../common/types.js';
import { batchOfData, buildConstant, buildData, buildFixedWidthList, utf8Data } from '../exec/columns.js';
import { GeneratorSource, type BatchMaker } from '../exec/sources/generator-source.js';
import type { Connector } from './connector.js';
import { ParsedOptions, int, str, type OptionDecl } from './connector-options.js';
import { FEATURE_COUNT, txColumns, txConfig, txEvent, txLabelEvent, type TxColumns, type TxConfig } from './datagen.js';
import { datagenWorker } from './datagen-columns.js';
import { nexmarkBidColumns, nexmarkEvent, nexmarkSourceOptions, type BidColumnName, type NexmarkConfig } from './nexmark.js';

const num = (name: string, doc: string, dflt?: string, min?: number): OptionDecl => ({ name, type: { kind: 'number', ...(min !== undefined ? { min } : {}) }, doc, ...(dflt !== undefined ? { default: dflt } : {}) });
const BASE_TIME: OptionDecl = { name: 'base.time', type: { kind: 'timestamp' }, doc: 'Event time of the first event.', default: 'the time the query starts' };
const PACING = [
  num('rows.per.second', 'Rows per second, in event time and in real time (0: as fast as the query takes them; the event-time spacing then uses 1000).', '0', 0),
  int('max.events', 'Events after which the stream ends.', 'unlimited', 0),
];

/** Default rows per datagen batch: a paced stream hands out smaller batches, so rows wait less for the rest of theirs. */
const UNPACED_BATCH_ROWS = 1024;
const PACED_BATCH_ROWS = 256;

const DATAGEN: readonly OptionDecl[] = [
  ...PACING,
  int('cards', 'Distinct card ids.', '1000', 1),
  int('seed', 'Seed of the generator: the same seed gives the same rows.', '1'),
  BASE_TIME,
  int('batch.size', 'Rows per batch: larger batches cost less per row, smaller ones wait less for the rows a paced stream has not made yet.', `${UNPACED_BATCH_ROWS} (${PACED_BATCH_ROWS} with rows.per.second)`, 1),
  str('kind', "What the stream carries: 'tx', the transactions, or 'labels', the truth about each transaction (tx_id, is_fraud, ts), 'label.delay' after it.", 'tx', ['tx', 'labels']),
  { name: 'label.delay', type: { kind: 'duration' }, doc: "With kind = 'labels': how long after its transaction a label arrives.", default: '30s' },
];

export const datagenConnector: Connector = {
  name: 'datagen',
  doc: "Generates card transactions deterministically from a seed (columns tx_id STRING, card_id STRING, amount DOUBLE, features ARRAY<FLOAT>, ts TIMESTAMP; with kind = 'labels': tx_id STRING, is_fraud BOOLEAN, ts TIMESTAMP); a declared column of another type is refused at CREATE, one the generator does not make reads as NULL. A restart resumes at the next event. Transactions with their features are drawn in a worker thread, a few batches ahead of the query (on the main thread while that worker starts, or if it cannot run); the rows are the same either way.",
  options: { stream: DATAGEN },
  check(_kind, options, ctx) {
    const made = String(options['kind'] ?? 'tx') === 'labels' ? LABEL_COLUMNS : TX_COLUMNS;
    for (const { field, span } of ctx.columns ?? []) {
      const fits = made[field.name.toLowerCase()];
      if (!fits || fits.test(field.type)) continue;
      throw new SluiceError('TYPE_MISMATCH', `${ctx.what}: column '${field.name}' is declared ${typeToString(field.type)}, but the datagen connector makes it ${fits.what}`, {
        span,
        hint: `declare '${field.name}' as ${fits.what}; columns the generator does not make read as NULL`,
      });
    }
  },
  source(plan) {
    const o = new ParsedOptions(plan.options, DATAGEN, `stream ${plan.relation}`);
    const config = txConfig({
      seed: o.number('seed', 1),
      eventsPerSecond: o.number('rows.per.second', 1000) || 1000,
      numCards: o.number('cards', 1000),
      baseTime: o.number('base.time', Date.now()),
    });
    const labelDelayMs = o.string('kind', 'tx') === 'labels' ? o.number('label.delay', 30_000) : undefined;
    const features = plan.fields.some((f) => f.name === 'features');
    const tx = features ? (n: number) => txEvent(n, config) : (n: number) => txEvent(n, config, { features: false });
    return new GeneratorSource(
      {
        name: plan.relation,
        event: labelDelayMs === undefined ? (n) => tx(n) as unknown as Record<string, unknown> : (n) => txLabelEvent(n, labelDelayMs, config) as Record<string, unknown> | undefined,
        // Drawing the 30 features is most of an event's cost: only then is a worker worth its messages.
        ...(labelDelayMs !== undefined ? {} : features ? { batchesAhead: () => txBatchMaker(plan.fields, config) } : { batch: (from: number, to: number) => txBatch(plan.fields, txColumns(from, to, config, false), to - from) }),
        firstEvent: 0,
        maxEvents: o.number('max.events', Number.POSITIVE_INFINITY),
        rowsPerSecond: o.number('rows.per.second', 0),
        batchSize: o.number('batch.size', o.number('rows.per.second', 0) > 0 ? PACED_BATCH_ROWS : UNPACED_BATCH_ROWS),
      },
      plan.fields,
      plan.watermark,
    );
  },
};

/** A column the generator makes: the declared types that hold its values. */
interface MadeColumn {
  readonly what: string;
  test(t: DataType): boolean;
}
const STRING_COLUMN: MadeColumn = { what: 'STRING', test: (t) => t.kind === 'STRING' };
const TIMESTAMP_COLUMN: MadeColumn = { what: 'TIMESTAMP', test: (t) => t.kind === 'TIMESTAMP' };
const floating = (t: DataType) => t.kind === 'DOUBLE' || t.kind === 'FLOAT';
/** The columns of a 'tx' stream (datagenSchemas.tx), by name. */
const TX_COLUMNS: Readonly<Record<string, MadeColumn>> = {
  tx_id: STRING_COLUMN,
  card_id: STRING_COLUMN,
  amount: { what: 'DOUBLE (or FLOAT)', test: floating },
  features: { what: 'ARRAY<FLOAT> (or ARRAY<DOUBLE>)', test: (t) => t.kind === 'ARRAY' && floating(t.element) },
  ts: TIMESTAMP_COLUMN,
};
/** The columns of a 'labels' stream (txLabelEvent), by name. */
const LABEL_COLUMNS: Readonly<Record<string, MadeColumn>> = {
  tx_id: STRING_COLUMN,
  is_fraud: { what: 'BOOLEAN', test: (t) => t.kind === 'BOOLEAN' },
  ts: TIMESTAMP_COLUMN,
};

/**
 * Transactions as a batch of `fields`, built from their columns (txColumns): the batch txEvent's
 * rows would give, without a row object or a features array per event. A field the generator
 * does not make is NULL, as in a row that lacks it.
 */
function txBatch(fields: readonly Field[], cols: TxColumns, n: number): A.RecordBatch {
  const data = fields.map((f) => {
    switch (f.name) {
      case 'tx_id':
      case 'card_id':
        // Declared STRING (TX_COLUMNS).
        return utf8Data(cols[f.name].offsets, cols[f.name].bytes, n);
      case 'amount':
      case 'ts':
        return buildData(f.type, cols[f.name], n);
      case 'features':
        return cols.features && f.type.kind === 'ARRAY' ? buildFixedWidthList(f.type.element, cols.features, FEATURE_COUNT, n) : buildData(f.type, rowsOf(cols.features, n), n);
      default:
        return buildConstant(f.type, null, n);
    }
  });
  return batchOfData(fields, data, n);
}

/** Transaction batches of `fields` (features among them), drawn by the datagen worker. */
function txBatchMaker(fields: readonly Field[], config: TxConfig): BatchMaker {
  datagenWorker.acquire();
  return {
    make: async (from, to) => txBatch(fields, await datagenWorker.columns(from, to, config, true), to - from),
    close: () => datagenWorker.release(),
  };
}

/** One subarray per row of row-major features, for a column not declared as an array. */
function rowsOf(features: Float32Array | undefined, n: number): (Float32Array | null)[] {
  const rows = new Array<Float32Array | null>(n);
  for (let i = 0; i < n; i++) rows[i] = features ? features.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT) : null;
  return rows;
}

const BID_COLUMNS: ReadonlySet<string> = new Set<BidColumnName>(['auction', 'bidder', 'price', 'channel', 'url', 'date_time', 'extra']);

/**
 * The bids among events [from, to) as a batch of `fields`, built from nexmarkBidColumns: the
 * batch nexmarkEvent's rows would give, drawing only the string columns the fields name. A field
 * the generator does not make is NULL, as in a row that lacks it.
 */
function bidBatch(fields: readonly Field[], config: NexmarkConfig, from: number, to: number): A.RecordBatch {
  const wanted = fields.map((f) => f.name).filter((name): name is BidColumnName => BID_COLUMNS.has(name));
  const cols = nexmarkBidColumns(from, to - from, config, wanted);
  const n = cols.length;
  const data = fields.map((f) => (BID_COLUMNS.has(f.name) ? buildData(f.type, cols[f.name as BidColumnName], n) : buildConstant(f.type, null, n)));
  return batchOfData(fields, data, n);
}

/** The generator's own settings (see nexmarkSourceOptions); pacing and batching are the source's. */
const NEXMARK_GENERATOR: readonly OptionDecl[] = [
  str('nexmark.table', 'Which events the stream carries.', 'bid', ['person', 'auction', 'bid']),
  int('first.event', 'Number of the first event.', '0', 0),
  int('max.events', 'Events (of all three kinds) after which the stream ends.', 'unlimited', 0),
  int('seed', 'Seed of the generator: the same seed gives the same events.', '0'),
  { ...BASE_TIME, default: '2024-01-01 00:00:00 UTC' },
  num('events.per.second', 'Events per second of event time, all kinds together.', '10000', 0),
  int('active.people', 'How many of the newest persons sellers and bidders are drawn from.', '1000', 1),
  int('in.flight.auctions', 'How many of the newest auctions bids are drawn from.', '100', 1),
  int('hot.auction.ratio', 'A bid goes to the hot auction with probability (ratio - 1) / ratio.', '2', 1),
  int('hot.seller.ratio', 'An auction is sold by the hot seller with probability (ratio - 1) / ratio.', '4', 1),
  int('hot.bidder.ratio', 'A bid comes from the hot bidder with probability (ratio - 1) / ratio.', '4', 1),
  int('hot.channel.ratio', 'A bid comes through a hot channel with probability (ratio - 1) / ratio.', '2', 1),
  int('categories', 'Auction categories (10 up to 10 + categories - 1).', '5', 1),
  int('person.id.lead', 'Sellers and bidders may name persons up to this many ids ahead of the newest.', '10', 0),
  int('auction.id.lead', 'Bids may name auctions up to this many ids ahead of the newest (the standard uses 10).', '0', 0),
  int('person.avg.size', 'Average serialized size of a person in bytes (the extra column pads towards it).', '200', 1),
  int('auction.avg.size', 'Average serialized size of an auction in bytes.', '500', 1),
  int('bid.avg.size', 'Average serialized size of a bid in bytes.', '100', 1),
];
const NEXMARK: readonly OptionDecl[] = [...NEXMARK_GENERATOR, num('rows.per.second', 'Rows per second in real time (0: as fast as the query takes them).', '0', 0), int('batch.size', 'Rows per batch.', '1024', 1)];
const GENERATOR_KEYS = new Set(NEXMARK_GENERATOR.map((d) => d.name));

export const nexmarkConnector: Connector = {
  name: 'nexmark',
  doc: 'Generates the Nexmark benchmark events (person, auction, bid) deterministically; one stream per event kind, chosen with nexmark.table.',
  options: { stream: NEXMARK },
  source(plan) {
    const o = new ParsedOptions(plan.options, NEXMARK, `stream ${plan.relation}`);
    const written = Object.fromEntries(Object.entries(plan.options).filter(([k]) => GENERATOR_KEYS.has(k)));
    // A generator has no past: starting at the latest position runs it in event time from now.
    const generator = nexmarkSourceOptions(plan.startAt === 'latest' && written['base.time'] === undefined ? { ...written, 'base.time': Date.now() } : written);
    return new GeneratorSource(
      {
        name: plan.relation,
        event: (n) => {
          const e = nexmarkEvent(n, generator.config);
          return e.kind === generator.table ? (e.row as unknown as Record<string, unknown>) : undefined;
        },
        ...(generator.table === 'bid' ? { batch: (from: number, to: number) => bidBatch(plan.fields, generator.config, from, to) } : {}),
        firstEvent: generator.firstEvent,
        maxEvents: generator.maxEvents,
        rowsPerSecond: o.number('rows.per.second', 0),
        batchSize: o.number('batch.size', 1024),
      },
      plan.fields,
      plan.watermark,
    );
  },
};
