//! One top-level JSON value as serde walks it: the raw text of each field a record type
//! reads, duplicate and unknown keys noted, string escapes checked.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use smallvec::SmallVec;

use super::{Raw, Record, Refusal, MAX_FIELDS};

/// One top-level JSON value, with the raw text of each field `R` reads.
pub(super) struct Fields<'de, R> {
    slots: [Raw<'de>; MAX_FIELDS],
    /// Why the value cannot be a record even if its fields coerce.
    problem: Option<Refusal>,
    record: PhantomData<R>,
}

impl<'de, R: Record<'de>> Fields<'de, R> {
    /// A record's fields as the fast path found them (`super::scan`): no problem seen.
    pub(super) fn from_slots(slots: [Raw<'de>; MAX_FIELDS]) -> Self {
        Fields {
            slots,
            problem: None,
            record: PhantomData,
        }
    }

    #[cfg(test)]
    pub(super) fn slots(&self) -> &[Raw<'de>] {
        &self.slots
    }

    pub(super) fn into_record(self, text: &'de [u8]) -> Result<R, Refusal> {
        if R::CHECKED {
            if memchr::memchr(b'\\', text).is_some() {
                check_escapes(text)?;
            }
            if let Some(problem) = self.problem {
                return Err(problem);
            }
        }
        R::coerce(&self.slots[..R::FIELDS.len()], text)
    }
}

/// Refuses `\u0000` and unpaired surrogate escapes anywhere in the record's strings,
/// keys included: PostgreSQL text can hold neither.
fn check_escapes(text: &[u8]) -> Result<(), Refusal> {
    let mut i = 0;
    let mut pending_high = false;
    while let Some(offset) = memchr::memchr(b'\\', &text[i..]) {
        let at = i + offset;
        if pending_high && at != i {
            return Err(Refusal::UnpairedSurrogate);
        }
        let escaped = text[at + 1];
        i = at + 2;
        if escaped != b'u' {
            if pending_high {
                return Err(Refusal::UnpairedSurrogate);
            }
            continue;
        }
        let hex = std::str::from_utf8(&text[at + 2..at + 6]).unwrap_or("");
        let unit = u16::from_str_radix(hex, 16).unwrap_or(0xFFFF);
        i = at + 6;
        match unit {
            0 => return Err(Refusal::NulCharacter),
            0xD800..=0xDBFF if !pending_high => pending_high = true,
            0xDC00..=0xDFFF if pending_high => pending_high = false,
            0xD800..=0xDFFF => return Err(Refusal::UnpairedSurrogate),
            _ if pending_high => return Err(Refusal::UnpairedSurrogate),
            _ => {}
        }
    }
    if pending_high {
        return Err(Refusal::UnpairedSurrogate);
    }
    Ok(())
}

impl<'de, R: Record<'de>> Deserialize<'de> for Fields<'de, R> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(FieldsVisitor(PhantomData))
    }
}

struct FieldsVisitor<R>(PhantomData<R>);

impl<'de, R: Record<'de>> FieldsVisitor<R> {
    fn not_an_object(kind: &'static str) -> Fields<'de, R> {
        Fields {
            slots: [None; MAX_FIELDS],
            problem: Some(Refusal::NotAnObject { kind }),
            record: PhantomData,
        }
    }
}

impl<'de, R: Record<'de>> Visitor<'de> for FieldsVisitor<R> {
    type Value = Fields<'de, R>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        debug_assert!(R::FIELDS.len() <= MAX_FIELDS);
        let mut fields = Fields {
            slots: [None; MAX_FIELDS],
            problem: None,
            record: PhantomData,
        };
        // Records have a handful of unused keys: keep them on the stack.
        let mut other_keys: SmallVec<[Cow<'de, [u8]>; 8]> = SmallVec::new();
        while let Some(KeyBytes(key)) = map.next_key()? {
            let value: &'de RawValue = map.next_value()?;
            let duplicate = match R::FIELDS.iter().position(|f| f.as_bytes() == &*key) {
                Some(slot) => fields.slots[slot].replace(value.get()).is_some(),
                None if other_keys.contains(&key) => true,
                None => {
                    other_keys.push(key.clone());
                    false
                }
            };
            if fields.problem.is_none() {
                if duplicate {
                    fields.problem = Some(Refusal::DuplicateKey {
                        key: String::from_utf8_lossy(&key).into_owned(),
                    });
                } else if std::str::from_utf8(&key).is_err() {
                    fields.problem = Some(Refusal::KeyNotUtf8);
                }
            }
        }
        Ok(fields)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Self::not_an_object("an array"))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Self::not_an_object("a string"))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Self::not_an_object("a boolean"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Self::not_an_object("a number"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Self::not_an_object("a number"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Self::not_an_object("a number"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Self::not_an_object("null"))
    }
}

/// An object key as bytes with escapes decoded, borrowed where it has no escapes.
/// Taken as bytes so that an unpaired surrogate in a key is this crate's finding
/// (a bad record), not a parse failure.
struct KeyBytes<'de>(Cow<'de, [u8]>);

impl<'de> Deserialize<'de> for KeyBytes<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = KeyBytes<'de>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object key")
            }

            fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<Self::Value, E> {
                Ok(KeyBytes(Cow::Borrowed(v)))
            }

            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
                Ok(KeyBytes(Cow::Owned(v.to_vec())))
            }

            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(KeyBytes(Cow::Borrowed(v.as_bytes())))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(KeyBytes(Cow::Owned(v.as_bytes().to_vec())))
            }
        }
        deserializer.deserialize_bytes(KeyVisitor)
    }
}
