/**
 * The fraud pipeline as a user would write it by hand in Node, without Sluice: the baselines the
 * engine's figures are divided by. Same generator (txEvent), same model (models/fraud.onnx), same
 * batch (256 rows per awaited InferenceSession.run), a Map for the card table, and the latest
 * scored row kept per card; optionally the changed cards written to RocksDB in one batch every
 * 500 ms (what a materialized view persists at its checkpoints).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { cardFeatureRows, FEATURE_COUNT, type CardFeatureRow, type TxRow } from '../src/connectors/datagen.js';
import { call, createRawDb, type RawDb, type RawOp } from '../src/state/rocksdb-binding.js';

export const FRAUD_MODEL = 'models/fraud.onnx';
export const FRAUD_BATCH = 256;

/** One output row of the pipeline: the transaction, its card's features found, and its score. */
export interface ScoredTx {
  readonly tx_id: string;
  readonly card_id: string;
  readonly amount: number;
  readonly avg_amount_30d: number;
  readonly score: number;
  readonly ts: number;
}

/** The hand-written pipeline's parts: the card Map, the session, and a scorer of one batch. */
export class HandFraud {
  readonly cards: Map<string, CardFeatureRow>;
  private readonly packed = new Float32Array(FRAUD_BATCH * FEATURE_COUNT);

  private constructor(
    readonly session: ort.InferenceSession,
    cards: readonly CardFeatureRow[],
  ) {
    this.cards = new Map(cards.map((c) => [c.card_id, c]));
  }

  static async open(numCards: number): Promise<HandFraud> {
    const session = await ort.InferenceSession.create(FRAUD_MODEL, { interOpNumThreads: 1, graphOptimizationLevel: 'all' });
    return new HandFraud(session, cardFeatureRows({ seed: 1, numCards }));
  }

  /** Looks up each transaction's card (inner join: a card not in the table drops it) and scores the batch with one run(). */
  async score(txs: readonly TxRow[]): Promise<ScoredTx[]> {
    const found: { tx: TxRow; card: CardFeatureRow }[] = [];
    for (const tx of txs) {
      const card = this.cards.get(tx.card_id);
      if (card) found.push({ tx, card });
    }
    if (found.length === 0) return [];
    const packed = found.length === FRAUD_BATCH ? this.packed : new Float32Array(found.length * FEATURE_COUNT);
    for (let i = 0; i < found.length; i++) packed.set(found[i]!.tx.features, i * FEATURE_COUNT);
    const input = new ort.Tensor('float32', packed, [found.length, FEATURE_COUNT]);
    const out = await this.session.run({ [this.session.inputNames[0]!]: input });
    const scores = out[this.session.outputNames[0]!]!.data as Float32Array;
    return found.map(({ tx, card }, i) => ({ tx_id: tx.tx_id, card_id: tx.card_id, amount: tx.amount, avg_amount_30d: card.avg_amount_30d, score: scores[i]!, ts: tx.ts }));
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

/** The latest scored row per card, and the cards changed since the last flush. */
class LatestPerCard {
  readonly latest = new Map<string, ScoredTx>();
  private readonly dirty = new Set<string>();

  put(rows: readonly ScoredTx[]): void {
    for (const r of rows) {
      this.latest.set(r.card_id, r);
      this.dirty.add(r.card_id);
    }
  }

  /** Writes the changed cards to `db` in one batch. */
  async flush(db: RawDb): Promise<void> {
    if (this.dirty.size === 0) return;
    const ops: RawOp[] = [];
    for (const card of this.dirty) ops.push({ type: 'put', key: Buffer.from(card), value: Buffer.from(JSON.stringify(this.latest.get(card))) });
    this.dirty.clear();
    await call((cb) => db.batch(ops, { sync: false }, cb));
  }
}

/**
 * Runs the loop over transactions 0..events-1 from `gen` and returns events/s. With `rocksdb`,
 * the changed cards go to a fresh RocksDB database every 500 ms and once at the end (timed).
 */
export async function runHandFraud(hand: HandFraud, gen: (n: number) => TxRow, events: number, rocksdb: boolean): Promise<number> {
  const dir = rocksdb ? mkdtempSync(join(tmpdir(), 'sluice-bench-hand-')) : undefined;
  const db = dir ? createRawDb(dir) : undefined;
  if (db) await call((cb) => db.open({ createIfMissing: true }, cb));
  try {
    const table = new LatestPerCard();
    const t0 = performance.now();
    let lastFlush = t0;
    for (let from = 0; from < events; from += FRAUD_BATCH) {
      const batch: TxRow[] = [];
      for (let n = from; n < Math.min(events, from + FRAUD_BATCH); n++) batch.push(gen(n));
      table.put(await hand.score(batch));
      if (db && performance.now() - lastFlush >= 500) {
        await table.flush(db);
        lastFlush = performance.now();
      }
    }
    if (db) await table.flush(db);
    return events / ((performance.now() - t0) / 1000);
  } finally {
    if (db) await call((cb) => db.close(cb));
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}
