/**
 * Crash-test worker: opens the engine in argv[2] with a state cache of argv[4] bytes (default
 * 16 KiB), creates the pipeline's sink (argv[3] names the pipeline module of this folder, default
 * ./pipeline.js) on the first run (later runs get it back from the replayed DDL), and prints
 * `opening` before it opens the engine and a progress line every 5 ms until killed: the
 * pipeline's progress and the state cache's evictions so far.
 */
import { Engine } from '../../src/engine/engine.js';

interface Pipeline {
  readonly SINK_NAME: string;
  readonly SINK_DDL: string;
  progress(engine: Engine): unknown;
}

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: worker.ts <dataDir> [pipeline module]');
const { SINK_NAME, SINK_DDL, progress } = (await import(process.argv[3] ?? './pipeline.js')) as Pipeline;
// State is read through a state cache far below the state, so that entries are evicted and read
// back from RocksDB all the time while the runs are killed.
const stateCacheBytes = Number(process.argv[4] ?? 16 * 1024);
process.stdout.write('opening\n');
const engine = await Engine.open({ dataDir, checkpointIntervalMs: 50, stateCacheBytes });
// One statement at a time: a later one may read what an earlier one creates.
if (!engine.catalog.hasRelation(SINK_NAME)) for (const sql of SINK_DDL.split(/;\s*\n/)) await engine.execute(sql);
const report = (): void => {
  process.stdout.write(`progress ${JSON.stringify({ ...(progress(engine) as object), evictions: engine.stateCache.stats().evictions })}\n`);
};
report();
setInterval(report, 5);
