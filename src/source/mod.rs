//! Where objects come from: a local directory tree (and, behind the same interface,
//! S3). A source lists the `.json` keys under a prefix in key order and fetches one
//! object's bytes at a time.

mod local;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use bytes::Bytes;

use crate::error::SourceError;

/// A tree of objects, as the user names it: a local directory (`file:///abs/path` or a
/// plain path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceUri {
    Local(PathBuf),
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
        }
    }
}

/// The keys under a source, split into the objects to read and the ones ignored.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Listing {
    /// Keys ending in `.json`, in byte order.
    pub objects: Vec<String>,
    /// Every other key, in byte order.
    pub ignored: Vec<String>,
}

impl Listing {
    fn from_keys(mut keys: Vec<String>) -> Listing {
        keys.sort_unstable();
        let (objects, ignored) = keys.into_iter().partition(|key| key.ends_with(".json"));
        Listing { objects, ignored }
    }
}

/// An opened source.
#[derive(Debug, Clone)]
pub enum Source {
    Local(local::LocalSource),
}

impl Source {
    pub fn open(uri: &SourceUri) -> Source {
        match uri {
            SourceUri::Local(root) => Source::Local(local::LocalSource::new(root.clone())),
        }
    }

    pub async fn list(&self) -> Result<Listing, SourceError> {
        match self {
            Source::Local(local) => local.list().await,
        }
    }

    pub async fn get(&self, key: &str) -> Result<Bytes, SourceError> {
        match self {
            Source::Local(local) => local.get(key).await,
        }
    }

    /// How messages name an object: its full path or URI.
    pub fn describe(&self, key: &str) -> String {
        match self {
            Source::Local(local) => local.path_of(key).display().to_string(),
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
    fn listing_splits_and_orders_by_bytes() {
        let listing = Listing::from_keys(
            [
                "b/x.json",
                "B/y.json",
                "a/_SUCCESS",
                "a/z.JSON",
                "a/.hidden.json",
                "a.crc",
            ]
            .map(String::from)
            .to_vec(),
        );
        assert_eq!(
            listing.objects,
            vec!["B/y.json", "a/.hidden.json", "b/x.json"]
        );
        assert_eq!(listing.ignored, vec!["a.crc", "a/_SUCCESS", "a/z.JSON"]);
    }
}
