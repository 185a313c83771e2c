//! XINFO STREAM in full: what Redis's reply holds beyond [`Backend::stream_info`](bus_core::Backend::stream_info)
//! (the radix-tree figures, the recorded first id) and the `FULL` form with every group's pending entries and
//! consumers, plus the node layout behind them.
//!
//! These are inherent methods because the `Backend` trait has no such call: a RESP server answers `XINFO STREAM`
//! and `XINFO STREAM … FULL` from them, and tests compare them with a real server's reply.

use bus_core::{Entry, EntryId, Result, StreamInfo, Topic, TopicCommand};

use crate::MemoryBackend;
use crate::access::no_topic;
use crate::group::Group;
use crate::keyspace::StreamData;
use crate::rax;
use crate::stream::Stream;

/// What XINFO STREAM reports about a stream's storage and first id, beside [`StreamInfo`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StreamStorage {
    /// `radix-tree-keys`: the stream's nodes (listpacks).
    pub radix_tree_keys: u64,
    /// `radix-tree-nodes`: the nodes of Redis's radix tree over the node keys, computed from the keys as
    /// `rax.c` shapes the tree (exact for the node layout bus-memory has, see [`NodeLayout`](crate::NodeLayout)).
    pub radix_tree_nodes: u64,
    /// `recorded-first-entry-id`: the first live entry, `0-0` when the stream is empty.
    pub recorded_first_entry_id: EntryId,
}

/// XINFO STREAM … FULL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamFullInfo {
    /// `length`.
    pub length: u64,
    /// `radix-tree-keys`, `radix-tree-nodes` and `recorded-first-entry-id`.
    pub storage: StreamStorage,
    /// `last-generated-id`.
    pub last_generated_id: EntryId,
    /// `max-deleted-entry-id`.
    pub max_deleted_entry_id: EntryId,
    /// `entries-added` (Redis replies it as a signed integer: past `i64::MAX` it shows negative).
    pub entries_added: u64,
    /// `entries`: the oldest entries, at most COUNT of them.
    pub entries: Vec<Entry>,
    /// `groups`, by name (byte order).
    pub groups: Vec<GroupFullInfo>,
}

/// One group of [`StreamFullInfo`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupFullInfo {
    /// `name`.
    pub name: String,
    /// `last-delivered-id`.
    pub last_delivered_id: EntryId,
    /// `entries-read`, nil when unknown (signed, as in [`GroupInfo`](bus_core::GroupInfo)).
    pub entries_read: Option<i64>,
    /// `lag`, nil when unknown (signed, as in [`GroupInfo`](bus_core::GroupInfo)).
    pub lag: Option<i64>,
    /// `pel-count`: all the group's pending entries.
    pub pel_count: u64,
    /// `pending`: the first pending entries by id, at most COUNT of them.
    pub pending: Vec<FullPendingEntry>,
    /// `consumers`, by name (byte order), all of them.
    pub consumers: Vec<ConsumerFullInfo>,
}

/// One pending entry of a group in [`GroupFullInfo`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FullPendingEntry {
    /// The entry id.
    pub id: EntryId,
    /// The consumer that owns it.
    pub consumer: String,
    /// Unix time in ms of the last delivery (or claim).
    pub delivery_time: u64,
    /// Deliveries so far.
    pub delivery_count: u64,
}

/// One consumer of [`GroupFullInfo`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsumerFullInfo {
    /// `name`.
    pub name: String,
    /// `seen-time`: Unix time in ms of its last read or claim.
    pub seen_time: u64,
    /// `pel-count`: all the entries it owns.
    pub pel_count: u64,
    /// `pending`: its first pending entries by id, at most COUNT of them.
    pub pending: Vec<ConsumerPendingEntry>,
}

/// One pending entry of a consumer in [`ConsumerFullInfo`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConsumerPendingEntry {
    /// The entry id.
    pub id: EntryId,
    /// Unix time in ms of the last delivery (or claim).
    pub delivery_time: u64,
    /// Deliveries so far.
    pub delivery_count: u64,
}

/// One storage node of a stream, as [`MemoryBackend::stream_nodes`] lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NodeInfo {
    /// The id of the node's first entry (its master entry), the node's key in Redis's radix tree.
    pub master_id: EntryId,
    /// Live entries.
    pub entries: u64,
    /// Slots of deleted entries that still fill the node.
    pub deleted: u64,
    /// The size Redis's listpack for these entries has (`lpBytes`).
    pub bytes: u64,
}

/// XINFO STREAM's figures of a stream (`Backend::stream_info`).
pub(crate) fn stream_info(data: &StreamData) -> StreamInfo {
    let stream = &data.stream;
    StreamInfo {
        length: stream.len(),
        last_generated_id: stream.last_id,
        max_deleted_entry_id: stream.max_deleted_id,
        entries_added: stream.entries_added,
        groups: data.groups.len() as u64,
        first_entry: stream.first_entry(),
        last_entry: stream.last_entry(),
    }
}

fn storage(stream: &Stream) -> StreamStorage {
    StreamStorage {
        radix_tree_keys: stream.node_count() as u64,
        radix_tree_nodes: rax::node_count(stream.node_keys()),
        recorded_first_entry_id: stream.first_id(),
    }
}

