/**
 * kill -9 at random points while labels are joined to a prediction log and aggregated into the
 * quality stream: the sink over it, the totals and the label counts equal an uninterrupted run's,
 * and the counts equal what the input holds (nothing joined twice, nothing lost).
 * The kills fall while the engine opens and while the views work through the input (as long as
 * an uninterrupted run took).
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { collectRows } from '../sql/collect.js';
import { formatRow } from '../sql/format-value.js';
import { killUntilStable, lcg } from './harness.js';
import { IDS, SINK_DDL, WINDOWS, fillInput, late, progress, unlabelled } from './quality-pipeline.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Outcome {
  readonly out: string[];
  readonly totals: string[];
  readonly labelCounts: unknown;
}

/** Each query's name, status and lag (and error), for the message of a failed run. */
function queryStates(engine: Engine): string {
  return engine.queries().map((q) => `${q.name ?? q.id} ${q.status} lag=${q.lag ?? '?'}${q.error ? ` ${q.error.message}` : ''}`).join('; ');
}

async function read(dir: string): Promise<Outcome> {
  const engine = await Engine.open({ dataDir: dir, checkpointIntervalMs: 50 });
  try {
    // The last run may have stopped once the sink's windows were out, before the label-count
    // views had read all of their input: let every view catch up before reading them.
    await settled(engine);
    const got = await collectRows(engine, 'SELECT * FROM quality_out');
    const types = got.columns.map((c) => c.type);
    const totals = (await engine.viewScan('fraud_quality_totals')).map((r) => `${String(r['version'])} ${String(r['role'])} ${String(r['labelled'])} ${Number(r['auc']).toFixed(12)}`).sort();
    const out = { out: got.rows.map((r) => formatRow(r, types)).sort(), totals, labelCounts: (await engine.modelQuality('fraud')).labelCounts };
    if (out.out.length < WINDOWS) console.log(`quality crash test: ${out.out.length} of ${WINDOWS} windows after the kills: ${queryStates(engine)}`);
    return out;
  } finally {
    await engine.close();
  }
}

/** Waits until no view or sink has input left to read, checkpointed (as the reference run does before it closes). */
async function settled(engine: Engine): Promise<void> {
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    if (progress(engine).lag === 0) {
      await engine.checkpointAll();
      if (progress(engine).lag === 0) return;
    }
    await sleep(50);
  }
}

describe('model quality under kill -9', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('counts every label exactly once, like an uninterrupted run', async () => {
    const seed = Number(process.env['SLUICE_CRASH_SEED'] ?? Date.now() % 100_000);
    const refDir = mkdtempSync(join(tmpdir(), 'sluice-quality-ref-'));
    const crashDir = mkdtempSync(join(tmpdir(), 'sluice-quality-crash-'));
    dirs.push(refDir, crashDir);
    const pre = await Engine.open({ dataDir: crashDir, checkpointIntervalMs: 50 });
    await fillInput(pre);
    await pre.close();
    cpSync(crashDir, refDir, { recursive: true });

    const ref = await Engine.open({ dataDir: refDir, checkpointIntervalMs: 50 });
    const started = Date.now();
    for (const sql of SINK_DDL.split(/;\s*\n/)) await ref.execute(sql);
    const until = Date.now() + 60_000;
    while (Date.now() < until) {
      const p = progress(ref);
      // Every window out (the views pass rows on over several epochs, so no lag is not enough).
      if (p.lag === 0 && p.out >= WINDOWS) {
        await ref.checkpointAll();
        if (progress(ref).lag === 0) break;
      }
      await sleep(50);
    }
    await ref.checkpointAll();
    const workMs = Date.now() - started;
    await ref.close();
    const expected = await read(refDir);
    const joined = Array.from({ length: IDS }, (_, i) => i).filter((i) => !unlabelled(i) && !late(i)).length + 1;
    const lateCount = Array.from({ length: IDS }, (_, i) => i).filter(late).length;
    expect(expected.labelCounts).toEqual({ labels: joined + lateCount, joined, late: lateCount, unmatched: 0 });
    expect(expected.totals.map((t) => t.split(' ').slice(0, 3).join(' '))).toEqual([`1 serving ${joined}`, `2 shadow ${joined}`]);
    expect(expected.out.length).toBe(WINDOWS);

    const runs = await killUntilStable('./quality-pipeline.js', crashDir, { expectedOut: expected.out.length, minKills: 4, rand: lcg(seed), workMs });
    const actual = await read(crashDir);
    console.log(`quality crash test: seed=${seed} work=${workMs}ms runs=${runs.runs} kills=${runs.kills} (${runs.duringOpen} while opening, ${runs.midway} before all output was written) windows=${actual.out.length}`);
    expect(runs.kills).toBeGreaterThanOrEqual(4);
    expect(actual).toEqual(expected);
  }, 120_000);
});
