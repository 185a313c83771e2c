//! [`Consumer`]: group reads that never strand an entry, even when a read's future is dropped.
//!
//! A `>` read moves entries into the consumer's pending list on the server *before* the reply reaches us. If the
//! future is dropped at that moment (a `select!` branch lost, a timeout fired, the task was aborted), those
//! entries are pending for this consumer but nobody holds them, and a plain loop of `>` reads would never see
//! them again. The consumer therefore records "a `>` read may have been lost" before each such read and clears it
//! only once the reply is in hand; while it is set, the next read first replays the consumer's own pending
//! history after the last id a `>` read returned. A new `Consumer` starts in that state, so a restarted process
//! picks up what its previous incarnation left pending.

use std::time::Duration;

use crate::bus::{Bus, Received};
use crate::error::Result;
use crate::id::{EntryId, GroupCursor};
use crate::options::ReadGroupOptions;
use crate::topic::Topic;

/// A named consumer of a group on one topic.
///
/// Delivery is at least once: an entry replayed from history may have been seen before (dedupe by message
/// UUID), and every replay increments the entry's delivery count, as Redis does for history reads.
///
/// ```
/// # async fn demo(bus: bus_core::Bus) -> bus_core::Result<()> {
/// use bus_core::{GroupStart, Topic};
/// let topic = Topic::chat_agent("DevAgent")?;
/// bus.ensure_group(&topic, "workers", GroupStart::Id(bus_core::EntryId::MIN)).await?;
/// let mut consumer = bus.consumer(topic, "workers", "worker-1");
/// for received in consumer.read(10, None).await? {
///     // process, then acknowledge
///     consumer.ack(&[received.entry_id()]).await?;
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Consumer {
    bus: Bus,
    topic: Topic,
    group: String,
    name: String,
    /// `Some(id)`: replay own pending entries after `id` before reading new ones.
    replay_after: Option<EntryId>,
    /// The highest id a `>` read returned to the caller.
    high_water: EntryId,
}

impl Consumer {
    pub(crate) fn new(bus: Bus, topic: Topic, group: String, name: String) -> Consumer {
        Consumer {
            bus,
            topic,
            group,
            name,
            replay_after: Some(EntryId::MIN),
            high_water: EntryId::MIN,
        }
    }

    /// The topic read.
    pub fn topic(&self) -> &Topic {
        &self.topic
    }

    /// The group.
    pub fn group(&self) -> &str {
        &self.group
    }

    /// The consumer name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Reads up to `count` entries: first pending entries a previous read may have lost, then new ones.
    ///
    /// `block` waits for new entries (`Some(Duration::ZERO)`: forever); an empty result means none came.
    /// Cancel-safe: dropping the future loses nothing.
    pub async fn read(&mut self, count: u64, block: Option<Duration>) -> Result<Vec<Received>> {
        if let Some(after) = self.replay_after {
            let replayed = self.read_group(GroupCursor::History(after), count, None).await?;
            if let Some(last) = replayed.last() {
                self.replay_after = Some(last.entry_id());
                return Ok(replayed);
            }
            self.replay_after = None;
        }
        // Set before the await: if this future is dropped mid-read, the next call replays what it moved.
        self.replay_after = Some(self.high_water);
        let received = self.read_group(GroupCursor::New, count, block).await?;
        self.replay_after = None;
        if let Some(last) = received.last() {
            self.high_water = self.high_water.max(last.entry_id());
        }
        Ok(received)
    }

    /// Makes the next read start with this consumer's whole pending history, for entries a caller received but
    /// set aside unprocessed (they are pending for this consumer, so they come back with a higher delivery count).
    pub fn replay_pending(&mut self) {
        self.replay_after = Some(EntryId::MIN);
    }

    async fn read_group(&self, cursor: GroupCursor, count: u64, block: Option<Duration>) -> Result<Vec<Received>> {
        let mut options = ReadGroupOptions::new().count(count);
        options.block = block;
        let reply = self
            .bus
            .backend()
            .read_group(&self.group, &self.name, &[(self.topic.clone(), cursor)], &options)
            .await?;
        Ok(reply.into_entries().map(Received::from_group_entry).collect())
    }

    /// Acknowledges entries; returns how many were pending.
    pub async fn ack(&self, ids: &[EntryId]) -> Result<u64> {
        self.bus.backend().ack(&self.topic, &self.group, ids).await
    }
}
