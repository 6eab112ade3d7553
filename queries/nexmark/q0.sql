-- Nexmark q0 (pass-through): every bid, unchanged. Measures the cost of reading and
-- emitting the bid stream with no computation.
SELECT auction, bidder, price, date_time, extra
FROM bid;
