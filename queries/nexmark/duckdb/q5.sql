-- Oracle for queries/nexmark/q5.sql (hot items). HOP(slide 2 s, size 10 s) is expanded
-- explicitly: a row at t belongs to the 5 windows starting at bucket(t, 2 s) - k * 2 s, k = 0..4,
-- with windows aligned to the epoch as in the streaming engine.
WITH hopped AS (
  SELECT b.auction,
         time_bucket(INTERVAL 2 SECOND, b.date_time, TIMESTAMP '1970-01-01') - k.k * INTERVAL 2 SECOND AS starttime
  FROM bid AS b
  CROSS JOIN (SELECT range AS k FROM range(0, 5)) AS k
),
counts AS (
  SELECT auction, COUNT(*) AS num, starttime, starttime + INTERVAL 10 SECOND AS endtime
  FROM hopped
  GROUP BY auction, starttime
),
maxes AS (
  SELECT MAX(num) AS maxn, starttime, endtime
  FROM counts
  GROUP BY starttime, endtime
)
SELECT c.auction, c.num
FROM counts AS c
JOIN maxes AS m
  ON c.starttime = m.starttime
 AND c.endtime = m.endtime
 AND c.num >= m.maxn;
