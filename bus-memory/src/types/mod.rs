//! Keys of the other types Redis has: strings, lists, sets and hashes, each with the few commands a server needs
//! so that type checks and WRONGTYPE behave as in Redis. Every command checks the key's type first, as Redis
//! does, and fails with [`bus_core::Error::WrongType`] on a key of another type (a stream included).
//!
//! A collection left empty by a removal is deleted, as Redis deletes it.

mod hashes;
mod lists;
mod sets;
mod strings;

use std::collections::VecDeque;

use bus_core::{Result, Topic};
use bytes::Bytes;

use crate::MemoryBackend;
use crate::keyspace::{HashValue, SetValue, TopicState, Value, wrong_type};

pub use lists::ListEnd;
pub use strings::{SetCondition, SetExpiry, SetOptions, SetReply};

/// One of the value types, as the generic accessors below reach it.
trait Kind: Default {
    fn of(value: &Value) -> Option<&Self>;
    fn of_mut(value: &mut Value) -> Option<&mut Self>;
    fn into_value(self) -> Value;
    /// An empty collection: Redis deletes the key that holds one.
    fn is_empty(&self) -> bool;
}

macro_rules! kind {
    ($type:ty, $variant:ident, $empty:expr) => {
        impl Kind for $type {
            fn of(value: &Value) -> Option<&Self> {
                match value {
                    Value::$variant(inner) => Some(inner),
                    _ => None,
                }
            }

            fn of_mut(value: &mut Value) -> Option<&mut Self> {
                match value {
                    Value::$variant(inner) => Some(inner),
                    _ => None,
                }
            }

            fn into_value(self) -> Value {
                Value::$variant(self)
            }

            fn is_empty(&self) -> bool {
                let empty: fn(&Self) -> bool = $empty;
                empty(self)
            }
        }
    };
}

// An empty string is a value like any other.
kind!(Bytes, String, |_| false);
kind!(VecDeque<Bytes>, List, VecDeque::is_empty);
kind!(SetValue, Set, |set| set.members.is_empty());
kind!(HashValue, Hash, HashValue::is_empty);

/// The integer a member is as Redis's `string2ll` reads it (no sign but `-`, no leading zeros, no `-0`).
pub(crate) fn as_integer(member: &[u8]) -> Option<i64> {
    let digits = member.strip_prefix(b"-").unwrap_or(member);
    let canonical = match digits {
        [b'0'] => member.len() == 1,
        [b'1'..=b'9', rest @ ..] => rest.iter().all(u8::is_ascii_digit),
        _ => false,
    };
    if !canonical {
        return None;
    }
    std::str::from_utf8(member).ok()?.parse().ok()
}

impl MemoryBackend {
    /// Runs `f` on the key's value of type `K`: `None` if the key does not exist, WRONGTYPE if it holds another
    /// type.
    fn read_value<K: Kind, R>(&self, key: &Topic, f: impl FnOnce(&K) -> R) -> Result<Option<R>> {
        self.keyspace()
            .with_slot(key, |state| match &state.value {
                None => Ok(None),
                Some(value) => K::of(value).map(|value| Some(f(value))).ok_or_else(|| wrong_type(key)),
            })
            .unwrap_or(Ok(None))
    }

    /// Runs `f` on the key's value of type `K`, created empty first when `create` (else `None` for a missing
    /// key); `f` answers and says whether it changed the value (which bumps the key's version). WRONGTYPE if
    /// the key holds another type. A collection left empty deletes the key.
    fn write_value<K: Kind, R>(
        &self,
        key: &Topic,
        create: bool,
        f: impl FnOnce(&mut K) -> (R, bool),
    ) -> Result<Option<R>> {
        let keyspace = self.keyspace();
        let mut vacant = true;
        let write = |state: &mut TopicState| {
            let created = state.value.is_none();
            if created {
                if !create {
                    return Ok(None);
                }
                state.value = Some(K::default().into_value());
            }
            let Some(value) = state.value.as_mut().and_then(K::of_mut) else {
                return Err(wrong_type(key));
            };
            let (answer, changed) = f(value);
            let empty = value.is_empty();
            if changed {
                state.touch();
            }
            match (empty, created) {
                (true, true) => state.value = None,
                (true, false) => drop(keyspace.take_value(key, state)),
                (false, _) => vacant = false,
            }
            Ok(Some(answer))
        };
        let answer = if create {
            keyspace.with_slot_or_create(key, write)
        } else {
            keyspace.with_slot(key, write).unwrap_or(Ok(None))
        };
        if vacant {
            keyspace.remove_if_vacant(key);
        }
        answer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_read_as_string2ll_reads_them() {
        for (text, value) in [
            ("0", Some(0)),
            ("-12", Some(-12)),
            ("9223372036854775807", Some(i64::MAX)),
        ] {
            assert_eq!(as_integer(text.as_bytes()), value, "{text}");
        }
        for text in ["-0", "007", "+1", " 1", "1 ", "", "-", "9223372036854775808", "1e3"] {
            assert_eq!(as_integer(text.as_bytes()), None, "{text}");
        }
    }
}
