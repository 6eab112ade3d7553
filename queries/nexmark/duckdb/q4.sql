-- Oracle for queries/nexmark/q4.sql (average closing price per category), final values.
SELECT Q.category, AVG(Q.final) AS avg_final
FROM (
  SELECT A.id, A.category, MAX(B.price) AS final
  FROM auction AS A
  JOIN bid AS B
    ON A.id = B.auction
   AND B.date_time BETWEEN A.date_time AND A.date_time + INTERVAL 1 MINUTE
  WHERE B.date_time <= A.expires
  GROUP BY A.id, A.category
) AS Q
GROUP BY Q.category;
