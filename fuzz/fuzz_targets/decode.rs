//! Fuzzes the decoder: for any bytes, the fast path and serde_json alone judge every record
//! alike, and an object decodes the same whole and in chunks (crates/records/src/parse/equivalence.rs runs
//! the same property on generated records in every `cargo test`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use sparkify_load::model::{EventRecord, SongRecord};
use sparkify_load::parse::{decode_object, Decoded, ObjectDecoder, RawJson, RecordFamily};

/// Everything decoding found, as text: doubles by their exact digits.
fn judged<R: std::fmt::Debug>(decoded: &Decoded<R>) -> String {
    format!("{decoded:?}")
}

fn every_reading_agrees<F: RecordFamily + std::fmt::Debug>(bytes: &[u8], chunk: usize) {
    let whole = judged(&decode_object::<F::Of<'_>>("k.json", bytes).into_owned::<F>());
    let decoder = || ObjectDecoder::<F>::new("k.json");
    let serde_only = judged(&decoder().serde_only().decode_in_chunks(bytes, bytes.len()));
    assert_eq!(whole, serde_only, "fast path vs serde_json");
    let chunked = judged(&decoder().decode_in_chunks(bytes, chunk));
    assert_eq!(whole, chunked, "whole vs chunks of {chunk}");
}

fuzz_target!(|data: &[u8]| {
    // The first byte chooses the chunk size; the rest is the object.
    let Some((&first, bytes)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(first) + 1;
    every_reading_agrees::<EventRecord<'static>>(bytes, chunk);
    every_reading_agrees::<SongRecord>(bytes, chunk);
    let raw_whole = judged(&decode_object::<RawJson>("k.json", bytes));
    let raw_chunked =
        judged(&ObjectDecoder::<RawJson>::new("k.json").decode_in_chunks(bytes, chunk));
    assert_eq!(raw_whole, raw_chunked, "raw, chunks of {chunk}");
});
