//! Why a record is bad, as a value: each reason the decoder, the coercion and the target's
//! bounds give, with the sentence a bad record carries (`BadRecord::reason`).

/// Why a record cannot load.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refusal {
    /// The value is not JSON.
    #[error("invalid JSON: {0}")]
    InvalidJson(String),
    /// The value is JSON, but not an object.
    #[error("the record is {kind}, not a JSON object")]
    NotAnObject { kind: &'static str },
    #[error("key {key:?} appears twice in one object")]
    DuplicateKey { key: String },
    #[error("a key is not valid UTF-8")]
    KeyNotUtf8,
    #[error("a string holds an unpaired surrogate escape")]
    UnpairedSurrogate,
    #[error("a string holds a \\u0000 character")]
    NulCharacter,
    /// A field the record needs is absent (`absent` says how: missing, null, empty).
    #[error("{field}: {absent}")]
    Required {
        field: &'static str,
        absent: &'static str,
    },
    /// An object or array where a column takes one value.
    #[error("{field}: {kind} cannot load into a scalar column")]
    NotScalar {
        field: &'static str,
        kind: &'static str,
    },
    /// A value (as written) of another kind than its column takes.
    #[error("{field}: {raw} is not {expected}")]
    NotA {
        field: &'static str,
        raw: String,
        expected: &'static str,
    },
    /// A number that is not an integer, or one beyond 64 bits.
    #[error("{field}: {raw} is not an integer or is out of range")]
    NotAnIntegerInRange { field: &'static str, raw: String },
    /// A value beyond its column's type.
    #[error("{field}: {value} is out of range for type {column}")]
    OutOfRange {
        field: &'static str,
        value: String,
        column: &'static str,
    },
    #[error("{field}: {raw} holds an escape that is not JSON's")]
    BadEscape { field: &'static str, raw: String },
    /// Text longer than the target's text columns hold.
    #[error("{field}: {bytes} bytes of text, more than the target's VARCHAR({limit}) holds")]
    TooLong {
        field: &'static str,
        bytes: usize,
        limit: usize,
    },
    /// A subnormal double, which Redshift does not hold.
    #[error(
        "{field}: {value:e} is below the smallest normal double, which Redshift's DOUBLE \
         PRECISION does not hold"
    )]
    Subnormal { field: &'static str, value: f64 },
}
