//! Restoring a consumer group as a serialized stream describes it (Redis's `RESTORE` of a DUMP payload, or an
//! RDB load): its position and counter, its pending entries with their owners, delivery times and counts (of
//! entries that may no longer be in the stream), and its consumers with their seen times.
//!
//! The entries themselves are restored with appends at their ids and the counters with
//! [`MemoryBackend::set_stream_id`]; a group cannot be rebuilt from reads and claims (a pending entry may name
//! an entry trimmed since), hence this module.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use bus_core::{EntryId, Error, Result, Topic, TopicCommand};

use crate::MemoryBackend;
use crate::access::no_topic;
use crate::group::{ConsumerState, Group, PendingDelivery};

/// A group to restore with [`MemoryBackend::restore_group`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupImage {
    /// The group's name.
    pub name: String,
    /// Its last-delivered id.
    pub last_id: EntryId,
    /// Its entries-read counter; `None` for unknown, or to estimate it from the stream as Redis does when it
    /// loads a stream saved before Redis 7 (see [`GroupImage::estimate`]).
    pub entries_read: Option<i64>,
    /// Whether to estimate `entries_read` from the stream (Redis's `streamEstimateDistanceFromFirstEverEntry`).
    pub estimate: bool,
    /// Its pending entries: id, owner, delivery time (Unix ms), delivery count.
    pub pending: Vec<(EntryId, String, u64, u64)>,
    /// Its consumers: name and seen time (Unix ms).
    pub consumers: Vec<(String, u64)>,
}

impl MemoryBackend {
    /// Adds a group, as a serialized stream describes it, to an existing stream.
    ///
    /// Fails with `ERR no such key` without the stream, with BUSYGROUP if the group exists, and, changing
    /// nothing, when a pending entry names a consumer the image does not list (Redis rejects such a payload).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> bus_core::Result<()> {
    /// use bus_core::{AppendOptions, Backend, EntryId, Fields, Topic};
    /// use bus_memory::{GroupImage, MemoryBackend};
    ///
    /// let backend = MemoryBackend::new();
    /// let topic = Topic::new("events")?;
    /// let options = AppendOptions::new().id(EntryId::new(5, 0));
    /// backend.append(&topic, Fields::from_pairs([("a", "1")]), &options).await?;
    /// backend.restore_group(&topic, GroupImage {
    ///     name: "g".into(),
    ///     last_id: EntryId::new(5, 0),
    ///     entries_read: None,
    ///     estimate: true,
    ///     // 4-0 was trimmed since its delivery: it stays pending all the same.
    ///     pending: vec![(EntryId::new(4, 0), "c".into(), 1_000, 2), (EntryId::new(5, 0), "c".into(), 1_000, 1)],
    ///     consumers: vec![("c".into(), 1_000)],
    /// })?;
    /// let summary = backend.pending_summary(&topic, "g").await?;
    /// assert_eq!((summary.count, summary.consumers), (2, vec![("c".to_owned(), 2)]));
    /// assert_eq!(backend.groups_info(&topic).await?[0].entries_read, Some(1));
    /// # Ok(()) }
    /// ```
    pub fn restore_group(&self, topic: &Topic, image: GroupImage) -> Result<()> {
        let mut consumers: BTreeMap<Arc<str>, ConsumerState> = image
            .consumers
            .iter()
            .map(|(name, seen_time)| {
                let state = ConsumerState {
                    seen_time: *seen_time,
                    pel: BTreeSet::new(),
                };
                (Arc::from(name.as_str()), state)
            })
            .collect();
        let mut pel = BTreeMap::new();
        for (id, owner, delivery_time, delivery_count) in &image.pending {
            let Some((consumer, _)) = consumers.get_key_value(owner.as_str()) else {
                return Err(Error::invalid_argument(
                    "ERR Bad data format: a pending entry names an unknown consumer",
                ));
            };
            let delivery = PendingDelivery {
                consumer: Arc::clone(consumer),
                delivery_time: *delivery_time,
                delivery_count: *delivery_count,
            };
            pel.insert(*id, delivery);
        }
        for (id, delivery) in &pel {
            if let Some(state) = consumers.get_mut(&delivery.consumer) {
                state.pel.insert(*id);
            }
        }
        self.keyspace()
            .with(topic, |state| {
                let data = state.stream_mut()?;
                if data.groups.contains_key(&image.name) {
                    return Some(Err(Error::GroupExists {
                        topic: topic.to_string(),
                        group: image.name.clone(),
                    }));
                }
                let mut group = Group::new(image.last_id, None);
                group.entries_read = if image.estimate {
                    data.stream.estimate_entries_read(image.last_id)
                } else {
                    image.entries_read
                };
                group.pel = pel;
                group.consumers = consumers;
                data.groups.insert(image.name.clone(), group);
                Some(Ok(()))
            })?
            .flatten()
            .unwrap_or_else(|| Err(no_topic(topic, TopicCommand::Info)))
    }
}

#[cfg(test)]
mod tests {
    use bus_core::{AppendOptions, Backend, Fields, PendingQuery};

    use super::*;

    fn image(pending: Vec<(EntryId, String, u64, u64)>) -> GroupImage {
        GroupImage {
            name: "g".into(),
            last_id: EntryId::new(2, 0),
            entries_read: Some(7),
            estimate: false,
            pending,
            consumers: vec![("c".into(), 50)],
        }
    }

    #[tokio::test]
    async fn a_group_is_restored_with_its_pending_entries_and_consumers() {
        let backend = MemoryBackend::new();
        let topic = Topic::new("s").unwrap();
        let options = AppendOptions::new().id(EntryId::new(2, 0));
        backend
            .append(&topic, Fields::from_pairs([("f", "v")]), &options)
            .await
            .unwrap();
        let pending = vec![(EntryId::new(1, 0), "c".to_owned(), 40, 3)];
        backend.restore_group(&topic, image(pending.clone())).unwrap();
        let info = &backend.groups_info(&topic).await.unwrap()[0];
        assert_eq!((info.entries_read, info.pending, info.consumers), (Some(7), 1, 1));
        let listed = backend.pending(&topic, "g", &PendingQuery::all(10)).await.unwrap();
        assert_eq!((listed[0].id, listed[0].delivery_count), (EntryId::new(1, 0), 3));
        let full = backend.stream_info_full(&topic, 0).unwrap();
        assert_eq!(full.groups[0].consumers[0].seen_time, 50);
        assert_eq!(full.groups[0].pending[0].delivery_time, 40);
        // Restoring it again is BUSYGROUP; an unknown owner or a missing key changes nothing.
        let again = backend.restore_group(&topic, image(pending)).unwrap_err();
        assert!(matches!(again, Error::GroupExists { .. }));
        let mut stranger = image(vec![(EntryId::new(1, 0), "nobody".to_owned(), 40, 3)]);
        stranger.name = "other".into();
        assert!(backend.restore_group(&topic, stranger).is_err());
        assert_eq!(backend.groups_info(&topic).await.unwrap().len(), 1);
        let missing = backend.restore_group(&Topic::new("missing").unwrap(), image(Vec::new()));
        assert_eq!(missing.unwrap_err().to_string(), "ERR no such key");
    }
}
