//! What one key holds: a value of one type, its deadline, its version, and the readers blocked on it.

use std::collections::{BTreeMap, VecDeque};

use bytes::Bytes;
use indexmap::{IndexMap, IndexSet};

use crate::blocking::Waiter;
use crate::group::Group;
use crate::stream::Stream;

/// Members of a set (see `types::sets` for the order SMEMBERS answers in).
#[derive(Debug, Default)]
pub(crate) struct SetValue {
    pub(crate) members: IndexSet<Bytes, foldhash::fast::RandomState>,
    /// Whether Redis would have converted the set from an intset to a hashtable by now (it never converts
    /// back); until then SMEMBERS lists members in numeric order, as an intset does.
    pub(crate) hashtable: bool,
}

/// Fields of a hash in insertion order, as Redis's listpack-encoded hashes keep them.
pub(crate) type HashValue = IndexMap<Bytes, Bytes, foldhash::fast::RandomState>;

/// A stream and its consumer groups.
#[derive(Debug, Default)]
pub(crate) struct StreamData {
    pub(crate) stream: Stream,
    pub(crate) groups: BTreeMap<String, Group>,
}

/// The value of a key: exactly one type at a time, as in Redis.
#[derive(Debug)]
pub(crate) enum Value {
    String(Bytes),
    List(VecDeque<Bytes>),
    Set(SetValue),
    Hash(HashValue),
    Stream(StreamData),
}

/// The type of a key's value, as `TYPE` and `SCAN … TYPE` name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyType {
    /// A string (`SET`, `GET`).
    String,
    /// A list (`LPUSH`, `LRANGE`, …).
    List,
    /// A set (`SADD`, `SMEMBERS`, …).
    Set,
    /// A hash (`HSET`, `HGETALL`, …).
    Hash,
    /// A stream (every [`bus_core::Backend`] method).
    Stream,
}

impl KeyType {
    /// Redis's name of the type: what `TYPE` answers (`none` is the answer for a missing key).
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::String => "string",
            KeyType::List => "list",
            KeyType::Set => "set",
            KeyType::Hash => "hash",
            KeyType::Stream => "stream",
        }
    }

    /// The type Redis names `name` (case-insensitive, as `SCAN … TYPE` compares it), if it is one of these.
    pub fn from_name(name: &str) -> Option<KeyType> {
        [
            KeyType::String,
            KeyType::List,
            KeyType::Set,
            KeyType::Hash,
            KeyType::Stream,
        ]
        .into_iter()
        .find(|kind| kind.as_str().eq_ignore_ascii_case(name))
    }
}

impl std::fmt::Display for KeyType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Value {
    pub(crate) fn key_type(&self) -> KeyType {
        match self {
            Value::String(_) => KeyType::String,
            Value::List(_) => KeyType::List,
            Value::Set(_) => KeyType::Set,
            Value::Hash(_) => KeyType::Hash,
            Value::Stream(_) => KeyType::Stream,
        }
    }
}

/// Everything known about one key name.
#[derive(Debug, Default)]
pub(crate) struct TopicState {
    /// `None` while the key does not exist.
    pub(crate) value: Option<Value>,
    /// Unix ms at which the key expires (PEXPIRE); a new key has none, and a deleted key loses it.
    pub(crate) expires_at: Option<u64>,
    /// Bumped by every change Redis reports as touching the key (see `MemoryBackend::watch`).
    pub(crate) version: u64,
    /// Readers blocked on this key, in arrival order.
    pub(crate) waiters: VecDeque<Waiter>,
    /// Live `KeyWatch`es of the key: they keep its state, and so its version, in the map while it is absent.
    pub(crate) watchers: usize,
    /// Set when the state was removed from the map, for the calls that lock it without the map's guard.
    pub(crate) detached: bool,
}

impl TopicState {
    pub(crate) fn is_vacant(&self) -> bool {
        self.value.is_none() && self.waiters.is_empty() && self.watchers == 0
    }

    /// The stream, if the key holds one.
    pub(crate) fn stream(&self) -> Option<&StreamData> {
        match &self.value {
            Some(Value::Stream(data)) => Some(data),
            _ => None,
        }
    }

    /// The stream, if the key holds one.
    pub(crate) fn stream_mut(&mut self) -> Option<&mut StreamData> {
        match &mut self.value {
            Some(Value::Stream(data)) => Some(data),
            _ => None,
        }
    }

    /// The stream, created empty if the key does not exist; `None` if the key holds another type (the stream
    /// accessors of the keyspace refuse those first).
    pub(crate) fn stream_or_insert(&mut self) -> Option<&mut StreamData> {
        if self.value.is_none() {
            self.value = Some(Value::Stream(StreamData::default()));
        }
        self.stream_mut()
    }

    /// Records a change of the key that Redis signals as modifying it (`signalModifiedKey`).
    pub(crate) fn touch(&mut self) {
        self.version = self.version.wrapping_add(1);
    }

    pub(crate) fn key_type(&self) -> Option<KeyType> {
        self.value.as_ref().map(Value::key_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_are_redis_names() {
        for (kind, name) in [
            (KeyType::String, "string"),
            (KeyType::List, "list"),
            (KeyType::Set, "set"),
            (KeyType::Hash, "hash"),
            (KeyType::Stream, "stream"),
        ] {
            assert_eq!(kind.as_str(), name);
            assert_eq!(KeyType::from_name(&name.to_uppercase()), Some(kind));
        }
        assert_eq!(KeyType::from_name("none"), None);
        assert_eq!(KeyType::from_name("zset"), None);
    }
}
