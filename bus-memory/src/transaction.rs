//! What a server's MULTI/EXEC/WATCH needs from the keyspace: per-key versions to watch, and the serving of blocked
//! readers held back until the transaction ends.
//!
//! # What bumps a key's version
//! Exactly the changes Redis 7.0 reports as touching a key (`signalModifiedKey`, plus FLUSHDB/FLUSHALL and
//! expiry), so an EXEC aborts in the same cases:
//! - streams: an append (XADD, publish) that adds an entry; XDEL and XTRIM that remove at least one entry;
//!   XGROUP CREATE only when MKSTREAM creates the stream. Reads, group reads, XACK, XCLAIM, XAUTOCLAIM and the
//!   other XGROUP subcommands do not (they change groups, not what Redis counts as the key);
//! - strings: every SET that writes; lists: every push, a pop that pops; sets: SADD that adds, SREM that removes;
//!   hashes: every HSET, HDEL that deletes;
//! - any key: its deletion (DEL/UNLINK, FLUSH, expiry, an expiry deadline already past, an overwrite by SET or
//!   RENAME), both keys of a RENAME, EXPIRE and its variants when they set a deadline, PERSIST when it removes
//!   one.
//!
//! A watch also sees a key that did not exist when it was taken: creating it bumps the version the watch holds.

use bus_core::Topic;

use crate::MemoryBackend;

/// A watched key (`WATCH`): tells whether the key was touched since the watch was taken.
///
/// While a watch is held the key's version is kept even if the key is deleted, so deleting and re-creating it
/// counts as touching it. Dropping the watch (`UNWATCH`, `EXEC`, a closed connection) releases that state.
///
/// ```
/// # fn main() -> bus_core::Result<()> {
/// use bus_core::Topic;
/// use bus_memory::{MemoryBackend, SetOptions};
///
/// let backend = MemoryBackend::new();
/// let key = Topic::from_redis_key("balance")?;
/// let watch = backend.watch(&key);
/// assert!(!watch.is_touched());
/// backend.set(&key, "10", &SetOptions::new())?;
/// backend.del(&[key.clone()]);
/// assert!(watch.is_touched(), "created and deleted again: touched, although absent as before");
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct KeyWatch {
    backend: MemoryBackend,
    key: Topic,
    version: u64,
}

impl KeyWatch {
    /// The watched key.
    pub fn key(&self) -> &Topic {
        &self.key
    }

    /// Whether the key was touched since the watch was taken (an expiry that is due counts, as in Redis).
    pub fn is_touched(&self) -> bool {
        self.backend
            .keyspace()
            .with_slot(&self.key, |state| state.version != self.version)
            .unwrap_or(true)
    }
}

impl Drop for KeyWatch {
    fn drop(&mut self) {
        let keyspace = self.backend.keyspace();
        keyspace.with_slot(&self.key, |state| state.watchers = state.watchers.saturating_sub(1));
        keyspace.remove_if_vacant(&self.key);
    }
}

/// Holds back the serving of blocked readers until it is dropped (see [`MemoryBackend::hold_wakeups`]).
#[derive(Debug)]
pub struct WakeupHold {
    backend: MemoryBackend,
}

impl Drop for WakeupHold {
    fn drop(&mut self) {
        let keyspace = self.backend.keyspace();
        keyspace.serve_deferred(keyspace.ready.release());
    }
}

impl MemoryBackend {
    /// Starts watching a key (`WATCH`); see [`KeyWatch`] and, in this module's documentation, what touches a key.
    pub fn watch(&self, key: &Topic) -> KeyWatch {
        let version = self.keyspace().with_slot_or_create(key, |state| {
            state.watchers += 1;
            state.version
        });
        KeyWatch {
            backend: self.clone(),
            key: key.clone(),
            version,
        }
    }

    /// Holds back the serving of blocked readers until the returned guard is dropped, then serves them from what
    /// the keys hold at that moment, in the order the keys were signalled: what Redis does at the end of
    /// `EXEC`, so `MULTI; XADD s …; DEL s; EXEC` wakes no reader of `s`. Holds nest; the last one to end serves.
    ///
    /// The hold applies to every caller of this backend, so hold it only while nothing else runs on it (a
    /// server runs EXEC alone).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> bus_core::Result<()> {
    /// use std::time::Duration;
    /// use bus_core::{AppendOptions, Backend, Fields, ReadCursor, ReadOptions, Topic};
    /// use bus_memory::MemoryBackend;
    ///
    /// let backend = MemoryBackend::new();
    /// let s = Topic::new("s")?;
    /// let reader = tokio::spawn({
    ///     let (backend, s) = (backend.clone(), s.clone());
    ///     async move { backend.read(&[(s, ReadCursor::New)], &ReadOptions::new().block(Duration::ZERO)).await }
    /// });
    /// while backend.blocked_readers() == 0 {
    ///     tokio::task::yield_now().await;
    /// }
    /// let hold = backend.hold_wakeups();
    /// backend.append(&s, Fields::from_pairs([("old", "1")]), &AppendOptions::new()).await?;
    /// backend.del(&[s.clone()]);
    /// drop(hold); // the reader is still blocked: at the end, `s` holds no stream
    /// backend.append(&s, Fields::from_pairs([("new", "1")]), &AppendOptions::new()).await?;
    /// let entries: Vec<_> = reader.await.unwrap()?.into_entries().collect();
    /// assert_eq!(entries[0].fields.get("new").map(|v| v.as_ref()), Some(&b"1"[..]));
    /// # Ok(()) }
    /// ```
    pub fn hold_wakeups(&self) -> WakeupHold {
        self.keyspace().ready.hold();
        WakeupHold { backend: self.clone() }
    }

    /// How many reads are blocked on this backend now (Redis's `blocked_clients`, for one database).
    pub fn blocked_readers(&self) -> usize {
        self.keyspace().blocked_readers()
    }
}
