/** The scoring pipeline of the prediction-log crash test: its input, DDL, and the sink over them. */
import { T, arrayOf } from '../../src/common/types.js';
import { txEvent } from '../../src/connectors/datagen.js';
import type { Engine } from '../../src/engine/engine.js';
import { batchFromRows } from '../../src/exec/columns.js';
import { encodeBatch } from '../../src/exec/ipc.js';

export const ROWS = 20_000;
/** Rows per log chunk: small chunks give many checkpoints while the input is read. */
export const CHUNK = 250;

export const SETUP_DDL = `
  CREATE STREAM tx (tx_id STRING, features ARRAY<FLOAT>(30)) WITH (partitions = 1);
  CREATE MODEL fraud INPUT (features ARRAY<FLOAT>(30)) OUTPUT (score FLOAT)
    WITH (path = 'models/fraud.onnx', device = 'cpu', 'batch.max_rows' = 256, 'batch.max_wait' = '1ms', 'log' = 'on', 'log.id' = 'tx_id');`;

export const SINK_NAME = 'scored';

export const SINK_DDL = `CREATE SINK scored WITH (connector = 'log', topic = 'scored') AS
SELECT tx_id, predict('fraud', features) AS score, model_version('fraud') AS v FROM tx`;

const FIELDS = [
  { name: 'tx_id', type: T.STRING, nullable: false },
  { name: 'features', type: arrayOf(T.FLOAT, 30), nullable: false },
];

/** Declares the stream and the logging model and appends the input straight to the embedded log. */
export async function fillInput(engine: Engine): Promise<void> {
  await engine.execute(SETUP_DDL);
  for (let i = 0; i < ROWS; i += CHUNK) {
    const rows = Array.from({ length: Math.min(CHUNK, ROWS - i) }, (_, j) => {
      const e = txEvent(i + j);
      return { tx_id: e.tx_id, features: e.features };
    });
    await engine.log.append('tx', 0, encodeBatch(batchFromRows(FIELDS, rows)), rows.length);
  }
}

/** Progress of the sink query: its last checkpoint, source lag and rows in topic 'scored'. */
export function progress(engine: Engine): { epoch: number; lag: number; out: number; status: string } {
  const q = engine.queries().find((x) => x.name === 'scored');
  const out = engine.log.hasTopic('scored') ? engine.log.highWatermark('scored', 0) : 0;
  return { epoch: q?.lastCheckpointEpoch ?? -1, lag: q?.lag ?? -1, out, status: q?.status ?? 'absent' };
}
