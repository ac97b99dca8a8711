-- Whether the target schema exists (1) or not (0). pg_namespace lists every schema to every
-- user in both dialects, where Redshift's information_schema.schemata lists only those the
-- user owns (docs/REDSHIFT.md, rule 18).
SELECT COUNT(*) FROM pg_namespace WHERE nspname = {schema_name}
