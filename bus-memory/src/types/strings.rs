//! Strings: SET (with NX/XX, GET and the expiry options), GET, INCRBY (INCR, DECR …) and APPEND.
//!
//! SET is the one command here that replaces a key of any type, streams included: the old value is deleted
//! (its readers are told as for a deletion: group readers fail with `UNBLOCKED`) and its deadline is dropped
//! unless KEEPTTL.

use bus_core::{Error, Result, Topic};
use bytes::Bytes;

use crate::MemoryBackend;
use crate::keyspace::{Value, wrong_type};
use crate::types::as_integer;

/// SET's `NX`/`XX`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SetCondition {
    /// Always write.
    #[default]
    Always,
    /// `NX`: only if the key does not exist.
    IfMissing,
    /// `XX`: only if the key exists.
    IfExists,
}

/// SET's expiry options.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SetExpiry {
    /// No option: the key loses any deadline it had.
    #[default]
    Clear,
    /// `KEEPTTL`: the key keeps its deadline.
    Keep,
    /// `EX`/`PX`/`EXAT`/`PXAT`, made absolute by the caller: the key expires at this Unix ms (one not in the future
    /// leaves the key expired at once).
    At(u64),
}

/// The options of `SET key value [NX|XX] [GET] [EX|PX|EXAT|PXAT|KEEPTTL]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SetOptions {
    /// `NX`/`XX`.
    pub condition: SetCondition,
    /// `GET`: answer the old value; a key of another type then fails with WRONGTYPE and nothing is written.
    pub get: bool,
    /// The expiry options.
    pub expiry: SetExpiry,
}

impl SetOptions {
    /// A plain `SET`.
    pub fn new() -> SetOptions {
        SetOptions::default()
    }
}

/// What SET did.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SetReply {
    /// Whether it wrote (false when `NX`/`XX` refused): Redis answers `OK` or nil without `GET`.
    pub written: bool,
    /// With `GET`: the old value (`None` if the key did not exist), what Redis answers. Without `GET`: `None`.
    pub old: Option<Bytes>,
}

impl MemoryBackend {
    /// `SET key value …`: see [`SetOptions`] and [`SetReply`]. Bumps the key's version when it writes.
    ///
    /// ```
    /// # fn main() -> bus_core::Result<()> {
    /// use bus_core::Topic;
    /// use bus_memory::{MemoryBackend, SetCondition, SetOptions};
    ///
    /// let backend = MemoryBackend::new();
    /// let key = Topic::from_redis_key("k")?;
    /// assert!(backend.set(&key, "v1", &SetOptions::new())?.written);
    /// let nx_get = SetOptions { condition: SetCondition::IfMissing, get: true, ..SetOptions::new() };
    /// let reply = backend.set(&key, "v2", &nx_get)?;
    /// assert!(!reply.written);
    /// assert_eq!(reply.old.as_deref(), Some(&b"v1"[..]));
    /// assert_eq!(backend.get(&key)?.as_deref(), Some(&b"v1"[..]));
    /// # Ok(()) }
    /// ```
    pub fn set(&self, key: &Topic, value: impl Into<Bytes>, options: &SetOptions) -> Result<SetReply> {
        let value = value.into();
        let keyspace = self.keyspace();
        let mut scheduled = None;
        let reply = keyspace.with_slot_or_create(key, |state| {
            let old = match &state.value {
                _ if !options.get => None,
                Some(Value::String(old)) => Some(old.clone()),
                Some(_) => return Err(wrong_type(key)),
                None => None,
            };
            let exists = state.value.is_some();
            let allowed = match options.condition {
                SetCondition::Always => true,
                SetCondition::IfMissing => !exists,
                SetCondition::IfExists => exists,
            };
            if !allowed {
                return Ok(SetReply { written: false, old });
            }
            let kept = state.expires_at;
            keyspace.take_value(key, state);
            state.value = Some(Value::String(value));
            state.expires_at = match options.expiry {
                SetExpiry::Clear => None,
                SetExpiry::Keep => kept,
                SetExpiry::At(at) => Some(at),
            };
            scheduled = state.expires_at;
            state.touch();
            // Readers blocked on a stream this replaced are told it is gone.
            keyspace.signal(key, state);
            Ok(SetReply { written: true, old })
        });
        match (&reply, scheduled) {
            (Ok(_), Some(deadline)) => {
                keyspace.expiry.schedule(key, deadline);
                self.start_sweeper();
            }
            (Ok(SetReply { written: true, .. }), None) => {}
            _ => keyspace.remove_if_vacant(key),
        }
        reply
    }

