//! Where rows go: tables built in a private staging schema and swapped in at the end
//! ([`staging`]); client mode's rows arrive in multi-row INSERTs ([`insert`]), copy mode's
//! raw records in `COPY … FROM STDIN` ([`raw`]); Redshift's rows as SQL literals
//! ([`literal`]).

pub mod insert;
pub mod literal;
pub mod raw;
pub mod staging;
