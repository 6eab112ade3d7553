-- Nexmark q3 (local item suggestion): who is selling in category 10 in Oregon, Idaho or
-- California: name, city and state of the seller with the id of each such auction.
-- The standard query is an unbounded join; here it is an interval join whose bounds cover every
-- seller the generator can name at its default rate (sellers are among the last 1000 persons,
-- 5 s of events, and at most 10 persons ahead), so the result is the same.
SELECT P.name, P.city, P.state, A.id
FROM auction AS A
JOIN person AS P
  ON A.seller = P.id
 AND P.date_time BETWEEN A.date_time - INTERVAL '10' SECOND AND A.date_time + INTERVAL '1' SECOND
WHERE A.category = 10
  AND (P.state = 'OR' OR P.state = 'ID' OR P.state = 'CA');
