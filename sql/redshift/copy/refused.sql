-- Events COPY loads without complaint but the contract refuses: a missing or null ts or
-- page loads as NULL. COPY keeps no object key or line in the staged rows, so each is
-- named by the tree and its own fields: object, line (0: unknown), reason, fields.
SELECT {log_data}, 0,
       CASE WHEN ts IS NULL THEN 'ts: missing, null or empty' ELSE 'page: missing or null' END,
       'userId=' || COALESCE(CAST(user_id AS VARCHAR), 'null')
           || ' sessionId=' || COALESCE(CAST(session_id AS VARCHAR), 'null')
           || ' itemInSession=' || COALESCE(CAST(item_in_session AS VARCHAR), 'null')
           || ' ts=' || COALESCE(CAST(ts AS VARCHAR), 'null')
           || ' page=' || COALESCE(page, 'null')
FROM {schema}.{new}raw_events
WHERE ts IS NULL OR page IS NULL
ORDER BY 4;
