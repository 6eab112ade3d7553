/**
 * kill -9 at random points while a sink scores rows with a logging model: afterwards the sink
 * holds every input row once and the prediction log holds each of the sink's rows once, with
 * the same score and version (no duplicate, no gap).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { txEvent } from '../../src/connectors/datagen.js';
import { Engine } from '../../src/engine/engine.js';
import { collectRows } from '../sql/collect.js';
import { killUntilStable, lcg } from './harness.js';
import { ROWS, fillInput } from './predict-pipeline.js';

/** Each row's text, counted. */
function counts(rows: readonly (readonly unknown[])[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of rows) {
    const k = `${String(r[0])}|${Number(r[1]).toFixed(6)}|${String(r[2])}`;
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

describe('the prediction log under kill -9', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('holds each output row once, like the output itself', async () => {
    const seed = Number(process.env['SLUICE_CRASH_SEED'] ?? Date.now() % 100_000);
    const dir = mkdtempSync(join(tmpdir(), 'sluice-predict-crash-'));
    dirs.push(dir);
    const pre = await Engine.open({ dataDir: dir, checkpointIntervalMs: 50 });
    await fillInput(pre);
    await pre.close();

    const runs = await killUntilStable('./predict-pipeline.js', dir, { expectedOut: ROWS, minKills: 8, rand: lcg(seed) });

    const engine = await Engine.open({ dataDir: dir, checkpointIntervalMs: 50 });
    try {
      const out = (await collectRows(engine, 'SELECT tx_id, score, v FROM scored')).rows;
      const log = (await collectRows(engine, "SELECT id, outputs, version FROM fraud_predictions WHERE role = 'serving'")).rows;
      const all = (await collectRows(engine, 'SELECT COUNT(*) FROM fraud_predictions')).rows;
      const outIds = new Set(out.map((r) => String(r[0])));
      const logCounts = counts(log);
      const duplicates = [...logCounts.values()].filter((n) => n > 1).length;
      const outCounts = counts(out);
      const missing = [...outCounts.keys()].filter((k) => !logCounts.has(k)).length;
      console.log(`prediction log crash test: seed=${seed} runs=${runs.runs} kills=${runs.kills} (${runs.duringOpen} while opening, ${runs.midway} before all output was written) output=${out.length} log=${log.length} duplicates=${duplicates} missing=${missing} evictions=${runs.evictions}`);
      expect(runs.kills).toBeGreaterThanOrEqual(8);
      expect(out).toHaveLength(ROWS);
      expect(outIds).toEqual(new Set(Array.from({ length: ROWS }, (_, i) => txEvent(i).tx_id)));
      expect({ duplicates, missing, rows: log.length, all: Number(all[0]![0]) }).toEqual({ duplicates: 0, missing: 0, rows: ROWS, all: ROWS });
      expect(logCounts).toEqual(outCounts);
    } finally {
      await engine.close();
    }
  }, 240_000);
});
