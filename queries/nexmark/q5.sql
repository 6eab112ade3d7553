-- Nexmark q5 (hot items): for each 10-second window sliding every 2 seconds, the auction(s)
-- with the most bids, and that number of bids.
-- Sluice joins two streams only with a time bound, so ON also says the windows end together
-- (implied by the equalities; it does not change the result).
SELECT AuctionBids.auction, AuctionBids.num
FROM (
  SELECT auction, COUNT(*) AS num, window_start AS starttime, window_end AS endtime
  FROM TABLE(HOP(TABLE bid, DESCRIPTOR(date_time), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
  GROUP BY auction, window_start, window_end
) AS AuctionBids
JOIN (
  SELECT MAX(CountBids.num) AS maxn, CountBids.starttime, CountBids.endtime
  FROM (
    SELECT COUNT(*) AS num, window_start AS starttime, window_end AS endtime
    FROM TABLE(HOP(TABLE bid, DESCRIPTOR(date_time), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
    GROUP BY auction, window_start, window_end
  ) AS CountBids
  GROUP BY CountBids.starttime, CountBids.endtime
) AS MaxBids
  ON AuctionBids.starttime = MaxBids.starttime
 AND AuctionBids.endtime = MaxBids.endtime
 AND MaxBids.endtime BETWEEN AuctionBids.endtime AND AuctionBids.endtime
 AND AuctionBids.num >= MaxBids.maxn;
