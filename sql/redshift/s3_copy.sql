-- `--sink s3-copy`: one table's finished rows from the gzip CSV parts its manifest lists
-- (docs/REDSHIFT.md rule 17). NULL is a field of one NUL byte, which no value can be; text
-- is quoted. The identity column songplay_id is left out: Redshift numbers the rows.
COPY {schema}.{table} ({columns})
FROM {manifest}
IAM_ROLE {iam_role}
REGION {region}
MANIFEST
FORMAT AS CSV
GZIP
NULL AS '\0'
TIMEFORMAT 'auto'
COMPUPDATE OFF
STATUPDATE OFF;
