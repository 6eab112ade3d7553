import { describe, expect, it } from 'vitest';
import type * as A from 'apache-arrow';
import { arrayOf, T, type Field } from '../../src/common/types.js';
import { datagenWorker } from '../../src/connectors/datagen-columns.js';
import { datagenConnector } from '../../src/connectors/generator-connectors.js';
import type { Message } from '../../src/exec/message.js';
import { batchFromRows, batchToRows } from '../../src/exec/columns.js';
import type { SourceExec } from '../../src/planner/physical.js';
import {
  DEFAULT_TX_CONFIG,
  FEATURE_COUNT,
  ZipfSampler,
  cardFeatureRow,
  cardFeatureRows,
  datagenSchemas,
  txColumns,
  type Utf8Strings,
  txConfig,
  txEvent,
  txLabel,
  txRange,
  zipfKeys,
} from '../../src/connectors/datagen.js';
import { Rng } from '../../src/connectors/rng.js';

describe('Zipf sampling', () => {
  it('matches the Zipf probabilities (chi-square bound)', () => {
    const n = 100;
    const draws = 200_000;
    const z = new ZipfSampler(n, 1.1);
    const counts = new Array<number>(n).fill(0);
    const rng = new Rng(11);
    for (let i = 0; i < draws; i++) {
      const k = z.sample(rng);
      counts[k] = (counts[k] ?? 0) + 1;
    }
    let chi2 = 0;
    for (let k = 0; k < n; k++) {
      const expected = draws * z.probability(k);
      chi2 += ((counts[k] ?? 0) - expected) ** 2 / expected;
    }
    // 99 degrees of freedom: mean 99, sd ~14; this bound fails only for a wrong distribution.
    expect(chi2).toBeLessThan(99 + 6 * 14);
    expect((counts[0] ?? 0) / draws).toBeCloseTo(z.probability(0), 2);
  });

  it('has probabilities summing to 1 and decreasing with rank', () => {
    const z = new ZipfSampler(1_000, 1.1);
    let sum = 0;
    for (let k = 0; k < 1_000; k++) sum += z.probability(k);
    expect(sum).toBeCloseTo(1, 9);
    expect(z.probability(0)).toBeGreaterThan(z.probability(1));
    expect(z.probability(1) / z.probability(3)).toBeCloseTo(2 ** 1.1, 6);
    expect(z.rank(0)).toBe(0);
    expect(z.rank(0.999999999999)).toBe(999);
    const uniform = new ZipfSampler(4, 0);
    expect(uniform.probability(2)).toBeCloseTo(0.25, 12);
  });

  it('zipfKeys is deterministic and accepts a key list', () => {
    const a = zipfKeys(10_000, 50, 1.2, 7);
    expect(a).toEqual(zipfKeys(10_000, 50, 1.2, 7));
    expect(a).not.toEqual(zipfKeys(10_000, 50, 1.2, 8));
    expect(Math.max(...a)).toBeLessThan(50);
    const hot = a.filter((k) => k === 0).length / a.length;
    expect(hot).toBeGreaterThan(0.15);
    const named = zipfKeys(1_000, ['x', 'y', 'z'], 1.1, 1);
    expect(named.every((k) => k === 'x' || k === 'y' || k === 'z')).toBe(true);
  });
});

