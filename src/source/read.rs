//! A whole tree read and decoded as the loader wants it: keys listed, non-objects set
//! aside, objects read as their keys arrive and decoded on the CPU pool, chunk by chunk.

use std::sync::Mutex;

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use indicatif::ProgressBar;
use rayon::iter::{IntoParallelIterator, ParallelIterator};

use super::local::{Fingerprint, LocalSource};
use super::{is_object_key, Entry, Source};
use crate::cpu::{on_blocking, on_rayon};
use crate::error::{Error, SourceError};
use crate::parse::{decode_object_within, Bounds, Decoded, ObjectDecoder, RecordFamily};

/// What reading every object of a tree listed: the objects, for the manifest, and the
/// keys that are not objects, set aside.
#[derive(Debug, Default)]
pub struct Listed {
    pub objects: Vec<Entry>,
    pub ignored: Vec<String>,
}

/// Which objects of a tree to read.
pub enum Selection<'a> {
    /// Every object, read as the listing arrives, and noted in the given listing.
    All(&'a Mutex<Listed>),
    /// These objects (already listed), in this order.
    Only(Vec<String>),
}

/// Objects up to this size are decoded where they are read, not in the CPU pool.
const INLINE_DECODE_BYTES: u64 = 16 << 10;
/// Small local objects read and not yet decoded, at most: each trip to the blocking pool
/// reads its share one after another, and each is decoded in one trip to the CPU pool. It
/// bounds memory (a day of logs under a chunk's size is read whole).
const LOCAL_OBJECTS_IN_FLIGHT: usize = 128;
/// Trips to the blocking pool at once (at most `--concurrency`): reads waiting on a cold
/// disk at once. Measured on 100,000 cold song files (docs/BENCHMARKS.md, "Performance
/// round three"): 8 took 1.04–1.07x a 32-way parallel `cat`; 32 took 0.85–1.02x, but
/// with warm files its 32 threads faulting in memory at once spent up to twice the kernel
/// time of 8.
const LOCAL_READS_IN_FLIGHT: usize = 8;

/// What a reader of a tree makes of each decoded piece, given the object's rank in key
/// order and its name; it runs on the CPU pool, while the records borrow the piece's bytes.
pub trait Apply<R: RecordFamily, T>:
    for<'c> Fn(u32, &str, Decoded<R::Of<'c>>) -> T + Clone + Send + Sync + 'static
{
}

impl<R: RecordFamily, T, F> Apply<R, T> for F where
    F: for<'c> Fn(u32, &str, Decoded<R::Of<'c>>) -> T + Clone + Send + Sync + 'static
{
}

/// A decoded chunk of one object: its size, what `apply` made of its records, and
/// whether it ends the object; the last piece of a local object also carries the object's
/// rank and its content's fingerprint, taken from the very bytes decoded.
pub struct Piece<T> {
    pub bytes: u64,
    pub value: T,
    pub last: bool,
    pub fingerprint: Option<(u32, String)>,
}

/// Small local objects read in batches on the blocking pool, up to `reads_in_flight` (at
/// most [`LOCAL_READS_IN_FLIGHT`]) batches at once, so that a cold tree's reads wait on the
/// disk, not on the cores; each batch is decoded on the CPU pool. A large object is left to
/// stream chunk by chunk.
fn local_reads<'a, R, T, F>(
    local: &'a LocalSource,
    ranked: impl futures::Stream<Item = (u32, Result<String, Error>)> + Send + 'a,
    bounds: Bounds,
    reads_in_flight: usize,
    apply: F,
) -> BoxStream<'a, Result<Read<T>, Error>>
where
    R: RecordFamily,
    T: Send + 'static,
    F: Apply<R, T>,
{
    let trips = reads_in_flight.clamp(1, LOCAL_READS_IN_FLIGHT);
    ranked
        .ready_chunks(LOCAL_OBJECTS_IN_FLIGHT / trips)
        .map(move |batch| {
            let (local, apply) = (local.clone(), apply.clone());
            async move {
                let read = on_blocking(move || read_small(&local, batch)).await?;
                on_rayon(move || {
                    read.into_par_iter()
                        .map(|read| decode_small(read?, bounds, &apply))
                        .collect::<Vec<_>>()
                })
                .await
            }
        })
        .buffer_unordered(trips)
        .flat_map(|batch| match batch {
            Ok(reads) => futures::stream::iter(reads).left_stream(),
            Err(err) => futures::stream::iter([Err(err)]).right_stream(),
        })
        .boxed()
}

