/**
 * The demo served by `npm start`: a generated transaction stream, a card feature table, the
 * fraud model, and the fraud_scores materialized view. Idempotent: on a restart the catalog is
 * replayed and only what is missing is created.
 */
import { demoModelPath } from '../common/package-root.js';
import { cardFeatureRows } from '../connectors/datagen.js';
import type { Engine } from './engine.js';

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
  WITH (path = '${modelPath.replace(/'/g, "''")}', 'batch.max_rows' = 256, 'batch.max_wait' = '5ms');

CREATE MATERIALIZED VIEW IF NOT EXISTS fraud_scores WITH ('retention' = '1h') AS
SELECT tx.tx_id, tx.card_id, tx.amount,
       predict('fraud', tx.features) AS score,
       model_version('fraud')        AS model_version,
       tx.ts
FROM tx JOIN card_features;
`;
}

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
}
