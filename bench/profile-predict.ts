/**
 * The engine half of the predict benchmark alone, for profiling:
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/profile-predict.ts [batch] [model] [rows]
 *   npx tsx bench/profile-predict.ts [batch] [model] [rows] --profile=/tmp/runs.cpuprofile
 *   npx tsx bench/profile-summary.ts /tmp/prof/<main thread profile>.cpuprofile
 * Prints the rows/s of each run. With --profile=FILE only the timed runs are profiled (no
 * start-up, loading or preloading), which makes the summary easier to read. PROFILE_SQL replaces
 * the query; PROFILE_RUNS sets the number of runs (default 5).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { preload } from './predict.js';
import { tempEngine, timeBounded } from './util.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const profileOut = process.argv.find((a) => a.startsWith('--profile='))?.slice('--profile='.length);
const batch = Number(args[0] ?? 1024);
const model = args[1] ?? 'models/fraud.onnx';
const rows = Number(args[2] ?? 131_072);
const runs = Number(process.env['PROFILE_RUNS'] ?? 5);
const query = process.env['PROFILE_SQL'];

const te = await tempEngine();
try {
  await preload(te.engine, rows, 1024);
  await te.engine.execute(`CREATE MODEL m INPUT (features ARRAY<FLOAT>(30)) OUTPUT (score FLOAT) WITH (path = '${model}', 'batch.max_rows' = ${batch}, 'batch.max_wait' = '5ms')`);
  const session = profileOut ? new Session() : undefined;
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  for (let r = 0; r < runs; r++) {
    const res = await timeBounded(te.engine, query ?? `SELECT tx_id, predict('m', features) AS score FROM ptx`);
    console.log(`run ${r}: ${res.rows} rows, ${Math.round(res.rows / res.seconds).toLocaleString('en-US')} rows/s`);
  }
  if (session && profileOut) {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(profileOut, JSON.stringify(profile));
    session.disconnect();
    console.log(`wrote ${profileOut}`);
  }
} finally {
  await te.close();
}
