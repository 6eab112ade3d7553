/**
 * kill -9 at random points during a windowed aggregation into a log sink leaves topic 'out'
 * identical to an uninterrupted run of the same pipeline: no duplicates, nothing missing; and
 * during an unwindowed GROUP BY into a view, leaves the view's contents identical. The crashed
 * runs read their state through a 16 KiB state cache, so entries are evicted and read back from
 * RocksDB all the time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { collectRows } from '../sql/collect.js';
import { formatRow } from '../sql/format-value.js';
import { CRASH_STATE_CACHE_BYTES, PIPELINES, fillInput, progress, type CrashPipeline } from './pipeline.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MIN_KILLS = 10;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Progress {
  epoch: number;
  lag: number;
  out: number;
  status: string;
}

/** A seeded generator, so a failing run can be repeated with SLUICE_CRASH_SEED. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

async function readOut(dir: string, pipeline: CrashPipeline): Promise<string[]> {
  const engine = await Engine.open({ dataDir: dir, checkpointIntervalMs: 50 });
  try {
    const got = await collectRows(engine, pipeline.read);
    const types = got.columns.map((c) => c.type);
    return got.rows.map((r) => formatRow(r, types)).sort();
  } finally {
    await engine.close();
  }
}

/** Starts a worker; resolves its progress lines through `onProgress`, and `exited` when it dies. */
function startWorker(dir: string, pipeline: string, onProgress: (p: Progress) => void, onOpening: () => void): { child: ChildProcess; exited: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/crash/worker.ts', dir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SLUICE_CRASH_PIPELINE: pipeline } });
  let buf = '';
  child.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line === 'opening') onOpening();
      else if (line.startsWith('progress ')) onProgress(JSON.parse(line.slice(9)) as Progress);
    }
  });
  child.stderr?.resume();
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return { child, exited };
}

describe.each(Object.keys(PIPELINES) as (keyof typeof PIPELINES)[])('%s aggregation on the embedded log under kill -9, with a small state cache', (name) => {
  const pipeline = PIPELINES[name];
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('gives the same output as an uninterrupted run', async () => {
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
    await ref.execute(pipeline.ddl);
    const until = Date.now() + 20_000;
    while (Date.now() < until) {
      const p = progress(ref, pipeline.outTopic);
      if (p.lag === 0 && p.out > 0) break;
      await sleep(20);
    }
    await ref.checkpointAll();
    await ref.close();
    const expected = await readOut(refDir, pipeline);
    expect(expected.length).toBeGreaterThan(0);

    // The interrupted run: kill -9 at random moments, restart, until the output stops growing.
    let kills = 0;
    let runs = 0;
    let stableRuns = 0;
    let lastOut = -1;
    let midway = 0;
    let duringOpen = 0;
    let openMs = 300;
    const deadline = Date.now() + pipeline.budgetMs;
    for (;;) {
      let latest: Progress | undefined;
      let openingAt = 0;
      let openedAt = 0;
      let opening!: () => void;
      const started = new Promise<void>((r) => (opening = r));
      const w = startWorker(
        crashDir,
        name,
        (p) => {
          latest = p;
          openedAt ||= Date.now();
        },
        () => {
          openingAt = Date.now();
          opening();
        },
      );
      runs++;
      await Promise.race([started, w.exited, sleep(30_000)]);
      const settled = kills >= MIN_KILLS;
      // The work (replaying the sink, reading input, closing windows, committing epochs) happens
      // while the engine opens and just after: while kills are still due, die at a random moment
      // in that span (as long as the last open took, plus 200 ms); afterwards let the run finish
      // (for at least twice as long as opening took, so that a slow machine still gets there).
      await sleep(settled ? Math.max(600, 2 * openMs) : Math.floor(rand() * (openMs + 200)));
      w.child.kill('SIGKILL');
      await w.exited;
      if (openedAt > openingAt && openingAt > 0) openMs = openedAt - openingAt;
      kills++;
      const p = latest;
      if (p && p.out < expected.length) midway++;
      if (!p) duringOpen++;
      if (settled && p && p.lag === 0 && p.out === lastOut) stableRuns++;
      else stableRuns = 0;
      lastOut = p?.out ?? lastOut;
      if (stableRuns >= 1) break;
      if (Date.now() > deadline) {
        console.log(`${name} crash test: the runs did not reach the end of the input within ${pipeline.budgetMs} ms (last progress ${JSON.stringify(p)})`);
        break;
      }
    }

    const actual = await readOut(crashDir, pipeline);
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
    console.log(`${name} crash test (state cache ${CRASH_STATE_CACHE_BYTES} bytes): seed=${seed} runs=${runs} kills=${kills} (${duringOpen} while opening, ${midway} before all output was written) records=${actual.length} expected=${expected.length} duplicates=${duplicates} missing=${missing} unexpected=${unexpected}`);
    expect(kills).toBeGreaterThanOrEqual(MIN_KILLS);
    expect({ duplicates, missing, unexpected }).toEqual({ duplicates: 0, missing: 0, unexpected: 0 });
    expect(actual).toEqual(expected);
  }, 480_000);
});
