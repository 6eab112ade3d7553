-- Oracle for queries/nexmark/q0.sql (pass-through) over tables person/auction/bid.
SELECT auction, bidder, price, date_time, extra
FROM bid;
