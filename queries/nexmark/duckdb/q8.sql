-- Oracle for queries/nexmark/q8.sql (persons who opened an auction in the 10-second tumbling
-- window in which they registered).
SELECT P.id, P.name, P.starttime
FROM (
  SELECT id, name,
         time_bucket(INTERVAL 10 SECOND, date_time, TIMESTAMP '1970-01-01') AS starttime,
         time_bucket(INTERVAL 10 SECOND, date_time, TIMESTAMP '1970-01-01') + INTERVAL 10 SECOND AS endtime
  FROM person
  GROUP BY ALL
) AS P
JOIN (
  SELECT seller,
         time_bucket(INTERVAL 10 SECOND, date_time, TIMESTAMP '1970-01-01') AS starttime,
         time_bucket(INTERVAL 10 SECOND, date_time, TIMESTAMP '1970-01-01') + INTERVAL 10 SECOND AS endtime
  FROM auction
  GROUP BY ALL
) AS A
  ON P.id = A.seller
 AND P.starttime = A.starttime
 AND P.endtime = A.endtime;
