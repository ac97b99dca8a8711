//! Where rows go: new tables built apart (under a load's private names) and moved
//! in at the end ([`staging`]); client mode's rows arrive in multi-row INSERTs ([`insert`]),
//! as one array per column ([`arrays`]), bind parameters or, on Redshift, SQL literals
//! ([`literal`]); copy mode's raw records
//! in `COPY … FROM STDIN` ([`raw`]).

pub mod arrays;
pub mod csv;
pub mod insert;
pub mod literal;
pub mod raw;
mod rows;
pub mod s3_copy;
pub mod staging;
pub mod values;
