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
use crate::cpu::on_rayon;
use crate::error::{Error, SourceError};
use crate::parse::{decode_object_within, Bounds, Decoded, ObjectDecoder, Record};

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
/// Small local objects read and decoded per trip to the CPU pool, and such trips at once.
const LOCAL_OBJECTS_PER_TRIP: usize = 64;
const LOCAL_BATCHES_IN_FLIGHT: usize = 2;

/// What a reader of a tree makes of each decoded piece, given the object's rank in key
/// order and its name; it runs on the CPU pool.
pub trait Apply<R, T>: Fn(u32, &str, Decoded<R>) -> T + Clone + Send + Sync + 'static {}

impl<R, T, F> Apply<R, T> for F where
    F: Fn(u32, &str, Decoded<R>) -> T + Clone + Send + Sync + 'static
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

/// Small local objects read and decoded in batches on the CPU pool (both cores); a large
/// one is left to stream chunk by chunk.
fn local_reads<'a, R, T, F>(
    local: &'a LocalSource,
    ranked: impl futures::Stream<Item = (u32, Result<String, Error>)> + Send + 'a,
    bounds: Bounds,
    apply: F,
) -> BoxStream<'a, Result<Read<T>, Error>>
where
    R: Record + 'static,
    T: Send + 'static,
    F: Apply<R, T>,
{
    ranked
        .ready_chunks(LOCAL_OBJECTS_PER_TRIP)
        .map(move |batch| {
            let (local, apply) = (local.clone(), apply.clone());
            let read = on_rayon(move || {
                batch
                    .into_par_iter()
                    .map(|(index, key)| {
                        let key = key?;
                        let Some(bytes) = local.read_if_small(&key)? else {
                            return Ok(Read::Stream(index, key));
                        };
                        let label = local.path_of(&key).display().to_string();
                        let decoded = decode_object_within::<R>(&label, &bytes, bounds);
                        Ok(Read::Decoded(Piece {
                            bytes: bytes.len() as u64,
                            value: apply(index, &label, decoded),
                            last: true,
                            fingerprint: Some((index, Fingerprint::of(&bytes))),
                        }))
                    })
                    .collect::<Vec<_>>()
            });
            futures::stream::once(read)
                .flat_map(|batch| match batch {
                    Ok(reads) => futures::stream::iter(reads).left_stream(),
                    Err(err) => futures::stream::iter([Err(err)]).right_stream(),
                })
                .boxed()
        })
        .flatten_unordered(LOCAL_BATCHES_IN_FLIGHT)
        .boxed()
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
        R: Record + 'static,
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
            Source::Local(local) => local_reads(local, ranked, bounds, apply.clone()),
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
        R: Record + 'static,
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
    R: Record,
    F: Apply<R, T>,
{
    if let Some(chunk) = chunk {
        if let Some(fingerprint) = fingerprint.as_mut() {
            fingerprint.update(&chunk);
        }
        decoder.feed(&chunk);
    }
    if last {
        (None, apply(index, label, decoder.finish()), fingerprint)
    } else {
        let decoded = decoder.take();
        (Some(decoder), apply(index, label, decoded), fingerprint)
    }
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

impl<'a, R: Record + 'static> Reading<'a, R> {
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
