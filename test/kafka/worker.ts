/**
 * A Sluice engine in its own process for the Kafka crash tests:
 *   node --import tsx test/kafka/worker.ts <dataDir> <bootstrap> <scenario>
 * Creates the scenario's stream and sink on first start (later starts replay them from the
 * catalog and resume from the checkpoint), prints READY once the query runs, and runs until
 * killed. SIGTERM closes the engine cleanly. SLUICE_CRASH_AT / SLUICE_CRASH_AFTER make the
 * Kafka sink kill the process at a named point (src/connectors/kafka/crash-points.ts).
 */
import { Engine } from '../../src/engine/engine.js';
import { ScaleOutQuery } from '../../src/engine/scale-out/query.js';

process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';

const [dataDir, bootstrap, scenario = 'filter'] = process.argv.slice(2);
if (!dataDir || !bootstrap) throw new Error('usage: worker.ts <dataDir> <bootstrap> [scenario]');

const kafka = `'bootstrap.servers' = '${bootstrap}', 'session.timeout.ms' = 2000`;

/** Statements per scenario; input `x-in` holds {id, grp, v, ts}. */
const SCENARIOS: Record<string, string[]> = {
  filter: [
    `CREATE STREAM x_in (id BIGINT, grp STRING, v DOUBLE, ts TIMESTAMP(3)) WITH (connector = 'kafka', topic = 'x-in', ${kafka})`,
    `CREATE SINK x_out WITH (connector = 'kafka', topic = 'x-out', key = 'id', ${kafka}) AS SELECT id, grp, v * 10 AS v10 FROM x_in WHERE v >= 0.3`,
  ],
  window: [
    `CREATE STREAM w_in (id BIGINT, grp STRING, v DOUBLE, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH (connector = 'kafka', topic = 'w-in', ${kafka})`,
    `CREATE SINK w_out WITH (connector = 'kafka', topic = 'w-out', ${kafka}) AS SELECT window_start, grp, COUNT(*) AS n, SUM(id) AS s FROM TABLE(TUMBLE(TABLE w_in, DESCRIPTOR(ts), INTERVAL '1' SECOND)) GROUP BY window_start, window_end, grp`,
  ],
  // Several of these processes share the work through the consumer groups of 's-in'.
  scaleout: [
    `CREATE STREAM s_in (id BIGINT, grp STRING, v DOUBLE, ts TIMESTAMP(3)) WITH (connector = 'kafka', topic = 's-in', ${kafka})`,
    `CREATE SINK s_out WITH (connector = 'kafka', topic = 's-out', 'scale.out' = true, ${kafka}) AS SELECT grp, COUNT(*) AS n, SUM(id) AS s, MAX(id) AS last_id FROM s_in WHERE v >= 0.2 GROUP BY grp`,
  ],
  // The same with 1-second tumbling windows: watermarks cross the repartition topic.
  scalewindow: [
    `CREATE STREAM sw_in (id BIGINT, grp STRING, v DOUBLE, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (connector = 'kafka', topic = 'sw-in', ${kafka})`,
    `CREATE SINK sw_out WITH (connector = 'kafka', topic = 'sw-out', 'scale.out' = true, ${kafka}) AS SELECT window_start, grp, COUNT(*) AS n, SUM(id) AS s FROM TABLE(TUMBLE(TABLE sw_in, DESCRIPTOR(ts), INTERVAL '1' SECOND)) WHERE v >= 0.2 GROUP BY window_start, window_end, grp`,
  ],
};

const engine = await Engine.open({ dataDir, checkpointIntervalMs: 100 });
const statements = SCENARIOS[scenario];
if (!statements) throw new Error(`unknown scenario '${scenario}'`);
if (engine.running.size === 0) for (const s of statements) await engine.execute(s);
for (const q of engine.queries()) if (q.status === 'failed') process.stderr.write(`query ${q.id} failed: ${q.error?.message}\n`);
process.stdout.write('READY\n');

// Scale-out queries: print the partitions this process works on whenever they change.
let lastAssignment = '';
const assignments = setInterval(() => {
  for (const q of engine.running.values()) {
    if (!(q instanceof ScaleOutQuery)) continue;
    const a = JSON.stringify(q.assignment());
    if (a !== lastAssignment) process.stdout.write(`ASSIGNED ${a}\n`);
    lastAssignment = a;
  }
}, 200);
assignments.unref();

const watch = setInterval(() => {
  for (const q of engine.queries()) {
    if (q.status === 'failed') {
      process.stderr.write(`query ${q.id} failed: ${q.error?.message}\n`);
      process.exit(3);
    }
  }
}, 200);

process.on('SIGTERM', () => {
  clearInterval(watch);
  void engine.close().then(() => process.exit(0));
});
