//! A local directory tree as a source; keys are paths below the root, `/`-separated.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures::stream::{self, BoxStream, StreamExt};

use crate::error::SourceError;

#[derive(Debug, Clone)]
pub struct LocalSource {
    root: PathBuf,
}

impl LocalSource {
    pub fn new(root: PathBuf) -> Self {
        LocalSource { root }
    }

    fn unreadable(&self, message: impl Into<String>) -> SourceError {
        SourceError::Unreadable {
            uri: self.root.display().to_string(),
            message: message.into(),
        }
    }

    /// Walks the whole tree (following links) into one batch of keys relative to the
    /// root, in byte order.
    pub fn keys(&self) -> BoxStream<'_, Result<Vec<String>, SourceError>> {
        stream::once(async move {
            let root = self.root.clone();
            if !root.is_dir() {
                return Err(self.unreadable("no such directory"));
            }
            let walked = tokio::task::spawn_blocking(move || walk(&root))
                .await
                .map_err(|e| self.unreadable(e.to_string()))?;
            let mut keys = walked.map_err(|e| self.unreadable(e))?;
            keys.sort_unstable();
            Ok(keys)
        })
        .boxed()
    }

    pub fn path_of(&self, key: &str) -> PathBuf {
        self.root.join(key)
    }

    pub async fn get(&self, key: &str) -> Result<Bytes, SourceError> {
        tokio::fs::read(self.path_of(key))
            .await
            .map(Bytes::from)
            .map_err(|e| SourceError::Object {
                uri: self.root.display().to_string(),
                key: key.to_string(),
                message: e.to_string(),
            })
    }
}

fn walk(root: &Path) -> Result<Vec<String>, String> {
    let mut keys = Vec::new();
    for entry in walkdir::WalkDir::new(root).follow_links(true) {
        let entry = entry.map_err(|e| e.to_string())?;
        if !entry.file_type().is_file() {
            continue;
        }
        let relative = entry.path().strip_prefix(root).map_err(|e| e.to_string())?;
        let key = relative
            .to_str()
            .ok_or_else(|| format!("{} is not a UTF-8 path", relative.display()))?;
        keys.push(key.to_string());
    }
    Ok(keys)
}
