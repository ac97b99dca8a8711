-- Copy mode: the bad records SQL found, by tree, in (object, line) order.
SELECT 'songs' AS tree, object, line, reason, record FROM {private}songs_typed WHERE reason IS NOT NULL
UNION ALL
SELECT 'events', object, line, reason, record FROM {private}events_typed WHERE reason IS NOT NULL
ORDER BY 1, 2, 3
