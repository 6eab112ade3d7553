-- Nexmark q7 (highest bid): for each 10-second tumbling window, the bid(s) with the highest
-- price, with their auction, bidder, time and extra.
SELECT B.auction, B.price, B.bidder, B.date_time, B.extra
FROM bid AS B
JOIN (
  SELECT MAX(price) AS maxprice, window_end AS date_time
  FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(date_time), INTERVAL '10' SECOND))
  GROUP BY window_start, window_end
) AS B1
  ON B.price = B1.maxprice
 AND B.date_time BETWEEN B1.date_time - INTERVAL '10' SECOND AND B1.date_time;
