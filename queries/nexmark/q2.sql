-- Nexmark q2 (selection): the auction and price of the bids on every 123rd auction id.
SELECT auction, price
FROM bid
WHERE auction % 123 = 0;
