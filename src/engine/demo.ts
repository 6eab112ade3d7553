/**
 * The demo served by `npm start`: a generated transaction stream, a card feature table, the
 * fraud model with its prediction log and `fraud-mlp` as its shadow candidate, the fraud_scores
 * materialized view, and a labels stream (each transaction's truth, 30 s later) joined to the
 * log into fraud_quality. Idempotent: on a restart the catalog is replayed and only what is
 * missing is created.
 */
import { demoModelPath } from '../common/package-root.js';
import { cardFeatureRows } from '../connectors/datagen.js';
import type { Engine } from './engine.js';
import { modelQuality } from './model-quality.js';

/** The demo's statements, with the model file at `modelPath`. */
export function demoSql(modelPath: string): string {
  return `
CREATE STREAM IF NOT EXISTS tx (
  tx_id    STRING,
  card_id  STRING,
  amount   DOUBLE,
  features ARRAY<FLOAT>(30),
  ts       TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (connector = 'datagen', 'rows.per.second' = 200, cards = 50, key = 'card_id');

CREATE TABLE IF NOT EXISTS card_features (
  card_id STRING PRIMARY KEY,
  avg_amount_30d DOUBLE,
  features ARRAY<FLOAT>
);

CREATE MODEL IF NOT EXISTS fraud
  INPUT (features ARRAY<FLOAT>(30))
  OUTPUT (score FLOAT)
  WITH (path = '${modelPath.replace(/'/g, "''")}', 'batch.max_rows' = 256, 'batch.max_wait' = '5ms',
        'log' = 'on', 'log.id' = 'tx_id', 'log.inputs' = 'on');

CREATE MATERIALIZED VIEW IF NOT EXISTS fraud_scores WITH ('retention' = '1h') AS
SELECT tx.tx_id, tx.card_id, tx.amount,
       predict('fraud', tx.features) AS score,
       model_version('fraud')        AS model_version,
       tx.ts
FROM tx JOIN card_features;

CREATE STREAM IF NOT EXISTS labels (
  tx_id    STRING,
  is_fraud BOOLEAN,
  ts       TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (connector = 'datagen', kind = 'labels', 'label.delay' = '30s', 'rows.per.second' = 200, cards = 50);
`;
}

/** Set once, on the first start: the candidate and the labels are recorded and replayed after that. */
const CANDIDATE_SQL = "ALTER MODEL fraud SET CANDIDATE (path = 'models/fraud-mlp.onnx', mode = 'shadow')";
const LABELS_SQL = "ALTER MODEL fraud SET (labels = 'labels', 'labels.id' = 'tx_id', 'labels.value' = 'is_fraud', 'labels.within' = '10m', 'quality.window' = '1m')";

export async function setupDemo(engine: Engine): Promise<void> {
  const ddl = demoSql(demoModelPath()).split(/;\s*\n/).filter((s) => s.trim());
  await engine.execute(ddl.slice(0, 3).join(';\n'));
  const cards = engine.table('card_features');
  if (cards.rows.size === 0) {
    const rows = cardFeatureRows({ seed: 1, numCards: 50 });
    const values = rows.map((r) => `('${r.card_id}', ${r.avg_amount_30d}, ARRAY[${Array.from(r.features).join(', ')}])`);
    await engine.execute(`INSERT INTO card_features VALUES ${values.join(', ')}`);
  }
  await engine.execute(ddl.slice(3).join(';\n'));
  if (!engine.models.candidate('fraud') && engine.models.versions('fraud').length === 1) await engine.execute(CANDIDATE_SQL);
  if (!modelQuality(engine.catalog, 'fraud') && engine.catalog.findRelation('fraud_predictions')) await engine.execute(LABELS_SQL);
}
