-- Nexmark q4 (average price per category): the closing price of an auction is its highest bid
-- made between the auction's start and its expiry; the query reports, per category, the average
-- closing price. An updating result: averages change as auctions receive bids.
-- The join is an interval join: auctions at the default rate last well under a minute, and the
-- residual condition bounds each auction by its own expiry.
SELECT Q.category, AVG(Q.final) AS avg_final
FROM (
  SELECT A.id, A.category, MAX(B.price) AS final
  FROM auction AS A
  JOIN bid AS B
    ON A.id = B.auction
   AND B.date_time BETWEEN A.date_time AND A.date_time + INTERVAL '1' MINUTE
  WHERE B.date_time <= A.expires
  GROUP BY A.id, A.category
) AS Q
GROUP BY Q.category;
