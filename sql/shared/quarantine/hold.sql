-- Quarantines one object version, or counts another attempt at one already held (its first
-- attempt kept). The values are literals, quoted by db::literal.
BEGIN;
UPDATE {schema}.sparkify_load_quarantine
SET size = {size}, version = {version}, reason = {reason}, last_attempt = {now},
    attempts = attempts + 1
WHERE tree{eq} = {tree}{eq} AND key{eq} = {key}{eq};
INSERT INTO {schema}.sparkify_load_quarantine
    (tree, key, size, version, reason, first_attempt, last_attempt, attempts)
SELECT {tree}, {key}, {size}, {version}, {reason}, {now}, {now}, 1
WHERE NOT EXISTS (
    SELECT 1 FROM {schema}.sparkify_load_quarantine WHERE tree{eq} = {tree}{eq} AND key{eq} = {key}{eq}
);
COMMIT;
