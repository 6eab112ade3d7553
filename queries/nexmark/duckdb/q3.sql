-- Oracle for queries/nexmark/q3.sql (local item suggestion), with the same interval bounds.
SELECT P.name, P.city, P.state, A.id
FROM auction AS A
JOIN person AS P
  ON A.seller = P.id
 AND P.date_time BETWEEN A.date_time - INTERVAL 10 SECOND AND A.date_time + INTERVAL 1 SECOND
WHERE A.category = 10
  AND (P.state = 'OR' OR P.state = 'ID' OR P.state = 'CA');
