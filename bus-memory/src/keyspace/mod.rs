//! The keyspace: every key's state, and the concurrent map that holds it (what Redis keeps in a database).
//!
//! Each key lives behind its own mutex in a [`DashMap`], so operations on different keys never contend. A key
//! holds one value of one type (see `value`); the stream accessors here refuse keys of other types with
//! WRONGTYPE, so the stream code only ever sees streams. A key's state outlives its value while readers are
//! blocked on it (Redis lets XREAD wait on a key that does not exist yet) or while it is watched, and is
//! removed once it holds none of these.
//!
//! Only RENAME locks two keys; it takes them in name order, without the map's guard, and retries if either
//! state was removed from the map meanwhile (`detached`). Every other operation holds one key's lock, under
//! the map's guard, so it never works on a removed state.

mod ready;
mod value;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bus_core::message::uuid_of;
use bus_core::{Clock, EntryId, Error, Result, Topic};
use dashmap::DashMap;
use parking_lot::Mutex;

use crate::blocking;
use crate::expiry::Expiry;
use crate::index::UuidIndex;

pub(crate) use ready::ReadyKeys;
pub use value::KeyType;
pub(crate) use value::{HashValue, SetValue, StreamData, TopicState, Value};

type Cell = Arc<Mutex<TopicState>>;

/// All keys, with what must stay consistent with them: the UUID index, the clock, the expiry queue and the
/// blocked readers waiting to be served.
#[derive(Debug)]
pub(crate) struct Keyspace {
    /// Keyed with foldhash (as the UUID index is): every operation hashes its key, and SipHash, the default,
    /// was a fifth of the cost of a UUID lookup. The same hasher orders SCAN (see `keys`).
    map: DashMap<Topic, Cell, foldhash::fast::RandomState>,
    pub(crate) index: UuidIndex,
    pub(crate) clock: Clock,
    pub(crate) expiry: Arc<Expiry>,
    pub(crate) ready: ReadyKeys,
    /// Reads currently blocked (Redis's `blocked_clients`).
    pub(crate) blocked: AtomicUsize,
}

pub(crate) fn wrong_type(key: &Topic) -> Error {
    Error::WrongType { topic: key.to_string() }
}

impl Keyspace {
    pub(crate) fn new(clock: Clock) -> Keyspace {
        Keyspace {
            map: DashMap::default(),
            index: UuidIndex::default(),
            clock,
            expiry: Arc::new(Expiry::default()),
            ready: ReadyKeys::default(),
            blocked: AtomicUsize::new(0),
        }
    }

    /// Runs `f` on an existing key's state under its lock; `None` if the key is not in the map. An expired value
    /// is removed first, so no call ever observes it.
    ///
    /// The map's shard guard is held while the key's lock is: an entry of the map can then only be removed
    /// (which needs the shard's write lock) when nobody is inside it.
    pub(crate) fn with_slot<R>(&self, key: &Topic, f: impl FnOnce(&mut TopicState) -> R) -> Option<R> {
        let cell = self.map.get(key)?;
        let mut state = cell.lock();
        self.expire_if_due(key, &mut state);
        Some(f(&mut state))
    }

    /// Runs `f` on a key's state, creating an empty one first if needed.
    pub(crate) fn with_slot_or_create<R>(&self, key: &Topic, f: impl FnOnce(&mut TopicState) -> R) -> R {
        if let Some(cell) = self.map.get(key) {
            let mut state = cell.lock();
            self.expire_if_due(key, &mut state);
            return f(&mut state);
        }
        let cell = self.map.entry(key.clone()).or_default().downgrade();
        let mut state = cell.lock();
        self.expire_if_due(key, &mut state);
        f(&mut state)
    }

    /// [`with_slot`](Self::with_slot) for a stream command: fails with WRONGTYPE if the key holds another type.
    pub(crate) fn with<R>(&self, topic: &Topic, f: impl FnOnce(&mut TopicState) -> R) -> Result<Option<R>> {
        self.with_slot(topic, |state| stream_typed(topic, state).map(|()| f(state)))
            .transpose()
    }

    /// [`with_slot_or_create`](Self::with_slot_or_create) for a stream command (WRONGTYPE on another type).
    pub(crate) fn with_or_create<R>(&self, topic: &Topic, f: impl FnOnce(&mut TopicState) -> R) -> Result<R> {
        self.with_slot_or_create(topic, |state| stream_typed(topic, state).map(|()| f(state)))
    }

    /// Runs `f` on two distinct keys' states, both locked (RENAME). Locks are taken in name order, so two
    /// renames never wait for each other in a cycle, and no map guard is held while waiting for them.
    pub(crate) fn with_two<R>(&self, a: &Topic, b: &Topic, f: impl FnOnce(&mut TopicState, &mut TopicState) -> R) -> R {
        loop {
            let (cell_a, cell_b) = (self.cell(a), self.cell(b));
            let (mut first, mut second) = if a < b {
                (cell_a.lock(), cell_b.lock())
            } else {
                (cell_b.lock(), cell_a.lock())
            };
            if first.detached || second.detached {
                // Removed from the map between the look-up and the lock: look the keys up again.
                continue;
            }
            let (state_a, state_b) = if a < b {
                (&mut *first, &mut *second)
            } else {
                (&mut *second, &mut *first)
            };
            self.expire_if_due(a, state_a);
            self.expire_if_due(b, state_b);
            return f(state_a, state_b);
        }
    }

