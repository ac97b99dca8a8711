//! A local directory tree as a source; keys are paths below the root, `/`-separated.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures::stream::{self, BoxStream, StreamExt};
use tokio::io::AsyncReadExt;

/// Bytes read from a file at a time.
pub const CHUNK_BYTES: usize = 1 << 20;

use super::Entry;
use crate::error::SourceError;

#[derive(Debug, Clone)]
pub struct LocalSource {
    root: PathBuf,
}

impl LocalSource {
    pub fn new(root: PathBuf) -> Self {
        LocalSource { root }
    }

    fn unreadable(&self, reason: impl Into<String>) -> SourceError {
        SourceError::Unreadable {
            uri: self.root.display().to_string(),
            reason: reason.into(),
            source: None,
        }
    }

    /// Walks the whole tree (following links) into one batch of keys relative to the
    /// root, in byte order.
    pub fn keys(&self) -> BoxStream<'_, Result<Vec<Entry>, SourceError>> {
        stream::once(async move {
            let root = self.root.clone();
            if root.is_file() {
                return Err(self.unreadable(
                    "it is a file, and a tree is a directory: give the directory that holds \
                     the .json objects",
                ));
            }
            if !root.is_dir() {
                return Err(self.unreadable("no such directory"));
            }
            let walked = tokio::task::spawn_blocking(move || walk(&root))
                .await
                .map_err(|e| self.unreadable(e.to_string()))?;
            let mut keys = walked.map_err(|e| self.unreadable(e))?;
            keys.sort_unstable_by(|a, b| a.key.cmp(&b.key));
            Ok(keys)
        })
        .boxed()
    }

    /// How a failed read of `key` is reported.
    fn object_error(&self, key: &str) -> impl Fn(std::io::Error) -> SourceError + Clone + 'static {
        let object = self.path_of(key).display().to_string();
        move |e| SourceError::Object {
            object: object.clone(),
            reason: e.to_string(),
            source: Some(Box::new(e)),
        }
    }

    /// The fingerprint of a file's bytes as they are now, read again: what decides, when
    /// a file's modification time moved (touch, a plain copy), whether its content did.
    pub fn fingerprint(&self, key: &str) -> Result<String, SourceError> {
        let mut file = std::fs::File::open(self.path_of(key)).map_err(self.object_error(key))?;
        let mut fingerprint = Fingerprint::default();
        std::io::copy(&mut file, &mut fingerprint).map_err(self.object_error(key))?;
        Ok(fingerprint.finish())
    }

    pub fn path_of(&self, key: &str) -> PathBuf {
        self.root.join(key)
    }

    /// The whole file when it is no larger than a chunk (most song objects), else `None`:
    /// a blocking read, for batches of small objects read in the CPU pool.
    pub fn read_if_small(&self, key: &str) -> Result<Option<Bytes>, SourceError> {
        let opened = open_or_read(&self.path_of(key)).map_err(self.object_error(key))?;
        Ok(match opened {
            Opened::Whole(bytes) => Some(bytes),
            Opened::Large(..) => None,
        })
    }

    /// The file's bytes in chunks of up to [`CHUNK_BYTES`]; a small file (most song
    /// objects) is read whole in one blocking call.
    pub fn chunks(&self, key: &str) -> BoxStream<'_, Result<Bytes, SourceError>> {
        let path = self.path_of(key);
        let error = self.object_error(key);
        stream::try_unfold(Reading::Unopened, move |reading| {
            let (path, error) = (path.clone(), error.clone());
            async move {
                let (mut file, left) = match reading {
                    Reading::Done => return Ok(None),
                    Reading::Open(file, left) => (file, left),
                    Reading::Unopened => {
                        // Opened (and a small file read) where it is asked for: a hop to
                        // the blocking pool costs more. A large file's chunks go through
                        // the pool below; the loader reads small files in batches instead
                        // (`read_if_small`).
                        let opened = open_or_read(&path).map_err(&error)?;
                        match opened {
                            Opened::Whole(bytes) if bytes.is_empty() => return Ok(None),
                            Opened::Whole(bytes) => return Ok(Some((bytes, Reading::Done))),
                            Opened::Large(file, size) => (tokio::fs::File::from_std(file), size),
                        }
                    }
                };
                let mut chunk =
                    bytes::BytesMut::with_capacity((left as usize).clamp(1, CHUNK_BYTES));
                let read = file.read_buf(&mut chunk).await.map_err(&error)?;
                let left = left.saturating_sub(read as u64);
                Ok((read > 0).then(|| (chunk.freeze(), Reading::Open(file, left))))
            }
        })
        .boxed()
    }
}

/// A local object's content fingerprint, `xxh3:<hex>` (XXH3, 128 bits), fed with its bytes
/// as they are read: the manifest keeps it beside the file's time, as S3 keeps an ETag (an
/// MD5). It tells a file's own versions apart, which needs no cryptographic hash; XXH3 costs
/// a small fraction of a load's CPU where SHA-256 cost about a fifth (docs/SPEC-DECISIONS.md).
#[derive(Default)]
pub struct Fingerprint(Box<xxhash_rust::xxh3::Xxh3>);

impl Fingerprint {
    pub fn of(bytes: &[u8]) -> String {
        let mut fingerprint = Fingerprint::default();
        fingerprint.update(bytes);
        fingerprint.finish()
    }

    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    pub fn finish(self) -> String {
        format!("xxh3:{:032x}", self.0.digest128())
    }
}

/// Bytes copied in (`std::io::copy`) are fed to the fingerprint.
impl std::io::Write for Fingerprint {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Where a chunked read of a file is.
enum Reading {
    Unopened,
    Open(tokio::fs::File, u64),
    Done,
}

/// A file opened for reading: small ones whole, large ones to read in chunks.
enum Opened {
    Whole(Bytes),
    Large(std::fs::File, u64),
}

fn open_or_read(path: &Path) -> std::io::Result<Opened> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    if size as usize > CHUNK_BYTES {
        return Ok(Opened::Large(file, size));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.read_to_end(&mut bytes)?;
    Ok(Opened::Whole(Bytes::from(bytes)))
}

fn walk(root: &Path) -> Result<Vec<Entry>, String> {
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
        let metadata = entry.metadata().map_err(|e| e.to_string())?;
        let modified = metadata.modified().ok();
        let nanos = modified
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |since| since.as_nanos());
        keys.push(Entry {
            key: key.to_string(),
            size: metadata.len(),
            version: nanos.to_string(),
            modified,
        });
    }
    Ok(keys)
}
