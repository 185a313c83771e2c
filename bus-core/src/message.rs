//! The bus envelope: a canonical UUID in field `id` and JSON text in field `payload`.
//!
//! This module alone decides what is well-formed, so every backend reports the same entries as malformed with
//! the same reason. The rules:
//! - field `id` appears exactly once and holds a canonical UUID: 36 characters, lowercase hex, hyphens at
//!   positions 8, 13, 18 and 23 (what `str(uuid.uuid4())` in Python and [`Uuid`]'s `Display` print);
//! - field `payload` appears exactly once and holds UTF-8 JSON text (any JSON value);
//! - other fields are allowed, so producers may add their own metadata; they never make an entry malformed.
//!
//! # Headers
//! The other fields are a message's *headers* ([`Message::headers`]): metadata beside the payload, such as the
//! W3C `traceparent` that `bus-runtime` writes with its `otel` feature. Reading keeps every other field whose
//! name and value are UTF-8 (the first one of a repeated name; fields that are not UTF-8 are skipped, as
//! before headers existed). Writing puts them after `id` and `payload`, in the order they were added, so a
//! message without headers is stored exactly as `id` then `payload`, and readers that only look at those two
//! fields (the seed's, redis-py scripts) read a message with headers unchanged.

use std::fmt;

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::entry::Fields;
use crate::error::{Error, Result};

/// Name of the field holding the message UUID.
pub const ID_FIELD: &str = "id";
/// Name of the field holding the JSON payload.
pub const PAYLOAD_FIELD: &str = "payload";

/// A bus message: its canonical UUID (the idempotency key), its JSON payload and its headers (none unless added
/// with [`with_header`](Message::with_header) or read from an entry with extra fields: see the
/// [module docs](self#headers)).
///
/// ```
/// use bus_core::Message;
/// #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
/// struct Chat { content: String }
///
/// let message = Message::new(&Chat { content: "hello".into() }).unwrap();
/// let fields = message.to_fields();
/// let decoded = bus_core::Message::from_fields(&fields).unwrap();
/// assert_eq!(decoded, message);
/// assert_eq!(decoded.decode::<Chat>().unwrap().content, "hello");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Message {
    id: Uuid,
    payload: String,
    /// Unique names, none of them `id` or `payload`, in the order they are written.
    headers: Vec<(String, String)>,
}

impl Message {
    /// A message with a fresh random (v4) UUID.
    pub fn new<T: Serialize + ?Sized>(payload: &T) -> Result<Message> {
        Self::with_id(Uuid::new_v4(), payload)
    }

    /// A message with a caller-chosen UUID; retries of one logical publish must reuse it.
    pub fn with_id<T: Serialize + ?Sized>(id: Uuid, payload: &T) -> Result<Message> {
        Ok(Message {
            id,
            payload: serde_json::to_string(payload)?,
            headers: Vec::new(),
        })
    }

    /// A message from JSON text, which is checked to be valid JSON.
    pub fn from_json(id: Uuid, json: impl Into<String>) -> Result<Message> {
        let payload = json.into();
        serde_json::from_str::<serde::de::IgnoredAny>(&payload)?;
        Ok(Message {
            id,
            payload,
            headers: Vec::new(),
        })
    }

    /// The message with header `name` set to `value` (replacing its value if it is already set), stored as an
    /// extra field after `id` and `payload`. Fails with [`Error::InvalidArgument`]
    /// for the names `id` and `payload`, which would make the entry malformed.
    ///
    /// ```
    /// let message = bus_core::Message::new(&1)?.with_header("source", "billing")?;
    /// assert_eq!(message.header("source"), Some("billing"));
    /// let names: Vec<_> = message.to_fields().iter().map(|(name, _)| name.clone()).collect();
    /// assert_eq!(names, ["id", "payload", "source"]);
    /// assert!(message.with_header("id", "x").is_err());
    /// # Ok::<(), bus_core::Error>(())
    /// ```
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Result<Message> {
        let (name, value) = (name.into(), value.into());
        if name == ID_FIELD || name == PAYLOAD_FIELD {
            return Err(Error::invalid_argument(format!(
                "'{name}' is a field of the envelope and cannot be a header"
            )));
        }
        match self.headers.iter_mut().find(|(n, _)| *n == name) {
            Some((_, existing)) => *existing = value,
            None => self.headers.push((name, value)),
        }
        Ok(self)
    }

