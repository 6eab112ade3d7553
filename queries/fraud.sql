-- The mission: score every card transaction with a fraud model, joined with the card's features,
-- keep the scores in a materialized view, send high scores to an alerts topic, and watch the
-- scores per card per minute. (card_features has no features column of its own, so that
-- `features` in predict() names the transaction's.)
CREATE STREAM tx (
  tx_id    STRING,
  card_id  STRING,
  amount   DOUBLE,
  features ARRAY<FLOAT>(30),
  ts       TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (connector = 'datagen', 'rows.per.second' = 1000, cards = 1000, seed = 1);

CREATE TABLE card_features (
  card_id        STRING PRIMARY KEY,
  avg_amount_30d DOUBLE
);

CREATE MODEL fraud
  INPUT (features ARRAY<FLOAT>(30))
  OUTPUT (score FLOAT)
  WITH (path = 'models/fraud.onnx', 'batch.max_rows' = 1024, 'batch.max_wait' = '5ms');

CREATE MATERIALIZED VIEW fraud_scores AS
SELECT tx.tx_id, tx.card_id, tx.amount,
       predict('fraud', features) AS score,
       model_version('fraud')     AS model_version,
       tx.ts
FROM tx JOIN card_features;

CREATE SINK alerts WITH (connector = 'log', topic = 'alerts', format = 'json')
AS SELECT tx_id, card_id, amount, score, ts FROM fraud_scores WHERE score > 0.9;

SELECT window_start, card_id, COUNT(*) AS n, AVG(score) AS avg_score, MAX(amount) AS max_amount
FROM TABLE(TUMBLE(TABLE fraud_scores, DESCRIPTOR(ts), INTERVAL '1' MINUTE))
GROUP BY window_start, window_end, card_id;
