//! Raw records for copy mode: each record's JSON text, split from its object and nothing
//! more, so that checking and coercion happen in SQL, independently of this crate's.

use super::{Raw, Record, RecordFamily, Refusal};

/// One record's exact JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawJson(pub String);

impl Record<'_> for RawJson {
    const FIELDS: &'static [&'static str] = &[];
    const CHECKED: bool = false;

    fn coerce(_fields: &[Raw<'_>], record: &[u8]) -> Result<Self, Refusal> {
        std::str::from_utf8(record)
            .map(|text| RawJson(text.to_string()))
            .map_err(|_| Refusal::KeyNotUtf8)
    }
}

impl RecordFamily for RawJson {
    type Of<'a> = RawJson;

    fn into_owned(record: RawJson) -> RawJson {
        record
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::decode_object;

    #[test]
    fn splits_without_checking() {
        let text = "{\"a\": 1,\n \"a\": \"\\u0000\"}[1]\n\"s\" {\"cut\": \n{\"b\": 2}";
        let decoded = decode_object::<RawJson>("k", text.as_bytes());
        let records: Vec<(u32, &str)> = decoded
            .records
            .iter()
            .map(|(l, r)| (*l, r.0.as_str()))
            .collect();
        assert_eq!(
            records,
            vec![
                (1, "{\"a\": 1,\n \"a\": \"\\u0000\"}"),
                (2, "[1]"),
                (3, "\"s\"")
            ]
        );
        assert_eq!(decoded.bad.len(), 1);
        // The cut-off record swallows the next line: the parser reaches the end inside it.
        assert_eq!(
            (decoded.bad[0].line, decoded.bad[0].raw.as_str()),
            (3, "{\"cut\": \n{\"b\": 2}")
        );
    }
}