    /// `GET key`: the string, `None` if the key does not exist; WRONGTYPE on another type.
    pub fn get(&self, key: &Topic) -> Result<Option<Bytes>> {
        self.read_value(key, Bytes::clone)
    }

    /// `INCRBY key delta` (`INCR` is delta 1, `DECR` -1): adds to the integer a string holds, a missing key
    /// counting as 0, and answers the new value; the key keeps its time to live. Fails, changing nothing, with
    /// WRONGTYPE on another type, `ERR value is not an integer or out of range` for a string that is not an
    /// integer as Redis reads one (no sign but `-`, no leading zeros or spaces, within `i64`), and
    /// `ERR increment or decrement would overflow`.
    ///
    /// ```
    /// # fn main() -> bus_core::Result<()> {
    /// use bus_core::Topic;
    /// use bus_memory::{MemoryBackend, SetOptions};
    ///
    /// let backend = MemoryBackend::new();
    /// let key = Topic::from_redis_key("visits")?;
    /// assert_eq!(backend.incr_by(&key, 1)?, 1);
    /// assert_eq!(backend.incr_by(&key, 41)?, 42);
    /// backend.set(&key, " 1", &SetOptions::new())?;
    /// assert!(backend.incr_by(&key, 1).is_err());
    /// # Ok(()) }
    /// ```
    pub fn incr_by(&self, key: &Topic, delta: i64) -> Result<i64> {
        let keyspace = self.keyspace();
        let result = keyspace.with_slot_or_create(key, |state| {
            let current = match &state.value {
                None => 0,
                Some(Value::String(text)) => as_integer(text)
                    .ok_or_else(|| Error::invalid_argument("ERR value is not an integer or out of range"))?,
                Some(_) => return Err(wrong_type(key)),
            };
            let value = current
                .checked_add(delta)
                .ok_or_else(|| Error::invalid_argument("ERR increment or decrement would overflow"))?;
            // The deadline stays: only the value changes (no reader can block on a string).
            state.value = Some(Value::String(Bytes::from(value.to_string())));
            state.touch();
            Ok(value)
        });
        if result.is_err() {
            keyspace.remove_if_vacant(key);
        }
        result
    }

    /// `APPEND key value` (named apart from [`Backend::append`](bus_core::Backend::append), which is XADD): appends to the string (a missing key is created, even by an empty value) and answers
    /// its new length; WRONGTYPE on another type. The key keeps its time to live.
    ///
    /// ```
    /// # fn main() -> bus_core::Result<()> {
    /// use bus_core::Topic;
    /// use bus_memory::MemoryBackend;
    ///
    /// let backend = MemoryBackend::new();
    /// let key = Topic::from_redis_key("log")?;
    /// assert_eq!(backend.append_string(&key, b"ab")?, 2);
    /// assert_eq!(backend.append_string(&key, b"c")?, 3);
    /// assert_eq!(backend.get(&key)?.as_deref(), Some(&b"abc"[..]));
    /// # Ok(()) }
    /// ```
    pub fn append_string(&self, key: &Topic, suffix: &[u8]) -> Result<u64> {
        let length = self.write_value(key, true, |text: &mut Bytes| {
            let mut joined = Vec::with_capacity(text.len() + suffix.len());
            joined.extend_from_slice(text);
            joined.extend_from_slice(suffix);
            *text = Bytes::from(joined);
            (text.len() as u64, true)
        })?;
        Ok(length.unwrap_or(0))
    }
}