fn group_full_info(name: &str, group: &Group, stream: &Stream, count: usize) -> GroupFullInfo {
    let limit = if count == 0 { usize::MAX } else { count };
    let pending = group
        .pel
        .iter()
        .take(limit)
        .map(|(id, delivery)| FullPendingEntry {
            id: *id,
            consumer: delivery.consumer.to_string(),
            delivery_time: delivery.delivery_time,
            delivery_count: delivery.delivery_count,
        })
        .collect();
    let consumers = group
        .consumers
        .iter()
        .map(|(name, consumer)| ConsumerFullInfo {
            name: name.to_string(),
            seen_time: consumer.seen_time,
            pel_count: consumer.pel.len() as u64,
            pending: consumer
                .pel
                .iter()
                .take(limit)
                .filter_map(|id| {
                    let delivery = group.pel.get(id)?;
                    Some(ConsumerPendingEntry {
                        id: *id,
                        delivery_time: delivery.delivery_time,
                        delivery_count: delivery.delivery_count,
                    })
                })
                .collect(),
        })
        .collect();
    GroupFullInfo {
        name: name.to_owned(),
        last_delivered_id: group.last_id,
        entries_read: group.entries_read,
        lag: group.lag(stream),
        pel_count: group.pel.len() as u64,
        pending,
        consumers,
    }
}

impl MemoryBackend {
    /// XINFO STREAM: [`Backend::stream_info`](bus_core::Backend::stream_info)'s figures and the storage figures
    /// Redis's reply adds, read under one lock. A missing topic fails with `ERR no such key`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> bus_core::Result<()> {
    /// use bus_core::{AppendOptions, Backend, EntryId, Fields, Topic};
    /// use bus_memory::MemoryBackend;
    ///
    /// let backend = MemoryBackend::new();
    /// let topic = Topic::new("events")?;
    /// let options = AppendOptions::new().id(EntryId::new(1, 0));
    /// backend.append(&topic, Fields::from_pairs([("a", "1")]), &options).await?;
    /// let (info, storage) = backend.stream_info_with_storage(&topic)?;
    /// assert_eq!(info.length, 1);
    /// assert_eq!((storage.radix_tree_keys, storage.radix_tree_nodes), (1, 2));
    /// assert_eq!(storage.recorded_first_entry_id, EntryId::new(1, 0));
    /// # Ok(()) }
    /// ```
    pub fn stream_info_with_storage(&self, topic: &Topic) -> Result<(StreamInfo, StreamStorage)> {
        self.keyspace()
            .with(topic, |state| {
                let data = state.stream()?;
                Some((stream_info(data), storage(&data.stream)))
            })?
            .flatten()
            .ok_or_else(|| no_topic(topic, TopicCommand::Info))
    }

    /// XINFO STREAM … FULL COUNT `count`: the oldest `count` entries, and per group its first `count` pending
    /// entries and per consumer its first `count`; 0 lists them all (Redis's default COUNT is 10, and a negative
    /// one means 10, which the caller resolves). A missing topic fails with `ERR no such key`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> bus_core::Result<()> {
    /// use bus_core::{Backend, Bus, GroupStart, EntryId, Topic};
    /// use bus_memory::MemoryBackend;
    ///
    /// let backend = MemoryBackend::new();
    /// let bus = Bus::new(backend.clone());
    /// let topic = Topic::new("events")?;
    /// bus.ensure_group(&topic, "g", GroupStart::Id(EntryId::MIN)).await?;
    /// bus.publish(&topic, &serde_json::json!({"n": 1})).await?;
    /// bus.consumer(topic.clone(), "g", "c").read(10, None).await?;
    ///
    /// let full = backend.stream_info_full(&topic, 10)?;
    /// assert_eq!(full.entries.len(), 1);
    /// let group = &full.groups[0];
    /// assert_eq!((group.pel_count, group.lag), (1, Some(0)));
    /// assert_eq!(group.consumers[0].pending[0].delivery_count, 1);
    /// # Ok(()) }
    /// ```
    pub fn stream_info_full(&self, topic: &Topic, count: u64) -> Result<StreamFullInfo> {
        let count = usize::try_from(count).unwrap_or(usize::MAX);
        self.keyspace()
            .with(topic, |state| {
                let data = state.stream()?;
                let stream = &data.stream;
                Some(StreamFullInfo {
                    length: stream.len(),
                    storage: storage(stream),
                    last_generated_id: stream.last_id,
                    max_deleted_entry_id: stream.max_deleted_id,
                    entries_added: stream.entries_added,
                    entries: stream.range(EntryId::MIN, EntryId::MAX, count),
                    groups: data
                        .groups
                        .iter()
                        .map(|(name, group)| group_full_info(name, group, stream, count))
                        .collect(),
                })
            })?
            .flatten()
            .ok_or_else(|| no_topic(topic, TopicCommand::Info))
    }

    /// The storage nodes of a topic's stream in order, or `None` if the topic does not exist: where node
    /// boundaries fall (what approximate trims go by) and each node's listpack size.
    pub fn stream_nodes(&self, topic: &Topic) -> Option<Vec<NodeInfo>> {
        self.keyspace()
            .with(topic, |state| {
                let stream = &state.stream()?.stream;
                Some(stream.nodes_info().collect())
            })
            .ok()
            .flatten()
            .flatten()
    }
}
