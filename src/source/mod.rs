//! Where objects come from: a local directory tree or an S3 prefix. A source streams
//! the keys under it in byte order, in batches as they are listed, and fetches one
//! object's bytes at a time; [`Source::pieces`] reads a whole tree, decoded, as the loader
//! wants it.

mod local;
mod options;
mod read;
mod s3;
mod s3_errors;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use bytes::Bytes;
use futures::stream::{BoxStream, TryStreamExt};

use crate::error::SourceError;

pub use options::S3Options;
pub use read::{Apply, Listed, Piece, Selection};
pub(crate) use s3::client as s3_client;

/// A tree of objects, as the user names it: a local directory (`file:///abs/path` or a
/// plain path) or `s3://bucket/prefix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceUri {
    Local(PathBuf),
    /// `prefix` is empty or ends in `/`: a prefix names a folder.
    S3 {
        bucket: String,
        prefix: String,
    },
}

impl FromStr for SourceUri {
    type Err = SourceError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = |message: &str| SourceError::InvalidUri {
            uri: text.to_string(),
            message: message.to_string(),
        };
        if text.is_empty() {
            return Err(invalid("empty"));
        }
        if let Some(rest) = text.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.len() < 3 {
                return Err(invalid("an S3 bucket name has at least 3 characters"));
            }
            let prefix = prefix.trim_end_matches('/');
            let prefix = if prefix.is_empty() {
                String::new()
            } else {
                format!("{prefix}/")
            };
            return Ok(SourceUri::S3 {
                bucket: bucket.to_string(),
                prefix,
            });
        }
        if let Some(path) = text.strip_prefix("file://") {
            if !path.starts_with('/') {
                return Err(invalid("a file:// URI needs an absolute path"));
            }
            return Ok(SourceUri::Local(PathBuf::from(path)));
        }
        if let Some((scheme, _)) = text.split_once("://") {
            return Err(invalid(&format!(
                "unsupported scheme {scheme:?} (use a path or file://)"
            )));
        }
        Ok(SourceUri::Local(PathBuf::from(text)))
    }
}

impl fmt::Display for SourceUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceUri::Local(path) => write!(f, "{}", path.display()),
            SourceUri::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
        }
    }
}

/// A listed key with what identifies its version: an object whose size or version differs
/// from an earlier listing's has changed since (SPEC section 3, "Loads over time").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub size: u64,
    /// The S3 ETag as S3 lists it (quotes included; an S3-compatible server that lists
    /// none gives its last-modified time), or a local file's modification time in
    /// nanoseconds since the epoch (to which a manifest adds its content's XXH3 hash).
    pub version: String,
    /// When it was last modified, as listed (a watcher's lag is measured from it).
    pub modified: Option<std::time::SystemTime>,
}

/// Whether a key names an object to read: it ends in `.json` (lower case).
pub fn is_object_key(key: &str) -> bool {
    key.ends_with(".json")
}

/// An opened source.
#[derive(Debug, Clone)]
pub enum Source {
    Local(local::LocalSource),
    S3(s3::S3Source),
}

impl Source {
    pub async fn open(uri: &SourceUri, s3_options: &S3Options) -> Source {
        match uri {
            SourceUri::Local(root) => Source::Local(local::LocalSource::new(root.clone())),
            SourceUri::S3 { bucket, prefix } => {
                Source::S3(s3::S3Source::connect(bucket, prefix, s3_options).await)
            }
        }
    }

    /// Every key under the source (objects and others), in byte order, in batches.
    pub fn keys(&self) -> BoxStream<'_, Result<Vec<Entry>, SourceError>> {
        match self {
            Source::Local(local) => local.keys(),
            Source::S3(s3) => s3.keys(),
        }
    }

    /// An object's bytes in chunks as they arrive, so that large objects stream.
    pub fn chunks(&self, key: &str) -> BoxStream<'_, Result<Bytes, SourceError>> {
        match self {
            Source::Local(local) => local.chunks(key),
            Source::S3(s3) => s3.chunks(key),
        }
    }

    /// An object's bytes, whole.
    pub async fn get(&self, key: &str) -> Result<Bytes, SourceError> {
        let chunks: Vec<Bytes> = self.chunks(key).try_collect().await?;
        Ok(match chunks.len() {
            1 => chunks.into_iter().next().expect("one chunk"),
            _ => chunks.concat().into(),
        })
    }

    /// How messages name an object: its full path or URI.
    pub fn describe(&self, key: &str) -> String {
        match self {
            Source::Local(local) => local.path_of(key).display().to_string(),
            Source::S3(s3) => s3.describe(key),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_local_uris() {
        assert_eq!(
            "data/x".parse::<SourceUri>().unwrap(),
            SourceUri::Local("data/x".into())
        );
        assert_eq!(
            "file:///d/x".parse::<SourceUri>().unwrap(),
            SourceUri::Local("/d/x".into())
        );
        assert!("file://rel".parse::<SourceUri>().is_err());
        assert!("ftp://h/x".parse::<SourceUri>().is_err());
    }

    #[test]
    fn parses_s3_uris_as_folders() {
        let s3 = |bucket: &str, prefix: &str| SourceUri::S3 {
            bucket: bucket.into(),
            prefix: prefix.into(),
        };
        assert_eq!(
            "s3://udacity-dend/song_data".parse::<SourceUri>().unwrap(),
            s3("udacity-dend", "song_data/")
        );
        assert_eq!(
            "s3://bkt/a/b/".parse::<SourceUri>().unwrap(),
            s3("bkt", "a/b/")
        );
        assert_eq!("s3://bkt".parse::<SourceUri>().unwrap(), s3("bkt", ""));
        assert!("s3://b/x".parse::<SourceUri>().is_err());
        assert_eq!(s3("bkt", "a/").to_string(), "s3://bkt/a/");
    }

    /// Whether a key names an object to read.
    #[test]
    fn only_lower_case_json_keys_are_objects() {
        assert!(is_object_key("a/.hidden.json") && is_object_key("_x.json"));
        assert!(
            !is_object_key("a/z.JSON")
                && !is_object_key("a/_SUCCESS")
                && !is_object_key("x.json.crc")
        );
    }
}