describe('tx datagen', () => {
  it('is deterministic and splittable', () => {
    const whole = [...txRange(0, 2_000)];
    expect([...txRange(0, 700), ...txRange(700, 2_000)]).toEqual(whole);
    expect(txEvent(1_234)).toEqual(whole[1_234]);
    expect(txEvent(5, txConfig({ seed: 1 }))).not.toEqual(txEvent(5));
  });

  it('produces rows of the tx schema', () => {
    const row = txEvent(42);
    expect(Object.keys(row)).toEqual(datagenSchemas.tx.map((c) => c.name));
    expect(row.tx_id).toBe('tx-42');
    expect(row.card_id).toMatch(/^card-\d+$/);
    expect(row.features).toHaveLength(FEATURE_COUNT);
    expect(FEATURE_COUNT).toBe(30);
    expect(row.ts).toBe(DEFAULT_TX_CONFIG.baseTime + 42);
    for (const f of row.features) expect(Math.fround(f)).toBe(f);
  });

  it('leaves the features out on request, every other column as drawn with them', () => {
    const config = txConfig({ seed: 3 });
    for (const n of [0, 1, 77, 123_456]) {
      const { features: _features, ...rest } = txEvent(n, config);
      expect(txEvent(n, config, { features: false })).toEqual(rest);
    }
  });

  it('writes columns holding exactly the values of txEvent', () => {
    for (const config of [DEFAULT_TX_CONFIG, txConfig({ seed: 9, numCards: 7, eventsPerSecond: 333, baseTime: 5 })]) {
      for (const [from, to] of [[0, 300], [12_345, 12_345], [2 ** 32 - 3, 2 ** 32 + 3], [2 ** 53 - 5, 2 ** 53 - 1]] as const) {
        const cols = txColumns(from, to, config, true);
        const lean = txColumns(from, to, config, false);
        expect(cols.length).toBe(to - from);
        expect(lean.features).toBeUndefined();
        const text = (s: Utf8Strings, i: number) => Buffer.from(s.bytes.subarray(s.offsets[i]!, s.offsets[i + 1]!)).toString('utf8');
        for (let i = 0; i < cols.length; i++) {
          const row = txEvent(from + i, config);
          const got = { tx_id: text(cols.tx_id, i), card_id: text(cols.card_id, i), amount: cols.amount[i], features: Array.from(cols.features!.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT)), ts: cols.ts[i] };
          expect(got).toEqual(row);
          expect([text(lean.tx_id, i), text(lean.card_id, i), lean.amount[i], lean.ts[i]]).toEqual([row.tx_id, row.card_id, row.amount, row.ts]);
        }
        expect(cols.tx_id.offsets[cols.length]).toBe(cols.tx_id.bytes.length);
        expect(cols.card_id.offsets[cols.length]).toBe(cols.card_id.bytes.length);
      }
    }
  });

  it('skews cards towards card-1', () => {
    const counts = new Map<string, number>();
    for (const r of txRange(0, 20_000)) counts.set(r.card_id, (counts.get(r.card_id) ?? 0) + 1);
    const top = counts.get('card-1') ?? 0;
    // Uniform over 1000 cards would give 20 each; Zipf(1.1) gives card-1 about 1/7.
    expect(top).toBeGreaterThan(2_000);
    expect(top).toBeGreaterThan(counts.get('card-10') ?? 0);
  });

  it('shifts the fraud-like subset in features and amounts', () => {
    let fraud = 0;
    const mean = { fraud: { radius: 0, amount: 0 }, legit: { radius: 0, amount: 0 } };
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const r = txEvent(i);
      const side = txLabel(i) === 1 ? mean.fraud : mean.legit;
      if (side === mean.fraud) fraud++;
      side.radius += r.features[0] ?? 0;
      side.amount += Math.log(r.amount);
    }
    expect(fraud / n).toBeGreaterThan(0.04);
    expect(fraud / n).toBeLessThan(0.06);
    const fr = mean.fraud.radius / fraud;
    const lr = mean.legit.radius / (n - fraud);
    expect(fr).toBeGreaterThan(15);
    expect(lr).toBeLessThan(14);
    expect(mean.fraud.amount / fraud).toBeGreaterThan(mean.legit.amount / (n - fraud) + 0.8);
  });
});

