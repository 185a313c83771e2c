//! The keyspace: every topic's state, and the concurrent map that holds it (what Redis keeps in a database).
//!
//! Each topic lives behind its own mutex in a [`DashMap`], so operations on different topics never contend and no
//! operation ever holds two topics' locks. A topic's entry outlives the stream itself while readers are blocked on
//! it (Redis lets XREAD wait on a key that does not exist yet), and is removed once it holds neither.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use bus_core::message::uuid_of;
use bus_core::{Clock, EntryId, Topic};
use dashmap::DashMap;
use parking_lot::Mutex;

use crate::blocking::{self, Waiter};
use crate::expiry::Expiry;
use crate::group::Group;
use crate::index::UuidIndex;
use crate::stream::Stream;

/// A stream and its consumer groups: what Redis stores under one key.
#[derive(Debug, Default)]
pub(crate) struct StreamData {
    pub(crate) stream: Stream,
    pub(crate) groups: BTreeMap<String, Group>,
    /// Unix ms at which the key expires (PEXPIRE); a new key has none.
    pub(crate) expires_at: Option<u64>,
}

/// Everything known about one topic name.
#[derive(Debug, Default)]
pub(crate) struct TopicState {
    /// `None` while the key does not exist.
    pub(crate) data: Option<StreamData>,
    /// Readers blocked on this topic, in arrival order.
    pub(crate) waiters: VecDeque<Waiter>,
}

impl TopicState {
    fn is_vacant(&self) -> bool {
        self.data.is_none() && self.waiters.is_empty()
    }
}

/// All topics, with what must stay consistent with them: the UUID index, the clock and the expiry queue.
#[derive(Debug)]
pub(crate) struct Keyspace {
    /// Keyed with foldhash (as the UUID index is): every operation hashes its topic name, and SipHash, the
    /// default, was a fifth of the cost of a UUID lookup.
    map: DashMap<Topic, Mutex<TopicState>, foldhash::fast::RandomState>,
    pub(crate) index: UuidIndex,
    pub(crate) clock: Clock,
    pub(crate) expiry: Arc<Expiry>,
}

impl Keyspace {
    pub(crate) fn new(clock: Clock) -> Keyspace {
        Keyspace {
            map: DashMap::default(),
            index: UuidIndex::default(),
            clock,
            expiry: Arc::new(Expiry::default()),
        }
    }

    /// Runs `f` on an existing topic's state under its lock; `None` if the topic is not in the keyspace. An expired stream
    /// is removed first, so no call ever observes it.
    ///
    /// The map's shard guard is held while the topic lock is: an entry of the map can then only be removed (which needs the
    /// shard's write lock) when nobody is inside it, so no call ever works on a detached entry.
    pub(crate) fn with<R>(&self, topic: &Topic, f: impl FnOnce(&mut TopicState) -> R) -> Option<R> {
        let cell = self.map.get(topic)?;
        let mut state = cell.lock();
        self.expire_if_due(topic, &mut state);
        Some(f(&mut state))
    }

    fn expire_if_due(&self, topic: &Topic, state: &mut TopicState) {
        let due = state
            .data
            .as_ref()
            .and_then(|data| data.expires_at)
            .is_some_and(|at| self.clock.now_ms() >= at);
        if due {
            self.remove_data(topic, state);
        }
    }

    /// Deletes the stream of a locked topic (DEL, or expiry): forgets its UUIDs and releases its blocked group
    /// readers with `UNBLOCKED`. Returns whether there was a stream.
    pub(crate) fn remove_data(&self, topic: &Topic, state: &mut TopicState) -> bool {
        let Some(data) = state.data.take() else {
            return false;
        };
        for entry in data.stream.range(EntryId::MIN, EntryId::MAX, 0) {
            self.unindex(topic, entry.id, &entry.fields);
        }
        blocking::fail_group_waiters(topic, state);
        true
    }

    /// Removes a deleted or trimmed entry from the UUID index (with the topic's lock held).
    pub(crate) fn unindex(&self, topic: &Topic, id: EntryId, fields: &bus_core::Fields) {
        if let Some(uuid) = uuid_of(fields) {
            self.index.remove(topic, &uuid, id);
        }
    }

    /// Expires every topic whose deadline has passed (for paths that do not take topic locks).
    pub(crate) fn expire_due(&self) {
        if !self.expiry.any_due(&self.clock) {
            return;
        }
        for topic in self.expiry.take_due(self.clock.now_ms()) {
            self.with(&topic, |_| ());
            self.remove_if_vacant(&topic);
        }
    }

    /// Runs `f` on a topic's state, creating an empty entry first if needed.
    pub(crate) fn with_or_create<R>(&self, topic: &Topic, f: impl FnOnce(&mut TopicState) -> R) -> R {
        if let Some(cell) = self.map.get(topic) {
            let mut state = cell.lock();
            self.expire_if_due(topic, &mut state);
            return f(&mut state);
        }
        let cell = self.map.entry(topic.clone()).or_default().downgrade();
        let mut state = cell.lock();
        self.expire_if_due(topic, &mut state);
        f(&mut state)
    }

    /// Drops the topic's entry if it holds neither a stream nor waiters.
    pub(crate) fn remove_if_vacant(&self, topic: &Topic) {
        self.map.remove_if(topic, |_, cell| cell.lock().is_vacant());
    }

    /// Names of all topics that hold a stream.
    pub(crate) fn topics(&self) -> Vec<Topic> {
        self.expire_due();
        let mut topics: Vec<Topic> = self
            .map
            .iter()
            .filter(|cell| cell.value().lock().data.is_some())
            .map(|cell| cell.key().clone())
            .collect();
        topics.sort();
        topics
    }
}
