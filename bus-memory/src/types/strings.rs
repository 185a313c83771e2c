//! Strings: SET (with NX/XX, GET and the expiry options) and GET.
//!
//! SET is the one command here that replaces a key of any type, streams included: the old value is deleted
//! (its readers are told as for a deletion: group readers fail with `UNBLOCKED`) and its deadline is dropped
//! unless KEEPTTL.

use bus_core::{Result, Topic};
use bytes::Bytes;

use crate::MemoryBackend;
use crate::keyspace::{Value, wrong_type};

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
}
