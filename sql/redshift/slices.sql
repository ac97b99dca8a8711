-- The cluster's slices, for `--sink s3-copy`'s part count (a multiple of them).
SELECT COUNT(*) FROM stv_slices;
