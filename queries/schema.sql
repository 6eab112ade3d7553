-- The fraud demo's schema without its queries: a generated transaction stream, the card feature
-- table and the fraud model. For `sluice explain "..." --file queries/schema.sql` and as a start
-- for your own files; IF NOT EXISTS lets it run again on the same data folder.
CREATE STREAM IF NOT EXISTS tx (
  tx_id    STRING,
  card_id  STRING,
  amount   DOUBLE,
  features ARRAY<FLOAT>(30),
  ts       TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (connector = 'datagen', 'rows.per.second' = 1000, cards = 50, seed = 1);

CREATE TABLE IF NOT EXISTS card_features (
  card_id        STRING PRIMARY KEY,
  avg_amount_30d DOUBLE
);

CREATE MODEL IF NOT EXISTS fraud
  INPUT (features ARRAY<FLOAT>(30))
  OUTPUT (score FLOAT)
  WITH (path = 'models/fraud.onnx', 'batch.max_rows' = 1024, 'batch.max_wait' = '5ms');
