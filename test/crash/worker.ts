/**
 * Crash-test worker: opens the engine in argv[2], creates the sink on the first run (later runs
 * get it back from the replayed DDL), and prints `opening` before it opens the engine and a progress line every 5 ms until killed.
 */
import { Engine } from '../../src/engine/engine.js';
import { CRASH_STATE_CACHE_BYTES, crashPipeline, progress } from './pipeline.js';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: worker.ts <dataDir>');
process.stdout.write('opening\n');
const engine = await Engine.open({ dataDir, checkpointIntervalMs: 50, stateCacheBytes: CRASH_STATE_CACHE_BYTES });
if (!engine.catalog.hasRelation('agg')) await engine.execute(crashPipeline().ddl);
const report = (): void => {
  process.stdout.write(`progress ${JSON.stringify(progress(engine))}\n`);
};
report();
setInterval(report, 5);
