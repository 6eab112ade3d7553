-- Oracle for queries/nexmark/q7.sql (highest bid per 10-second tumbling window).
SELECT B.auction, B.price, B.bidder, B.date_time, B.extra
FROM bid AS B
JOIN (
  SELECT MAX(price) AS maxprice,
         time_bucket(INTERVAL 10 SECOND, date_time, TIMESTAMP '1970-01-01') + INTERVAL 10 SECOND AS date_time
  FROM bid
  GROUP BY time_bucket(INTERVAL 10 SECOND, date_time, TIMESTAMP '1970-01-01')
) AS B1
  ON B.price = B1.maxprice
 AND B.date_time BETWEEN B1.date_time - INTERVAL 10 SECOND AND B1.date_time;