/// A small local object's rank, key, label and bytes (`None`: too large, to stream).
type SmallRead = (u32, String, String, Option<Bytes>);

/// Reads a batch of local objects, each whole unless it is large.
fn read_small(
    local: &LocalSource,
    batch: Vec<(u32, Result<String, Error>)>,
) -> Vec<Result<SmallRead, Error>> {
    batch
        .into_iter()
        .map(|(index, key)| {
            let key = key?;
            let bytes = local.read_if_small(&key)?;
            let label = local.path_of(&key).display().to_string();
            Ok((index, key, label, bytes))
        })
        .collect()
}

/// Decodes a small object read whole; a large one is handed back to stream.
fn decode_small<R: RecordFamily, T>(
    (index, key, label, bytes): SmallRead,
    bounds: Bounds,
    apply: &impl Apply<R, T>,
) -> Result<Read<T>, Error> {
    let Some(bytes) = bytes else {
        return Ok(Read::Stream(index, key));
    };
    let decoded = decode_object_within::<R::Of<'_>>(&label, &bytes, bounds);
    Ok(Read::Decoded(Piece {
        bytes: bytes.len() as u64,
        value: apply(index, &label, decoded),
        last: true,
        fingerprint: Some((index, Fingerprint::of(&bytes))),
    }))
}

/// What reading an object gave: a small one, decoded whole, or one to stream.
enum Read<T> {
    Decoded(Piece<T>),
    Stream(u32, String),
}

impl Source {
    /// Streams the keys of the source, sets aside those that are not objects (into the
    /// selection's list), and reads the objects as their keys arrive (or reads the objects
    /// the selection names), handing what each decodes to
    /// `apply` with the object's rank in key order and its name. Up to `concurrency`
    /// objects stream at once, chunk by chunk, each chunk decoded in the CPU pool; small
    /// local objects are read and decoded in batches there instead. Pieces of different
    /// objects interleave; memory holds chunks, not whole objects. A record with a value beyond
    /// `bounds` is bad.
    pub fn pieces<'a, R, T, F>(
        &'a self,
        selection: Selection<'a>,
        bar: &'a ProgressBar,
        concurrency: usize,
        bounds: Bounds,
        apply: F,
    ) -> BoxStream<'a, Result<Piece<T>, Error>>
    where
        R: RecordFamily,
        T: Send + 'static,
        F: Apply<R, T>,
    {
        let keys = self.selected_keys(selection, bar);
        let ranked = keys
            .enumerate()
            .map(|(index, key)| (index as u32, key.map_err(Error::from)));
        let reads: BoxStream<'a, Result<Read<T>, Error>> = match self {
            // A trip to the CPU pool per object costs more than reading and decoding a
            // small local file: small ones go in batches, read and decoded on both cores;
            // a large one is left to stream chunk by chunk.
            Source::Local(local) => local_reads(local, ranked, bounds, concurrency, apply.clone()),
            Source::S3(_) => ranked
                .map(|(index, key)| key.map(|key| Read::Stream(index, key)))
                .boxed(),
        };
        reads
            .map(move |read| match read {
                Ok(Read::Decoded(piece)) => {
                    bar.inc(1);
                    futures::stream::once(futures::future::ready(Ok(piece))).boxed()
                }
                Ok(Read::Stream(index, key)) => {
                    self.object_pieces(bar, index, key, bounds, apply.clone())
                }
                Err(err) => futures::stream::once(futures::future::ready(Err(err))).boxed(),
            })
            .flatten_unordered(concurrency.max(1))
            .boxed()
    }

    /// The keys of the objects `selection` names, in key order; with every key, those that
    /// are not objects are set aside into the selection's list and the rest listed there.
    fn selected_keys<'a>(
        &'a self,
        selection: Selection<'a>,
        bar: &'a ProgressBar,
    ) -> BoxStream<'a, Result<String, SourceError>> {
        match selection {
            Selection::All(listed) => self
                .keys()
                .map_ok(move |batch| {
                    let (objects, others): (Vec<Entry>, Vec<Entry>) = batch
                        .into_iter()
                        .partition(|entry| is_object_key(&entry.key));
                    let keys: Vec<String> = objects.iter().map(|e| e.key.clone()).collect();
                    let mut listed = listed.lock().expect("never poisoned");
                    listed
                        .ignored
                        .extend(others.into_iter().map(|entry| entry.key));
                    listed.objects.extend(objects);
                    bar.inc_length(keys.len() as u64);
                    futures::stream::iter(keys.into_iter().map(Ok))
                })
                .try_flatten()
                .boxed(),
            Selection::Only(keys) => {
                bar.inc_length(keys.len() as u64);
                futures::stream::iter(keys.into_iter().map(Ok)).boxed()
            }
        }
    }

    /// One object, streamed and decoded chunk by chunk.
    fn object_pieces<'a, R, T, F>(
        &'a self,
        bar: &'a ProgressBar,
        index: u32,
        key: String,
        bounds: Bounds,
        apply: F,
    ) -> BoxStream<'a, Result<Piece<T>, Error>>
    where
        R: RecordFamily,
        T: Send + 'static,
        F: Apply<R, T>,
    {
        let label = self.describe(&key);
        let decoder = ObjectDecoder::<R>::new(&label).within(bounds);
        let chunks = self.chunks(&key).map_err(Error::from).boxed();
        // Each step decodes one chunk, knowing whether it is the last (the next one is
        // fetched first), so that a one-chunk object takes one trip to the CPU pool.
        let start = Reading {
            decoder,
            chunks,
            ahead: None,
            first: true,
            fingerprint: matches!(self, Source::Local(_)).then(Fingerprint::default),
        };
        futures::stream::try_unfold(Some(start), move |state| {
            let (apply, label) = (apply.clone(), label.clone());
            async move {
                let Some(reading) = state else {
                    return Ok(None);
                };
                let (piece, rest) = reading.next_piece((apply, index, label)).await?;
                if rest.is_none() {
                    bar.inc(1);
                }
                Ok(Some((piece, rest)))
            }
        })
        .boxed()
    }
}

