//! What loads into Redshift through COPY need, checked: copy mode's S3 trees, role and
//! region, and `--sink s3-copy`'s staging prefix.

use super::{Dialect, LoadRequest, LoadScope, Mode};
use crate::error::Error;
use crate::source::SourceUri;

/// Copy mode into Redshift, checked: the S3 trees the cluster's COPY reads, the role it
/// reads them with, and their region.
#[derive(Debug, Clone)]
pub struct RedshiftCopySources {
    pub song_data: String,
    pub log_data: String,
    pub iam_role_arn: String,
    pub region: String,
    /// The jsonpaths file COPY maps the logs' camelCase keys with.
    pub log_jsonpath: String,
}

impl RedshiftCopySources {
    pub(super) fn resolve(request: &LoadRequest) -> Result<RedshiftCopySources, Error> {
        let s3_uri = |uri: &SourceUri, flag: &str| match uri {
            SourceUri::S3 { .. } => Ok(uri.to_string()),
            SourceUri::Local(_) => Err(Error::Config(format!(
                "Redshift COPY reads S3: {flag} must be an s3:// URI"
            ))),
        };
        let iam_role_arn = request.copy.iam_role_arn.clone().ok_or_else(|| {
            Error::Config(
                "Redshift COPY needs the cluster's IAM role: --iam-role or [IAM_ROLE] ARN in \
                 --config"
                    .into(),
            )
        })?;
        let region = request
            .s3
            .region
            .clone()
            .ok_or_else(|| Error::Config("Redshift COPY needs the bucket's --region".into()))?;
        // 'auto' matches keys to the lower-case column names case-sensitively: userId,
        // firstName, sessionId... would never match, and every event would lose its user.
        let log_jsonpath = request.copy.log_jsonpath.clone().ok_or_else(|| {
            Error::Config(
                "Redshift COPY of the logs needs a jsonpaths file: FORMAT AS JSON 'auto' \
                 matches keys to lower-case column names case-sensitively, so userId, \
                 firstName, sessionId... would load as NULL. Give --log-jsonpath (or [S3] \
                 LOG_JSONPATH in --config); the classic one is \
                 s3://udacity-dend/log_json_path.json"
                    .into(),
            )
        })?;
        if !log_jsonpath.starts_with("s3://") {
            return Err(Error::Config(format!(
                "--log-jsonpath {log_jsonpath:?} must be the s3:// key of a jsonpaths file \
                 ('auto' would miss the logs' camelCase keys)"
            )));
        }
        Ok(RedshiftCopySources {
            song_data: s3_uri(&request.song_data, "--song-data")?,
            log_data: s3_uri(&request.log_data, "--log-data")?,
            iam_role_arn,
            region,
            log_jsonpath,
        })
    }
}

/// `--sink s3-copy` as asked for.
#[derive(Debug, Clone)]
pub struct S3CopyRequest {
    /// `s3://bucket/prefix/`: where the parts and manifests are written.
    pub staging: String,
    /// The cluster's slices; asked of the cluster (`stv_slices`) when not given.
    pub slices: Option<u32>,
}

/// `--sink s3-copy`, checked: where the parts go and what the COPY needs.
#[derive(Debug, Clone)]
pub struct S3Copy {
    pub bucket: String,
    /// Empty or ending in `/`.
    pub prefix: String,
    pub iam_role_arn: String,
    pub region: String,
    pub slices: Option<u32>,
}

impl S3Copy {
    pub(super) fn resolve(request: &LoadRequest, asked: &S3CopyRequest) -> Result<S3Copy, Error> {
        let refuse = |message: &str| Err(Error::Config(message.to_string()));
        if request.dialect != Dialect::Redshift {
            return refuse(
                "--sink s3-copy is for Redshift, which loads S3 with COPY; PostgreSQL's \
                 fastest route is client mode's INSERTs",
            );
        }
        if request.mode != Mode::Client || request.scope != LoadScope::Rebuild {
            return refuse(
                "--sink s3-copy is for client-mode rebuilds: leave out --mode copy, \
                 --incremental, --full and --shard",
            );
        }
        if asked.slices == Some(0) {
            return refuse("--slices must be at least 1");
        }
        let (bucket, prefix) = match asked.staging.parse::<SourceUri>() {
            Ok(SourceUri::S3 { bucket, prefix }) => (bucket, prefix),
            _ => {
                return Err(Error::Config(format!(
                    "--staging-prefix {:?} must be an s3://bucket/prefix/ the loader may \
                     write and the cluster's role may read",
                    asked.staging
                )))
            }
        };
        let iam_role_arn = request.copy.iam_role_arn.clone().ok_or_else(|| {
            Error::Config(
                "--sink s3-copy needs the cluster's IAM role for its COPY: --iam-role or \
                 [IAM_ROLE] ARN in --config"
                    .into(),
            )
        })?;
        let region = request.s3.region.clone().ok_or_else(|| {
            Error::Config("--sink s3-copy needs the staging bucket's --region".into())
        })?;
        Ok(S3Copy {
            bucket,
            prefix,
            iam_role_arn,
            region,
            slices: asked.slices,
        })
    }
}
