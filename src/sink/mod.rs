//! Where rows go: tables built in a private staging schema and swapped in at the end
//! ([`staging`]); client mode's rows arrive in multi-row INSERTs ([`insert`]), copy mode's
//! raw records in `COPY … FROM STDIN` ([`raw`]).

pub mod insert;
pub mod raw;
pub mod staging;
