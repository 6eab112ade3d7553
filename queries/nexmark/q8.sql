-- Nexmark q8 (monitor new users): persons who registered and opened an auction within the same
-- 10-second tumbling window: their id, name and the window's start.
-- Sluice joins two streams only with a time bound, so ON also says the windows start together
-- (implied by the equalities; it does not change the result).
SELECT P.id, P.name, P.starttime
FROM (
  SELECT id, name, window_start AS starttime, window_end AS endtime
  FROM TABLE(TUMBLE(TABLE person, DESCRIPTOR(date_time), INTERVAL '10' SECOND))
  GROUP BY id, name, window_start, window_end
) AS P
JOIN (
  SELECT seller, window_start AS starttime, window_end AS endtime
  FROM TABLE(TUMBLE(TABLE auction, DESCRIPTOR(date_time), INTERVAL '10' SECOND))
  GROUP BY seller, window_start, window_end
) AS A
  ON P.id = A.seller
 AND P.starttime = A.starttime
 AND P.endtime = A.endtime
 AND A.endtime BETWEEN P.endtime AND P.endtime;
