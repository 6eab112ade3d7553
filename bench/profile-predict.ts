/**
 * The engine half of the predict benchmark alone, for profiling:
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/profile-predict.ts [batch] [model] [rows]
 *   npx tsx bench/profile-summary.ts /tmp/prof/<main thread profile>.cpuprofile
 * Prints the rows/s of each run.
 */
import { preload } from './predict.js';
import { tempEngine, timeBounded } from './util.js';

const batch = Number(process.argv[2] ?? 1024);
const model = process.argv[3] ?? 'models/fraud.onnx';
const rows = Number(process.argv[4] ?? 131_072);
const query = process.env['PROFILE_SQL'];

const te = await tempEngine();
try {
  await preload(te.engine, rows, 1024);
  await te.engine.execute(`CREATE MODEL m INPUT (features ARRAY<FLOAT>(30)) OUTPUT (score FLOAT) WITH (path = '${model}', 'batch.max_rows' = ${batch}, 'batch.max_wait' = '5ms')`);
  for (let r = 0; r < 5; r++) {
    const res = await timeBounded(te.engine, query ?? `SELECT tx_id, predict('m', features) AS score FROM ptx`);
    console.log(`run ${r}: ${res.rows} rows, ${Math.round(res.rows / res.seconds).toLocaleString('en-US')} rows/s`);
  }
} finally {
  await te.close();
}
