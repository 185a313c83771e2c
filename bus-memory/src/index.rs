//! The message-UUID index of a whole backend: UUID → the topics and entries holding it.
//!
//! It lives beside the topics rather than inside them so a lookup takes one shard lock of one map and no topic
//! lock: that keeps UUID lookups within a small factor of a plain `HashMap` even for tiny topics, where the
//! locks would otherwise dominate. Every change to it is made while the owning topic's lock is held (append,
//! delete, trim, drop), in the same critical section as the change to the stream, so a topic's readers and
//! writers always see the two agree; a lock-free reader sees each change at a single instant. Locks are always
//! taken topic first, index shard second, never the other way round.

use bus_core::{EntryId, Topic, Uuid};
use dashmap::DashMap;
use dashmap::mapref::entry::Entry;

/// Where one UUID is held: almost always one entry of one topic.
#[derive(Clone, Debug)]
enum Holders {
    One(Topic, EntryId),
    /// Several entries (a foreign producer repeated the UUID, or it was published to several topics), in
    /// insertion order, which per topic is id order.
    Many(Vec<(Topic, EntryId)>),
}

/// UUID → holders, for every topic of a backend.
#[derive(Debug, Default)]
pub(crate) struct UuidIndex {
    map: DashMap<Uuid, Holders, foldhash::fast::RandomState>,
}

impl UuidIndex {
    /// The oldest entry of `topic` holding `uuid`.
    pub(crate) fn lookup(&self, topic: &Topic, uuid: &Uuid) -> Option<EntryId> {
        match &*self.map.get(uuid)? {
            Holders::One(holder, id) => (holder == topic).then_some(*id),
            Holders::Many(holders) => holders.iter().find(|(holder, _)| holder == topic).map(|(_, id)| *id),
        }
    }

    /// Records that `id`, just appended to `topic`, holds `uuid`. Call with the topic's lock held.
    pub(crate) fn insert(&self, topic: &Topic, uuid: Uuid, id: EntryId) {
        match self.map.entry(uuid) {
            Entry::Vacant(vacant) => {
                vacant.insert(Holders::One(topic.clone(), id));
            }
            Entry::Occupied(mut occupied) => match occupied.get_mut() {
                Holders::Many(list) => list.push((topic.clone(), id)),
                holders @ Holders::One(..) => {
                    let Holders::One(holder, existing) = holders.clone() else {
                        return;
                    };
                    *holders = Holders::Many(vec![(holder, existing), (topic.clone(), id)]);
                }
            },
        }
    }

    /// Forgets that `id` of `topic` holds `uuid` (the entry was deleted or trimmed). Call with the topic's lock
    /// held.
    pub(crate) fn remove(&self, topic: &Topic, uuid: &Uuid, id: EntryId) {
        self.map.remove_if_mut(uuid, |_, holders| match holders {
            Holders::One(holder, existing) => holder == topic && *existing == id,
            Holders::Many(list) => {
                list.retain(|(holder, existing)| !(holder == topic && *existing == id));
                if let [(holder, existing)] = list.as_slice() {
                    *holders = Holders::One(holder.clone(), *existing);
                    return false;
                }
                list.is_empty()
            }
        });
    }

    /// Number of UUIDs held by `topic`. Scans the whole index: for diagnostics and tests only.
    pub(crate) fn count_for(&self, topic: &Topic) -> usize {
        self.map
            .iter()
            .filter(|holders| match holders.value() {
                Holders::One(holder, _) => holder == topic,
                Holders::Many(list) => list.iter().any(|(holder, _)| holder == topic),
            })
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_oldest_entry_per_topic_and_forgets_removed_ones() {
        let index = UuidIndex::default();
        let (a, b) = (Topic::new("a").unwrap(), Topic::new("b").unwrap());
        let uuid = Uuid::new_v4();
        index.insert(&a, uuid, EntryId::new(1, 0));
        index.insert(&b, uuid, EntryId::new(7, 0));
        index.insert(&a, uuid, EntryId::new(2, 0));
        assert_eq!(index.lookup(&a, &uuid), Some(EntryId::new(1, 0)));
        assert_eq!(index.lookup(&b, &uuid), Some(EntryId::new(7, 0)));
        index.remove(&a, &uuid, EntryId::new(1, 0));
        assert_eq!(index.lookup(&a, &uuid), Some(EntryId::new(2, 0)));
        index.remove(&a, &uuid, EntryId::new(2, 0));
        assert_eq!(index.lookup(&a, &uuid), None);
        assert_eq!(index.count_for(&b), 1);
        index.remove(&b, &uuid, EntryId::new(7, 0));
        assert_eq!(index.count_for(&b), 0);
        assert!(index.map.is_empty(), "an unused UUID leaves no trace");
    }
}
