COPY {schema}.{new}raw_songs
FROM {song_data}
IAM_ROLE {iam_role}
REGION {region}
FORMAT AS JSON 'auto ignorecase'
MAXERROR {max_errors};