    /// The value of header `name`, if the message has it.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The headers (name, value) in stored order; empty for a plain message.
    pub fn headers(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// The canonical UUID.
    pub fn id(&self) -> Uuid {
        self.id
    }

    /// The payload as JSON text.
    pub fn payload(&self) -> &str {
        &self.payload
    }

    /// Decodes the payload into a type.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T> {
        Ok(serde_json::from_str(&self.payload)?)
    }

    /// The stored form: `id`, `payload`, then the headers (nothing else for a message without headers).
    pub fn to_fields(&self) -> Fields {
        let id = Bytes::from(self.id.hyphenated().to_string());
        let payload = Bytes::from(self.payload.clone());
        let envelope = [
            (Bytes::from_static(ID_FIELD.as_bytes()), id),
            (PAYLOAD_FIELD.into(), payload),
        ];
        let headers = self
            .headers
            .iter()
            .map(|(n, v)| (Bytes::from(n.clone()), Bytes::from(v.clone())));
        Fields::from_pairs(envelope.into_iter().chain(headers))
    }

    /// Decodes the envelope from raw fields, or says why they are not one.
    pub fn from_fields(fields: &Fields) -> std::result::Result<Message, Malformed> {
        let id = single_field(fields, ID_FIELD)?;
        let id = parse_canonical_uuid(id).ok_or_else(|| Malformed::InvalidUuid { value: preview(id) })?;
        let payload = single_field(fields, PAYLOAD_FIELD)?;
        let payload = std::str::from_utf8(payload).map_err(|_| Malformed::PayloadNotUtf8)?;
        serde_json::from_str::<serde::de::IgnoredAny>(payload)
            .map_err(|err| Malformed::PayloadNotJson { error: err.to_string() })?;
        let mut headers: Vec<(String, String)> = Vec::new();
        for (name, value) in fields.iter() {
            let (Ok(name), Ok(value)) = (std::str::from_utf8(name), std::str::from_utf8(value)) else {
                continue;
            };
            if name != ID_FIELD && name != PAYLOAD_FIELD && headers.iter().all(|(n, _)| n != name) {
                headers.push((name.to_owned(), value.to_owned()));
            }
        }
        Ok(Message {
            id,
            payload: payload.to_owned(),
            headers,
        })
    }
}

/// The message UUID of raw fields if (and only if) they carry one canonical `id` field, whatever the payload.
/// Backends use this to keep their UUID index in step with what [`Message::from_fields`] would accept as id.
pub fn uuid_of(fields: &Fields) -> Option<Uuid> {
    single_field(fields, ID_FIELD).ok().and_then(parse_canonical_uuid)
}

fn single_field<'a>(fields: &'a Fields, name: &'static str) -> std::result::Result<&'a [u8], Malformed> {
    let mut found = fields.iter().filter(|(n, _)| n.as_ref() == name.as_bytes());
    match (found.next(), found.next()) {
        (None, _) => Err(Malformed::MissingField { field: name }),
        (Some(_), Some(_)) => Err(Malformed::DuplicateField { field: name }),
        (Some((_, value)), None) => Ok(value.as_ref()),
    }
}

/// Parses the canonical hyphenated lowercase form only.
pub fn parse_canonical_uuid(text: &[u8]) -> Option<Uuid> {
    let canonical = text.len() == 36
        && text.iter().enumerate().all(|(i, &b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        });
    if !canonical {
        return None;
    }
    Uuid::try_parse_ascii(text).ok()
}

