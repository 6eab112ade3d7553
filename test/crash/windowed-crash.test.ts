/**
 * kill -9 at random points during a windowed aggregation into a log sink leaves topic 'out'
 * identical to an uninterrupted run of the same pipeline: no duplicates, nothing missing. The
 * killed runs read their state through a 1 KiB state cache (a few entries), so that windows are
 * evicted and read back from RocksDB between the kills; the uninterrupted run has the default.
 * The same holds for the stream joined with its own windowed maximum, whose two sides read the
 * stream through one shared scan.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { collectRows } from '../sql/collect.js';
import { formatRow } from '../sql/format-value.js';
import { killUntilStable, lcg } from './harness.js';
import type * as Pipeline from './pipeline.js';

const MIN_KILLS = 10;
const STATE_CACHE_BYTES = 1024;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function readOut(dir: string): Promise<string[]> {
  const engine = await Engine.open({ dataDir: dir, checkpointIntervalMs: 50 });
  try {
    const got = await collectRows(engine, 'SELECT * FROM out');
    const types = got.columns.map((c) => c.type);
    return got.rows.map((r) => formatRow(r, types)).sort();
  } finally {
    await engine.close();
  }
}

const PIPELINES = [
  { what: 'windowed aggregation', module: './pipeline.js' },
  { what: 'stream joined with its windowed maximum over one shared scan', module: './self-join-pipeline.js' },
];

for (const { what, module } of PIPELINES) describe(`${what} on the embedded log under kill -9`, () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('gives the same output as an uninterrupted run', async () => {
    const { SINK_DDL, fillInput, progress } = (await import(module)) as Pick<typeof Pipeline, 'SINK_DDL' | 'fillInput' | 'progress'>;
    const seed = Number(process.env['SLUICE_CRASH_SEED'] ?? Date.now() % 100_000);
    const rand = lcg(seed);

    const refDir = mkdtempSync(join(tmpdir(), 'sluice-crash-ref-'));
    const crashDir = mkdtempSync(join(tmpdir(), 'sluice-crash-'));
    dirs.push(refDir, crashDir);

    // The same input for both runs: written once, before the first start, then copied.
    const pre = await Engine.open({ dataDir: crashDir, checkpointIntervalMs: 50 });
    await fillInput(pre);
    await pre.close();
    cpSync(crashDir, refDir, { recursive: true });

    // The uninterrupted run.
    const ref = await Engine.open({ dataDir: refDir, checkpointIntervalMs: 50 });
    const started = Date.now();
    await ref.execute(SINK_DDL);
    const until = Date.now() + 60_000;
    while (Date.now() < until) {
      const p = progress(ref);
      if (p.lag === 0 && p.out > 0) break;
      await sleep(20);
    }
    // A reference cut short by a slow machine would make the complete crash run look wrong.
    expect(progress(ref).lag).toBe(0);
    // The kills fall over as long as the work took, so that some land while it is being done.
    const workMs = Date.now() - started;
    await ref.checkpointAll();
    await ref.close();
    const expected = await readOut(refDir);
    expect(expected.length).toBeGreaterThan(0);

    // The interrupted run: kill -9 at random moments, restart, until the output stops growing.
    const { runs, kills, duringOpen, midway, evictions } = await killUntilStable(module, crashDir, { expectedOut: expected.length, minKills: MIN_KILLS, rand, stateCacheBytes: STATE_CACHE_BYTES, workMs });

    const actual = await readOut(crashDir);
    const counts = new Map<string, number>();
    for (const r of actual) counts.set(r, (counts.get(r) ?? 0) + 1);
    const want = new Map<string, number>();
    for (const r of expected) want.set(r, (want.get(r) ?? 0) + 1);
    let duplicates = 0;
    let missing = 0;
    let unexpected = 0;
    for (const [r, n] of counts) {
      const w = want.get(r) ?? 0;
      if (w === 0) unexpected += n;
      else if (n > w) duplicates += n - w;
    }
    for (const [r, n] of want) missing += Math.max(0, n - (counts.get(r) ?? 0));
    console.log(`${what} crash test: seed=${seed} runs=${runs} kills=${kills} (${duringOpen} while opening, ${midway} before all output was written) records=${actual.length} expected=${expected.length} duplicates=${duplicates} missing=${missing} unexpected=${unexpected} cache=${STATE_CACHE_BYTES}B evictions=${evictions}`);
    expect(kills).toBeGreaterThanOrEqual(MIN_KILLS);
    expect(evictions).toBeGreaterThan(0);
    expect({ duplicates, missing, unexpected }).toEqual({ duplicates: 0, missing: 0, unexpected: 0 });
    expect(actual).toEqual(expected);
  }, 240_000);
});