/// One chunk of an object (`None` past its end) into its decoder and fingerprint: gives
/// what `apply` made of what it decoded, and the decoder again unless it was the `last`.
fn decode_chunk<R, T, F>(
    (mut decoder, mut fingerprint): (ObjectDecoder<R>, Option<Fingerprint>),
    chunk: Option<Bytes>,
    last: bool,
    (apply, index, label): (F, u32, &str),
) -> (Option<ObjectDecoder<R>>, T, Option<Fingerprint>)
where
    R: RecordFamily,
    F: Apply<R, T>,
{
    let chunk = chunk.unwrap_or_default();
    if let Some(fingerprint) = fingerprint.as_mut() {
        fingerprint.update(&chunk);
    }
    let value = decoder.feed(&chunk, last, |decoded| apply(index, label, decoded));
    ((!last).then_some(decoder), value, fingerprint)
}

/// An object being read: its decoder, the chunks still to come, the one fetched ahead and
/// the fingerprint of those read.
struct Reading<'a, R> {
    decoder: ObjectDecoder<R>,
    chunks: BoxStream<'a, Result<Bytes, Error>>,
    ahead: Option<Bytes>,
    first: bool,
    fingerprint: Option<Fingerprint>,
}

impl<'a, R: RecordFamily> Reading<'a, R> {
    /// Decodes the next chunk: the piece it made, and the reading again unless that chunk
    /// was the last.
    async fn next_piece<T, F>(
        mut self,
        (apply, index, label): (F, u32, String),
    ) -> Result<(Piece<T>, Option<Reading<'a, R>>), Error>
    where
        T: Send + 'static,
        F: Apply<R, T>,
    {
        let current = if self.first {
            self.chunks.try_next().await?
        } else {
            self.ahead.take()
        };
        let next = match current {
            Some(_) => self.chunks.try_next().await?,
            None => None,
        };
        let bytes = current.as_ref().map_or(0, |c| c.len() as u64);
        let last = next.is_none();
        let state = (self.decoder, self.fingerprint);
        let work = move || decode_chunk(state, current, last, (apply, index, &label));
        // A small object (a song) decodes in microseconds, less than a trip to the CPU pool
        // and back costs.
        let (decoder, value, fingerprint) = if last && bytes <= INLINE_DECODE_BYTES {
            work()
        } else {
            on_rayon(work).await?
        };
        let piece = |fingerprint| Piece {
            bytes,
            value,
            last,
            fingerprint,
        };
        Ok(match decoder {
            Some(decoder) => {
                let rest = Reading {
                    decoder,
                    chunks: self.chunks,
                    ahead: next,
                    first: false,
                    fingerprint,
                };
                (piece(None), Some(rest))
            }
            None => (piece(fingerprint.map(|f| (index, f.finish()))), None),
        })
    }
}
