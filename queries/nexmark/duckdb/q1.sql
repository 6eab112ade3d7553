-- Oracle for queries/nexmark/q1.sql (currency conversion, price * 0.908).
SELECT auction, bidder, 0.908 * price AS price, date_time, extra
FROM bid;
