//! Commands on keys of any type: TYPE, EXISTS, DEL/UNLINK, DBSIZE, FLUSHDB/FLUSHALL, RENAME/RENAMENX; KEYS and
//! SCAN are in `scan`, expiry in `ttl`.

mod pattern;
mod scan;

use bus_core::message::uuid_of;
use bus_core::{EntryId, Result, Topic, TopicCommand};

use crate::MemoryBackend;
use crate::access::no_topic;
use crate::keyspace::{KeyType, TopicState, Value};

pub(crate) use pattern::Pattern;
pub use scan::{ScanOptions, ScanPage};

impl MemoryBackend {
    /// `TYPE key`: the type of the key's value, `None` if it does not exist (Redis answers `none`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> bus_core::Result<()> {
    /// use bus_core::Topic;
    /// use bus_memory::{KeyType, MemoryBackend, SetOptions};
    ///
    /// let backend = MemoryBackend::new();
    /// let key = Topic::from_redis_key("greeting{t}")?;
    /// backend.set(&key, "hello", &SetOptions::new())?;
    /// assert_eq!(backend.key_type(&key), Some(KeyType::String));
    /// assert_eq!(backend.exists(&[key.clone(), key.clone()]), 2);
    /// assert_eq!(backend.del(&[key.clone()]), 1);
    /// assert_eq!(backend.key_type(&key), None);
    /// # Ok(()) }
    /// ```
    pub fn key_type(&self, key: &Topic) -> Option<KeyType> {
        self.keyspace().with_slot(key, |state| state.key_type()).flatten()
    }

    /// `EXISTS key …`: how many of the keys exist, a key named twice counting twice.
    pub fn exists(&self, keys: &[Topic]) -> u64 {
        keys.iter().filter(|key| self.key_type(key).is_some()).count() as u64
    }

    /// `DEL key …` (and `UNLINK`, which differs only in freeing memory in the background): deletes the keys of any
    /// type and returns how many existed. Each deleted key's version is bumped and its blocked readers are told,
    /// as by any deletion (group readers fail with `UNBLOCKED`, plain readers keep waiting).
    pub fn del(&self, keys: &[Topic]) -> u64 {
        let mut deleted = 0;
        for key in keys {
            let existed = self
                .keyspace()
                .with_slot(key, |state| self.keyspace().remove_value(key, state))
                .unwrap_or(false);
            self.keyspace().remove_if_vacant(key);
            deleted += u64::from(existed);
        }
        deleted
    }

    /// `DBSIZE`: the number of keys (of every type). O(number of keys).
    pub fn dbsize(&self) -> u64 {
        self.keyspace().collect_live(|_, _| Some(())).len() as u64
    }

    /// `FLUSHDB`/`FLUSHALL` for this backend: deletes every key, as [`del`](Self::del) deletes one (versions
    /// bumped, blocked group readers released with `UNBLOCKED`, plain readers left waiting).
    pub fn flush(&self) {
        for key in self.keyspace().names() {
            self.del(std::slice::from_ref(&key));
        }
    }

    /// `RENAME from to`: moves the value of `from`, with its time to live, to `to`, replacing whatever `to`
    /// held. Fails with `ERR no such key` ([`bus_core::Error::NoSuchTopic`]) if `from` does not exist; renaming
    /// a key to itself only checks that it exists. Both keys' versions are bumped. Blocked readers are then
    /// served as Redis serves them after the command: those of `from` as for a deletion, those of `to` from
    /// its new value (a group reader gets the new stream's entries, or NOGROUP if that stream lacks its group,
    /// or `UNBLOCKED` if `to` no longer holds a stream).
    ///
    /// A stream's entries are re-indexed under the new name, so this is O(entries) where Redis is O(1).
    pub fn rename(&self, from: &Topic, to: &Topic) -> Result<()> {
        self.rename_if(from, to, false).map(drop)
    }

    /// `RENAMENX from to`: [`rename`](Self::rename) only if `to` does not exist; returns whether it renamed.
    pub fn renamenx(&self, from: &Topic, to: &Topic) -> Result<bool> {
        self.rename_if(from, to, true)
    }

    fn rename_if(&self, from: &Topic, to: &Topic, only_if_absent: bool) -> Result<bool> {
        if from == to {
            return match self.key_type(from) {
                None => Err(no_topic(from, TopicCommand::Info)),
                Some(_) => Ok(!only_if_absent),
            };
        }
        let renamed = self.keyspace().with_two(from, to, |source, target| {
            if source.value.is_none() {
                return Err(no_topic(from, TopicCommand::Info));
            }
            if only_if_absent && target.value.is_some() {
                return Ok(false);
            }
            self.move_value(from, source, to, target);
            Ok(true)
        });
        self.keyspace().remove_if_vacant(from);
        self.keyspace().remove_if_vacant(to);
        renamed
    }

    /// The body of RENAME, with both keys locked and `source` known to hold a value.
    fn move_value(&self, from: &Topic, source: &mut TopicState, to: &Topic, target: &mut TopicState) {
        let keyspace = self.keyspace();
        let deadline = source.expires_at;
        let Some(value) = keyspace.take_value(from, source) else {
            return;
        };
        if let Value::Stream(data) = &value {
            for entry in data.stream.range(EntryId::MIN, EntryId::MAX, 0) {
                if let Some(uuid) = uuid_of(&entry.fields) {
                    keyspace.index.insert(to, uuid, entry.id);
                }
            }
        }
        keyspace.take_value(to, target);
        target.value = Some(value);
        target.expires_at = deadline;
        target.touch();
        if let Some(deadline) = deadline {
            keyspace.expiry.schedule(to, deadline);
        }
        keyspace.signal(from, source);
        keyspace.signal(to, target);
    }
}
