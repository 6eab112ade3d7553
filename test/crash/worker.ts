/**
 * Crash-test worker: opens the engine in argv[2], creates the pipeline's sink (argv[3] names the
 * pipeline module of this folder, default ./pipeline.js) on the first run (later runs get it back
 * from the replayed DDL), and prints `opening` before it opens the engine and a progress line
 * every 5 ms until killed.
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
process.stdout.write('opening\n');
// State is read through a 16 KiB state cache, far below the state, so that entries are evicted
// and read back from RocksDB all the time while the runs are killed.
const engine = await Engine.open({ dataDir, checkpointIntervalMs: 50, stateCacheBytes: 16 * 1024 });
// One statement at a time: a later one may read what an earlier one creates.
if (!engine.catalog.hasRelation(SINK_NAME)) for (const sql of SINK_DDL.split(/;\s*\n/)) await engine.execute(sql);
const report = (): void => {
  process.stdout.write(`progress ${JSON.stringify(progress(engine))}\n`);
};
report();
setInterval(report, 5);