    /// The state of a key, created if needed, for a caller that locks it without the map's guard.
    fn cell(&self, key: &Topic) -> Cell {
        if let Some(cell) = self.map.get(key) {
            return Arc::clone(&cell);
        }
        Arc::clone(&self.map.entry(key.clone()).or_default())
    }

    fn expire_if_due(&self, key: &Topic, state: &mut TopicState) {
        let due = state.expires_at.is_some_and(|at| self.clock.now_ms() >= at);
        if due {
            self.remove_value(key, state);
        }
    }

    /// Takes a locked key's value out (DEL, expiry, an overwrite, RENAME): forgets its deadline and its
    /// stream's UUIDs and bumps its version. The caller signals blocked readers once the key holds what it
    /// will hold at the end of the command (see [`signal`](Self::signal)).
    pub(crate) fn take_value(&self, key: &Topic, state: &mut TopicState) -> Option<Value> {
        let value = state.value.take()?;
        state.expires_at = None;
        state.touch();
        if let Value::Stream(data) = &value {
            for entry in data.stream.range(EntryId::MIN, EntryId::MAX, 0) {
                self.unindex(key, entry.id, &entry.fields);
            }
        }
        Some(value)
    }

    /// Deletes a locked key's value and signals its blocked readers. Returns whether there was a value.
    pub(crate) fn remove_value(&self, key: &Topic, state: &mut TopicState) -> bool {
        let existed = self.take_value(key, state).is_some();
        if existed {
            self.signal(key, state);
        }
        existed
    }

    /// Tells the readers blocked on a key that it changed (Redis's `signalKeyAsReady`, and its deleted-key
    /// variant): they are served, or released, by what the key holds now; while wakeups are held (see
    /// `ready`), when the hold ends.
    pub(crate) fn signal(&self, key: &Topic, state: &mut TopicState) {
        if state.waiters.is_empty() || self.ready.defer(key) {
            return;
        }
        serve_ready(key, state, self.clock.now_ms());
    }

    /// Serves the readers of keys signalled while wakeups were held, in the order the keys were signalled.
    pub(crate) fn serve_deferred(&self, keys: Vec<Topic>) {
        let now = self.clock.now_ms();
        for key in keys {
            self.with_slot(&key, |state| serve_ready(&key, state, now));
        }
    }

    /// Removes a deleted or trimmed entry from the UUID index (with the key's lock held).
    pub(crate) fn unindex(&self, topic: &Topic, id: EntryId, fields: &bus_core::Fields) {
        if let Some(uuid) = uuid_of(fields) {
            self.index.remove(topic, &uuid, id);
        }
    }

    /// Expires every key whose deadline has passed (for paths that do not take key locks).
    pub(crate) fn expire_due(&self) {
        if !self.expiry.any_due(&self.clock) {
            return;
        }
        for key in self.expiry.take_due(self.clock.now_ms()) {
            self.with_slot(&key, |_| ());
            self.remove_if_vacant(&key);
        }
    }

    /// Drops the key's state if it holds no value, no waiters and no watches.
    pub(crate) fn remove_if_vacant(&self, key: &Topic) {
        self.map.remove_if(key, |_, cell| {
            let mut state = cell.lock();
            state.detached = state.is_vacant();
            state.detached
        });
    }

    /// The keys that hold a value, with `f`'s answer for each (under the key's lock), in map order. Expired
    /// keys are removed on the way. A key created or deleted during the walk may or may not be seen.
    pub(crate) fn collect_live<R>(&self, mut f: impl FnMut(&Topic, &mut TopicState) -> Option<R>) -> Vec<R> {
        self.expire_due();
        let mut found = Vec::new();
        for cell in self.map.iter() {
            let mut state = cell.value().lock();
            self.expire_if_due(cell.key(), &mut state);
            if state.value.is_some()
                && let Some(answer) = f(cell.key(), &mut state)
            {
                found.push(answer);
            }
        }
        found
    }

    /// Every key name in the map (with a value or not), for walks that lock each key themselves.
    pub(crate) fn names(&self) -> Vec<Topic> {
        self.map.iter().map(|cell| cell.key().clone()).collect()
    }

    /// The hash SCAN orders keys by: fixed for the life of the backend.
    pub(crate) fn scan_hash(&self, key: &Topic) -> u64 {
        use std::hash::BuildHasher;
        self.map.hasher().hash_one(key)
    }

    /// Names of all keys that hold a stream, sorted.
    pub(crate) fn topics(&self) -> Vec<Topic> {
        let mut topics = self.collect_live(|key, state| state.stream().map(|_| key.clone()));
        topics.sort();
        topics
    }

    pub(crate) fn blocked_readers(&self) -> usize {
        self.blocked.load(Ordering::Acquire)
    }
}

fn stream_typed(topic: &Topic, state: &TopicState) -> Result<()> {
    match &state.value {
        None | Some(Value::Stream(_)) => Ok(()),
        Some(_) => Err(wrong_type(topic)),
    }
}

/// What Redis does for a key in its ready list at the end of a command: readers of a stream are served from it
/// (or told their group is gone); if the key no longer holds a stream, group readers are released with
/// `UNBLOCKED` and plain readers keep waiting for a stream to appear.
fn serve_ready(key: &Topic, state: &mut TopicState, now: u64) {
    if state.stream().is_some() {
        blocking::serve_waiters(key, state, now);
    } else {
        blocking::fail_group_waiters(key, state);
    }
}
