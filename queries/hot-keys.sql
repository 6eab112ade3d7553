-- Spend per card over a skewed stream: an updating GROUP BY in two phases. The local phase
-- pre-combines each batch's rows per card and spreads a hot card over 4 partial aggregates
-- ('aggregate.salt'); the final phase merges the partials per card.
CREATE STREAM payments (
  card_id STRING,
  amount  DOUBLE,
  ts      TIMESTAMP(3)
) WITH (key = 'card_id', 'aggregate.salt' = 4);

SELECT card_id, COUNT(*) AS n, SUM(amount) AS spent, MAX(amount) AS largest
FROM payments
GROUP BY card_id;