fn preview(value: &[u8]) -> String {
    const MAX: usize = 64;
    let text = String::from_utf8_lossy(&value[..value.len().min(MAX)]).into_owned();
    if value.len() > MAX { format!("{text}…") } else { text }
}

/// Why raw fields are not a bus message.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Malformed {
    /// A required field is absent.
    MissingField {
        /// `id` or `payload`.
        field: &'static str,
    },
    /// A required field appears more than once.
    DuplicateField {
        /// `id` or `payload`.
        field: &'static str,
    },
    /// Field `id` is not a canonical UUID.
    InvalidUuid {
        /// The value found (at most 64 bytes of it).
        value: String,
    },
    /// Field `payload` is not UTF-8.
    PayloadNotUtf8,
    /// Field `payload` is not JSON.
    PayloadNotJson {
        /// The JSON parser's message.
        error: String,
    },
    /// The entry has no fields at all: it was deleted from the stream after it was delivered (history reads).
    Deleted,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Malformed::MissingField { field } => write!(f, "missing field '{field}'"),
            Malformed::DuplicateField { field } => write!(f, "field '{field}' appears more than once"),
            Malformed::InvalidUuid { value } => write!(f, "field 'id' is not a canonical UUID: {value:?}"),
            Malformed::PayloadNotUtf8 => f.write_str("field 'payload' is not UTF-8"),
            Malformed::PayloadNotJson { error } => write!(f, "field 'payload' is not JSON: {error}"),
            Malformed::Deleted => f.write_str("the entry was deleted from the stream after delivery"),
        }
    }
}

impl std::error::Error for Malformed {}

#[cfg(test)]
mod tests {
    use super::*;

    const UUID: &str = "0b1c6a3e-62e2-4b1f-9d5c-3a8e2f1b7c40";

    fn fields(pairs: &[(&'static str, &'static str)]) -> Fields {
        Fields::from_pairs(pairs.iter().copied())
    }

    /// A foreign producer's bad id is quoted in the error up to 64 bytes; only a longer one is cut, and says so.
    #[test]
    fn an_invalid_uuid_is_quoted_whole_up_to_64_bytes() {
        let invalid = |len: usize| {
            let fields = Fields::from_pairs([
                ("id".to_owned(), "x".repeat(len)),
                ("payload".to_owned(), "{}".to_owned()),
            ]);
            match Message::from_fields(&fields) {
                Err(Malformed::InvalidUuid { value }) => value,
                other => panic!("expected an invalid UUID, got {other:?}"),
            }
        };
        assert_eq!(invalid(64), "x".repeat(64));
        assert_eq!(invalid(65), format!("{}…", "x".repeat(64)));
    }

