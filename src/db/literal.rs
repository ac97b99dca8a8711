//! Values written as SQL literals, for `INSERT … VALUES` sent over the simple query
//! protocol: the route loaders use against Redshift, which has never been shown to take
//! PostgreSQL's binary bind formats (docs/REDSHIFT.md).
//!
//! Text is `'…'` with `'` doubled and, where the server reads a backslash inside `'…'` as
//! an escape (Redshift always; PostgreSQL with `standard_conforming_strings = off`), `\`
//! doubled too; no `E'…'` (Redshift has none). Doubles are quoted shortest round-trip
//! text, so `-0` and every bit survive; timestamps carry their microseconds.

use tokio_postgres::{Client, SimpleQueryMessage};

use crate::db::{Database, Dialect};
use crate::error::TargetError;
use crate::model::Timestamp;

/// How the target reads string literals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Literals {
    /// A backslash inside `'…'` is an escape, so one must be written as two.
    pub backslash_escapes: bool,
}

impl Literals {
    /// How Redshift reads literals: a backslash escapes.
    pub const REDSHIFT: Literals = Literals {
        backslash_escapes: true,
    };

    /// How the target behind `client` reads literals. Redshift keeps the pre-9.1 reading,
    /// in which a backslash escapes (dlt's `escape_redshift_literal` doubles it for that
    /// reason); PostgreSQL says which reading it uses.
    pub async fn of(database: &Database, client: &Client) -> Result<Literals, TargetError> {
        if database.dialect() == Dialect::Redshift {
            return Ok(Literals::REDSHIFT);
        }
        let messages = client
            .simple_query("SHOW standard_conforming_strings")
            .await
            .map_err(|e| database.error("read standard_conforming_strings", e))?;
        let standard = messages.iter().any(
            |message| matches!(message, SimpleQueryMessage::Row(row) if row.get(0) == Some("on")),
        );
        Ok(Literals {
            backslash_escapes: !standard,
        })
    }

    /// `text` as a literal on its own.
    pub fn quote(&self, text: &str) -> String {
        let mut literal = String::new();
        self.text(&mut literal, Some(text));
        literal
    }

    /// `'…'`, or `NULL`.
    pub fn text(&self, out: &mut String, value: Option<&str>) {
        let Some(value) = value else {
            out.push_str("NULL");
            return;
        };
        out.reserve(value.len() + 2);
        out.push('\'');
        let mut rest = value;
        // The characters doubled are ASCII, so every cut is on a character boundary.
        let special = |text: &str| match self.backslash_escapes {
            true => memchr::memchr2(b'\'', b'\\', text.as_bytes()),
            false => memchr::memchr(b'\'', text.as_bytes()),
        };
        while let Some(at) = special(rest) {
            let (before, special) = rest.split_at(at);
            out.push_str(before);
            let c = &special[..1];
            out.push_str(c);
            out.push_str(c);
            rest = &special[1..];
        }
        out.push_str(rest);
        out.push('\'');
    }

    pub fn int(&self, out: &mut String, value: Option<i32>) {
        self.bigint(out, value.map(i64::from));
    }

    pub fn bigint(&self, out: &mut String, value: Option<i64>) {
        match value {
            Some(value) => out.push_str(itoa::Buffer::new().format(value)),
            None => out.push_str("NULL"),
        }
    }

    /// Quoted, so that the column's type reads it (`'-0.0'` stays negative zero, which a
    /// bare `-0.0` would not: that is minus applied to a numeric zero).
    pub fn double(&self, out: &mut String, value: Option<f64>) {
        match value {
            Some(value) => {
                out.push('\'');
                out.push_str(ryu::Buffer::new().format(value));
                out.push('\'');
            }
            None => out.push_str("NULL"),
        }
    }

    pub fn timestamp(&self, out: &mut String, value: Timestamp) {
        out.push('\'');
        out.push_str(value.sql_text().as_str());
        out.push('\'');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REDSHIFT: Literals = Literals::REDSHIFT;
    const STANDARD: Literals = Literals {
        backslash_escapes: false,
    };

    fn text(literals: Literals, value: Option<&str>) -> String {
        let mut out = String::new();
        literals.text(&mut out, value);
        out
    }

    #[test]
    fn text_is_escaped_as_the_server_reads_it() {
        let value = r"It's a \n back\\slash ''";
        assert_eq!(
            text(REDSHIFT, Some(value)),
            r"'It''s a \\n back\\\\slash '''''"
        );
        assert_eq!(
            text(STANDARD, Some(value)),
            r"'It''s a \n back\\slash '''''"
        );
        assert_eq!(text(REDSHIFT, Some("Café ♥ \t")), "'Café ♥ \t'");
        assert_eq!(text(REDSHIFT, None), "NULL");
    }

    #[test]
    fn doubles_round_trip_and_keep_their_sign() {
        let double = |value: f64| {
            let mut out = String::new();
            REDSHIFT.double(&mut out, Some(value));
            out
        };
        assert_eq!(double(-0.0), "'-0.0'");
        assert_eq!(double(218.93179), "'218.93179'");
        assert_eq!(double(0.1 + 0.2), "'0.30000000000000004'");
        assert_eq!(double(1e300), "'1e300'");
        assert_eq!(double(f64::MIN_POSITIVE), "'2.2250738585072014e-308'");
        for value in [5e-324, -1.7976931348623157e308, 123456.789] {
            let text = double(value);
            let parsed: f64 = text.trim_matches('\'').parse().unwrap();
            assert_eq!(parsed.to_bits(), value.to_bits());
        }
    }
}
