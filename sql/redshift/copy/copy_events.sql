COPY {schema}.{new}raw_events
FROM {log_data}
IAM_ROLE {iam_role}
REGION {region}
FORMAT AS JSON {log_jsonpath}
TIMEFORMAT 'epochmillisecs'
MAXERROR {max_errors};
