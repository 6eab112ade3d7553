-- The mission: score every card transaction with a fraud model, joined with the card's features,
-- keep the scores in a materialized view, send high scores to an alerts topic, and watch the
-- scores per card every 10 seconds. (card_features has no features column of its own, so that
-- `features` in predict() names the transaction's.) Every statement can run again on the same
-- data folder: the objects are created once (IF NOT EXISTS) and the feature rows are upserts.
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

-- The view inner-joins the table, so a transaction scores only once its card has features.
INSERT INTO card_features (card_id, avg_amount_30d) VALUES
  ('card-1', 36.89), ('card-2', 103.32), ('card-3', 57.71), ('card-4', 65.68), ('card-5', 46.34),
  ('card-6', 18.65), ('card-7', 27.23), ('card-8', 39.6), ('card-9', 18.77), ('card-10', 76.61),
  ('card-11', 66.6), ('card-12', 22.6), ('card-13', 54.18), ('card-14', 66.99), ('card-15', 36.68),
  ('card-16', 47.05), ('card-17', 23.52), ('card-18', 39.24), ('card-19', 32.43), ('card-20', 22.42),
  ('card-21', 44.02), ('card-22', 30.89), ('card-23', 13.63), ('card-24', 26.77), ('card-25', 23.51),
  ('card-26', 21.66), ('card-27', 17.16), ('card-28', 23.6), ('card-29', 11.92), ('card-30', 34.45),
  ('card-31', 21.86), ('card-32', 25.93), ('card-33', 33.26), ('card-34', 35.45), ('card-35', 65.28),
  ('card-36', 30.88), ('card-37', 26.44), ('card-38', 33.66), ('card-39', 46.09), ('card-40', 45.22),
  ('card-41', 34.54), ('card-42', 23.01), ('card-43', 25.78), ('card-44', 56.74), ('card-45', 17.75),
  ('card-46', 42.58), ('card-47', 61.77), ('card-48', 41.09), ('card-49', 35.16), ('card-50', 48.07);

CREATE MODEL IF NOT EXISTS fraud
  INPUT (features ARRAY<FLOAT>(30))
  OUTPUT (score FLOAT)
  WITH (path = 'models/fraud.onnx', 'batch.max_rows' = 1024, 'batch.max_wait' = '5ms');

CREATE MATERIALIZED VIEW IF NOT EXISTS fraud_scores AS
SELECT tx.tx_id, tx.card_id, tx.amount,
       predict('fraud', features) AS score,
       model_version('fraud')     AS model_version,
       tx.ts
FROM tx JOIN card_features;

CREATE SINK IF NOT EXISTS alerts WITH (connector = 'log', topic = 'alerts', format = 'json')
AS SELECT tx_id, card_id, amount, score, ts FROM fraud_scores WHERE score > 0.9;

SELECT window_start, card_id, COUNT(*) AS n, AVG(score) AS avg_score, MAX(amount) AS max_amount
FROM TABLE(TUMBLE(TABLE fraud_scores, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, card_id;
