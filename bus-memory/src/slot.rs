//! The per-topic state and the concurrent map that holds it.
//!
//! Each topic lives behind its own mutex in a [`DashMap`], so operations on different topics never contend and no
//! operation ever holds two topics' locks. A topic's slot outlives the stream itself while readers are blocked on
//! it (Redis lets XREAD wait on a key that does not exist yet), and is removed once it holds neither.

use std::collections::{BTreeMap, VecDeque};

use bus_core::Topic;
use dashmap::DashMap;
use parking_lot::Mutex;

use crate::blocking::Waiter;
use crate::group::Group;
use crate::stream::Stream;

/// A stream and its consumer groups: what Redis stores under one key.
#[derive(Debug, Default)]
pub(crate) struct StreamData {
    pub(crate) stream: Stream,
    pub(crate) groups: BTreeMap<String, Group>,
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

/// All topics.
#[derive(Debug, Default)]
pub(crate) struct Slots {
    /// Keyed with foldhash (as the UUID index is): every operation hashes its topic name, and SipHash, the
    /// default, was a fifth of the cost of a UUID lookup.
    map: DashMap<Topic, Mutex<TopicState>, foldhash::fast::RandomState>,
}

impl Slots {
    /// Runs `f` on an existing topic's state under its lock; `None` if the topic has no slot.
    ///
    /// The map's shard guard is held while the topic lock is: a slot can then only be removed (which needs the
    /// shard's write lock) when nobody is inside it, so no call ever works on a detached slot.
    pub(crate) fn with<R>(&self, topic: &Topic, f: impl FnOnce(&mut TopicState) -> R) -> Option<R> {
        let slot = self.map.get(topic)?;
        let mut state = slot.lock();
        Some(f(&mut state))
    }

    /// Runs `f` on a topic's state, creating an empty slot first if needed.
    pub(crate) fn with_or_create<R>(&self, topic: &Topic, f: impl FnOnce(&mut TopicState) -> R) -> R {
        if let Some(slot) = self.map.get(topic) {
            let mut state = slot.lock();
            return f(&mut state);
        }
        let slot = self.map.entry(topic.clone()).or_default().downgrade();
        let mut state = slot.lock();
        f(&mut state)
    }

    /// Drops the slot if it holds neither a stream nor waiters.
    pub(crate) fn remove_if_vacant(&self, topic: &Topic) {
        self.map.remove_if(topic, |_, slot| slot.lock().is_vacant());
    }

    /// Names of all topics that hold a stream.
    pub(crate) fn topics(&self) -> Vec<Topic> {
        let mut topics: Vec<Topic> = self
            .map
            .iter()
            .filter(|slot| slot.value().lock().data.is_some())
            .map(|slot| slot.key().clone())
            .collect();
        topics.sort();
        topics
    }
}