describe('card_features rows', () => {
  it('are a pure function of the card id', () => {
    expect(cardFeatureRow('card-7')).toEqual(cardFeatureRow('card-7'));
    expect(cardFeatureRow('card-7')).not.toEqual(cardFeatureRow('card-8'));
    const row = cardFeatureRow('card-7');
    expect(Object.keys(row)).toEqual(datagenSchemas.card_features.map((c) => c.name));
    expect(row.features).toHaveLength(30);
    expect(row.avg_amount_30d).toBeGreaterThan(0);
  });

  it('cover every generated card', () => {
    const rows = cardFeatureRows({ seed: 0, numCards: 50 });
    expect(rows.map((r) => r.card_id)).toEqual(Array.from({ length: 50 }, (_, i) => `card-${i + 1}`));
  });
});

/** The batches a datagen source emits for events [first, first + count), resumed at `first`. */
async function sourceBatches(fields: readonly Field[], options: Record<string, string>, first: number, count: number): Promise<A.RecordBatch[]> {
  const plan: SourceExec = { kind: 'SourceExec', relation: 'tx', relationKind: 'stream', connector: 'datagen', options: { ...options, 'max.events': String(first + count) }, columns: fields.map((_, i) => i), fields };
  const source = datagenConnector.source!(plan, {} as never);
  source.seek({ 'gen:tx': first });
  const batches: A.RecordBatch[] = [];
  const ctx = {
    signal: new AbortController().signal,
    async emit(msg: Message, advance?: () => void) {
      if (msg.kind === 'data') batches.push(msg.batch);
      advance?.();
    },
  };
  await source.run(ctx, true);
  return batches;
}

describe('datagen source', () => {
  const options = { seed: '4', cards: '50', 'base.time': '1704067200000', 'batch.size': '100' };
  const config = txConfig({ seed: 4, numCards: 50, baseTime: 1704067200000 });

  it('emits the rows of txEvent, batch by batch, from any position', async () => {
    const cases: Field[][] = [
      datagenSchemas.tx.map((c) => ({ name: c.name, type: c.name === 'features' ? arrayOf(T.FLOAT, FEATURE_COUNT) : c.type, nullable: true })),
      [{ name: 'ts', type: T.TIMESTAMP, nullable: true }, { name: 'card_id', type: T.STRING, nullable: true }, { name: 'merchant', type: T.STRING, nullable: true }],
      [{ name: 'features', type: arrayOf(T.DOUBLE), nullable: true }, { name: 'amount', type: T.FLOAT, nullable: true }],
    ];
    for (const fields of cases) {
      for (const first of [0, 1_234]) {
        const batches = await sourceBatches(fields, options, first, 250);
        expect(batches.map((b) => b.numRows)).toEqual([100, 100, 50]);
        const got = batches.flatMap((b) => batchToRows(b, fields));
        const features = fields.some((f) => f.name === 'features');
        const rows = Array.from({ length: 250 }, (_, i) => (features ? txEvent(first + i, config) : txEvent(first + i, config, { features: false })) as unknown as Record<string, unknown>);
        expect(got).toEqual(batchToRows(batchFromRows(fields, rows), fields));
      }
    }
  });

  it('draws batches in a worker thread once it runs, with the same rows as on the main thread', async () => {
    const fields = datagenSchemas.tx.map((c) => ({ name: c.name, type: c.name === 'features' ? arrayOf(T.FLOAT, FEATURE_COUNT) : c.type, nullable: true }));
    const before = datagenWorker.drawn.worker;
    // The first source starts the worker; batches are drawn on the main thread until it is ready.
    for (let tries = 0; datagenWorker.drawn.worker === before && tries < 100; tries++) {
      await sourceBatches(fields, { ...options, 'batch.size': '500' }, 0, 2_000);
    }
    expect(datagenWorker.drawn.worker).toBeGreaterThan(before);
    const first = 77_000;
    const got = (await sourceBatches(fields, { ...options, 'batch.size': '300' }, first, 3_000)).flatMap((b) => batchToRows(b, fields));
    const rows = Array.from({ length: 3_000 }, (_, i) => txEvent(first + i, config) as unknown as Record<string, unknown>);
    expect(got).toEqual(batchToRows(batchFromRows(fields, rows), fields));
  });
});
