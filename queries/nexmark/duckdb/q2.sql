-- Oracle for queries/nexmark/q2.sql (bids on every 123rd auction id).
SELECT auction, price
FROM bid
WHERE auction % 123 = 0;