    #[test]
    fn decodes_what_the_seed_producer_writes() {
        let message = Message::from_fields(&fields(&[("id", UUID), ("payload", r#"{"content":"hello"}"#)])).unwrap();
        assert_eq!(message.id().to_string(), UUID);
        assert_eq!(message.payload(), r#"{"content":"hello"}"#);
        // Order and extra fields do not matter.
        let reordered = fields(&[("payload", "1"), ("trace", "x"), ("id", UUID)]);
        assert_eq!(Message::from_fields(&reordered).unwrap().payload(), "1");
    }

    #[test]
    fn a_message_without_headers_is_stored_as_id_then_payload() {
        let message = Message::from_json(Uuid::nil(), "{}").unwrap();
        assert_eq!(message.headers().len(), 0);
        let stored = message.to_fields();
        let names: Vec<&[u8]> = stored.iter().map(|(n, _)| n.as_ref()).collect();
        assert_eq!(names, [b"id".as_ref(), b"payload".as_ref()]);
    }

    #[test]
    fn headers_are_written_after_the_envelope_and_read_back() {
        let message = Message::from_json(Uuid::nil(), "{}")
            .unwrap()
            .with_header("traceparent", "00-a-b-01")
            .unwrap()
            .with_header("tracestate", "k=v")
            .unwrap()
            .with_header("traceparent", "00-c-d-01")
            .unwrap();
        let stored = message.to_fields();
        let pairs: Vec<(&[u8], &[u8])> = stored.iter().map(|(n, v)| (n.as_ref(), v.as_ref())).collect();
        assert_eq!(
            pairs[2..],
            [
                (b"traceparent".as_ref(), b"00-c-d-01".as_ref()),
                (b"tracestate", b"k=v")
            ]
        );
        assert_eq!(
            Message::from_fields(&stored).unwrap(),
            message,
            "a round trip keeps the headers"
        );
        for reserved in ["id", "payload"] {
            assert!(matches!(
                message.clone().with_header(reserved, "x"),
                Err(Error::InvalidArgument { .. })
            ));
        }
    }

    #[test]
    fn foreign_extra_fields_become_headers_when_utf8() {
        let stored = Fields::from_pairs([
            (Bytes::from("source"), Bytes::from("py")),
            ("id".into(), Bytes::from(UUID)),
            ("payload".into(), Bytes::from("1")),
            ("source".into(), Bytes::from("second")),
            ("blob".into(), Bytes::from(vec![0xff])),
        ]);
        let message = Message::from_fields(&stored).unwrap();
        assert_eq!(message.headers().collect::<Vec<_>>(), [("source", "py")]);
    }

    #[test]
    fn names_what_is_wrong() {
        let cases: &[(&[(&str, &str)], Malformed)] = &[
            (&[("payload", "{}")], Malformed::MissingField { field: "id" }),
            (&[("id", UUID)], Malformed::MissingField { field: "payload" }),
            (
                &[("id", UUID), ("id", UUID), ("payload", "{}")],
                Malformed::DuplicateField { field: "id" },
            ),
            (
                &[("id", UUID), ("payload", "1"), ("payload", "2")],
                Malformed::DuplicateField { field: "payload" },
            ),
            (
                &[("id", "123"), ("payload", "{}")],
                Malformed::InvalidUuid { value: "123".into() },
            ),
        ];
        for (pairs, expected) in cases {
            assert_eq!(&Message::from_fields(&fields(pairs)).unwrap_err(), expected);
        }
        let not_json = Message::from_fields(&fields(&[("id", UUID), ("payload", "{")])).unwrap_err();
        assert!(matches!(not_json, Malformed::PayloadNotJson { .. }));
        let bytes = Fields::from_pairs([
            (Bytes::from("id"), Bytes::from(UUID)),
            ("payload".into(), Bytes::from(vec![0xff])),
        ]);
        assert_eq!(Message::from_fields(&bytes).unwrap_err(), Malformed::PayloadNotUtf8);
    }

    #[test]
    fn only_the_canonical_uuid_form_is_accepted() {
        assert!(parse_canonical_uuid(UUID.as_bytes()).is_some());
        for bad in [
            UUID.to_uppercase(),
            UUID.replace('-', ""),
            format!("{{{UUID}}}"),
            format!("urn:uuid:{UUID}"),
            UUID.replacen('-', "x", 1),
        ] {
            assert!(parse_canonical_uuid(bad.as_bytes()).is_none(), "{bad} must be rejected");
        }
        assert_eq!(uuid_of(&fields(&[("id", UUID)])).unwrap().to_string(), UUID);
        assert_eq!(uuid_of(&fields(&[("id", UUID), ("id", UUID)])), None);
    }

    #[test]
    fn long_invalid_ids_are_previewed() {
        let long = "x".repeat(1000);
        let f = Fields::from_pairs([("id", long.clone()), ("payload", "{}".to_owned())]);
        let Malformed::InvalidUuid { value } = Message::from_fields(&f).unwrap_err() else {
            panic!("expected InvalidUuid");
        };
        assert_eq!(value.chars().count(), 65);
    }

    #[test]
    fn from_json_rejects_invalid_json() {
        assert!(Message::from_json(Uuid::nil(), "{\"a\":1}").is_ok());
        assert!(Message::from_json(Uuid::nil(), "{a:1}").is_err());
    }
}
