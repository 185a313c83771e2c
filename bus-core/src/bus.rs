//! [`Bus`]: the handle agent code holds. It speaks messages (UUID + JSON) and cursors, not raw stream commands.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;
use uuid::Uuid;

use crate::backend::Backend;
use crate::consumer::Consumer;
use crate::entry::{Entry, Fields, GroupEntry};
use crate::error::{Error, Result};
use crate::id::{EntryId, GroupStart, RangeBound};
use crate::message::{Malformed, Message};
use crate::options::{AppendOptions, GroupCreateOptions};
use crate::records::{PendingSummary, Published};
use crate::topic::Topic;

/// A cheap-to-clone handle on a backend, with the operations an agent needs.
///
/// ```
/// # use bus_core::{Backend, Bus, Topic};
/// # async fn demo(bus: Bus) -> bus_core::Result<()> {
/// let topic = Topic::chat_conversation("42")?;
/// let published = bus.publish(&topic, &serde_json::json!({"content": "hello"})).await?;
/// for received in bus.tail(&topic, 10).await? {
///     println!("{} {:?}", received.entry_id(), received.message().map(|m| m.payload()));
/// }
/// # let _ = published; Ok(()) }
/// ```
#[derive(Clone)]
pub struct Bus {
    backend: Arc<dyn Backend>,
}

impl fmt::Debug for Bus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bus").field("backend", &self.backend).finish()
    }
}

/// Where a read after a cursor starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cursor {
    /// From the first entry of the topic.
    Start,
    /// After this entry id (the entry itself is not returned).
    Entry(EntryId),
    /// After the entry holding this message UUID.
    Message(Uuid),
}

/// An entry as the bus hands it out: a message, or a typed malformed or deleted entry that can still be acked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Received {
    /// A well-formed bus message.
    Message {
        /// The entry id.
        entry_id: EntryId,
        /// The decoded message.
        message: Message,
    },
    /// An entry that is not a bus message (written by a foreign producer); its raw fields are kept.
    Malformed {
        /// The entry id.
        entry_id: EntryId,
        /// The raw fields.
        fields: Fields,
        /// Why it is not a message.
        reason: Malformed,
    },
    /// A pending entry that was deleted from the stream after delivery (history reads only).
    Deleted {
        /// The entry id.
        entry_id: EntryId,
    },
}

impl Received {
    /// Decodes a raw entry.
    pub fn from_entry(entry: Entry) -> Received {
        match entry.message() {
            Ok(message) => Received::Message {
                entry_id: entry.id,
                message,
            },
            Err(reason) => Received::Malformed {
                entry_id: entry.id,
                fields: entry.fields,
                reason,
            },
        }
    }

    /// Decodes an entry of a group read.
    pub fn from_group_entry(entry: GroupEntry) -> Received {
        match entry {
            GroupEntry::Present(entry) => Received::from_entry(entry),
            GroupEntry::Deleted(entry_id) => Received::Deleted { entry_id },
        }
    }

    /// The entry id, whatever the variant.
    pub fn entry_id(&self) -> EntryId {
        match self {
            Received::Message { entry_id, .. }
            | Received::Malformed { entry_id, .. }
            | Received::Deleted { entry_id } => *entry_id,
        }
    }

    /// The message, if this is one.
    pub fn message(&self) -> Option<&Message> {
        match self {
            Received::Message { message, .. } => Some(message),
            _ => None,
        }
    }

    /// The message, or an error naming the topic and entry when it is malformed or deleted.
    pub fn into_message(self, topic: &Topic) -> Result<Message> {
        match self {
            Received::Message { message, .. } => Ok(message),
            Received::Malformed { entry_id, reason, .. } => Err(Error::Malformed {
                topic: topic.to_string(),
                entry_id,
                reason,
            }),
            Received::Deleted { entry_id } => Err(Error::Malformed {
                topic: topic.to_string(),
                entry_id,
                reason: Malformed::Deleted,
            }),
        }
    }
}

impl Bus {
    /// Wraps a backend.
    pub fn new(backend: impl Backend) -> Bus {
        Bus {
            backend: Arc::new(backend),
        }
    }

    /// Wraps a shared backend.
    pub fn from_arc(backend: Arc<dyn Backend>) -> Bus {
        Bus { backend }
    }

    /// The backend, for the raw stream operations.
    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.backend
    }

    /// Publishes a payload as a new message with a fresh UUID.
    pub async fn publish<T: Serialize + ?Sized + Sync>(&self, topic: &Topic, payload: &T) -> Result<Published> {
        self.publish_message(topic, &Message::new(payload)?).await
    }

    /// Publishes a message idempotently: if the topic already holds its UUID, the existing entry is returned
    /// with `duplicate: true`. Retrying a failed publish with the same message never duplicates it.
    pub async fn publish_message(&self, topic: &Topic, message: &Message) -> Result<Published> {
        self.publish_message_with(topic, message, &AppendOptions::new()).await
    }

    /// [`Bus::publish_message`] with append options (explicit id, trimming). With NOMKSTREAM a missing topic
    /// is an error here; use [`Bus::publish_with`] to get `None` instead.
    pub async fn publish_message_with(
        &self,
        topic: &Topic,
        message: &Message,
        options: &AppendOptions,
    ) -> Result<Published> {
        let published = self.backend.publish(topic, message, options).await?;
        published.ok_or_else(|| Error::NoSuchTopic {
            topic: topic.to_string(),
            command: crate::error::TopicCommand::Info,
        })
    }

    /// Publishes with explicit append options (id, trimming, NOMKSTREAM).
    pub async fn publish_with(
        &self,
        topic: &Topic,
        message: &Message,
        options: &AppendOptions,
    ) -> Result<Option<Published>> {
        self.backend.publish(topic, message, options).await
    }

    /// The last `n` entries of the topic, oldest first.
    pub async fn tail(&self, topic: &Topic, n: u64) -> Result<Vec<Received>> {
        let mut entries = self
            .backend
            .rev_range(topic, RangeBound::MAX, RangeBound::MIN, Some(n))
            .await?;
        entries.reverse();
        Ok(entries.into_iter().map(Received::from_entry).collect())
    }

    /// Up to `count` entries after a cursor (`None`: all), oldest first. Costs O(log n + count) on the backend.
    ///
    /// Fails with [`Error::UnknownCursor`] when a message cursor names no entry of the topic, and with
    /// [`Error::CursorTrimmed`] when an entry cursor no longer exists, lies before the oldest entry, and entries
    /// were removed from the topic, so entries the caller never saw may be gone (see [`Bus::check_not_trimmed`]).
    pub async fn read_after(&self, topic: &Topic, cursor: Cursor, count: Option<u64>) -> Result<Vec<Received>> {
        let entries = match cursor {
            Cursor::Start => {
                self.backend
                    .range(topic, RangeBound::MIN, RangeBound::MAX, count)
                    .await?
            }
            Cursor::Message(uuid) => {
                let id = self
                    .backend
                    .lookup(topic, uuid)
                    .await?
                    .ok_or_else(|| Error::UnknownCursor {
                        topic: topic.to_string(),
                        uuid,
                    })?;
                self.backend
                    .range(topic, RangeBound::Exclusive(id), RangeBound::MAX, count)
                    .await?
            }
            Cursor::Entry(id) => self.read_after_entry(topic, id, count).await?,
        };
        Ok(entries.into_iter().map(Received::from_entry).collect())
    }

    /// Reads from the cursor entry inclusive, so one call both proves the cursor still exists and returns what
    /// follows it; only a vanished cursor costs a second call to tell a trim from a harmless hole.
    async fn read_after_entry(&self, topic: &Topic, id: EntryId, count: Option<u64>) -> Result<Vec<Entry>> {
        let with_cursor = count.map(|n| n.saturating_add(1));
        let mut entries = self
            .backend
            .range(topic, RangeBound::Inclusive(id), RangeBound::MAX, with_cursor)
            .await?;
        if entries.first().is_some_and(|first| first.id == id) {
            entries.remove(0);
            return Ok(entries);
        }
        if id != EntryId::MIN {
            self.check_not_trimmed(topic, id).await?;
        }
        entries.truncate(usize::try_from(count.unwrap_or(u64::MAX)).unwrap_or(usize::MAX));
        Ok(entries)
    }

    /// Fails with [`Error::CursorTrimmed`] when entries after `cursor` (the last entry a reader saw) may have been
    /// trimmed away before the reader got them; the rule [`Bus::read_after`] applies, public so that other
    /// readers (such as a subscription built on blocking reads) detect gaps the same way. One XINFO STREAM call.
    ///
    /// Trims remove from the head, so if the cursor now lies before the oldest entry and entries were ever
    /// removed, entries the reader never saw may have gone with it; if the cursor entry still exists it is not
    /// before the oldest entry and the check passes. Redis keeps no record of which ids a trim removed (its
    /// max-deleted id tracks XDEL only), so this errs on the side of reporting: a reader whose last-read entry was
    /// exactly the last one trimmed (or was removed by XDEL along with everything before it) is told too, unless
    /// it had read up to the last id ever generated, after which nothing can be missing. A missing topic passes.
    pub async fn check_not_trimmed(&self, topic: &Topic, cursor: EntryId) -> Result<()> {
        let info = match self.backend.stream_info(topic).await {
            Ok(info) => info,
            Err(Error::NoSuchTopic { .. }) => return Ok(()),
            Err(err) => return Err(err),
        };
        if cursor >= info.last_generated_id {
            return Ok(());
        }
        let oldest = info.first_entry.as_ref().map(|e| e.id);
        let before_oldest = oldest.is_none_or(|first| cursor < first);
        if before_oldest && info.entries_added > info.length {
            return Err(Error::CursorTrimmed {
                topic: topic.to_string(),
                cursor,
                oldest,
            });
        }
        Ok(())
    }

    /// The entry id of a message UUID on a topic.
    pub async fn lookup(&self, topic: &Topic, uuid: Uuid) -> Result<Option<EntryId>> {
        self.backend.lookup(topic, uuid).await
    }

    /// Creates the group (and the topic) unless the group exists. Returns true if it was created.
    pub async fn ensure_group(&self, topic: &Topic, group: &str, start: GroupStart) -> Result<bool> {
        let options = GroupCreateOptions::new().mkstream();
        match self.backend.group_create(topic, group, start, &options).await {
            Ok(()) => Ok(true),
            Err(Error::GroupExists { .. }) => Ok(false),
            Err(err) => Err(err),
        }
    }

    /// The number of entries of a topic (0 when it does not exist).
    pub async fn len(&self, topic: &Topic) -> Result<u64> {
        self.backend.len(topic).await
    }

    /// How many entries of a group are delivered and not yet acknowledged, and by whom
    /// ([`Backend::pending_summary`]).
    pub async fn pending(&self, topic: &Topic, group: &str) -> Result<PendingSummary> {
        self.backend.pending_summary(topic, group).await
    }

    /// Deletes a topic with its groups and whatever the backend keeps beside it (its UUID index): true if it
    /// existed. What an application or a test calls to clean up after itself.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> bus_core::Result<()> {
    /// # let bus = bus_memory::MemoryBackend::new().bus();
    /// let topic = bus_core::Topic::stream("run-7")?;
    /// bus.publish(&topic, &"token").await?;
    /// assert!(bus.drop_topic(&topic).await?);
    /// assert_eq!(bus.len(&topic).await?, 0);
    /// assert!(!bus.drop_topic(&topic).await?, "already gone");
    /// # Ok(()) }
    /// ```
    pub async fn drop_topic(&self, topic: &Topic) -> Result<bool> {
        self.backend.drop_topic(topic).await
    }

    /// A consumer of a group. See [`Consumer`] for its cancel-safety guarantee.
    pub fn consumer(&self, topic: Topic, group: impl Into<String>, name: impl Into<String>) -> Consumer {
        Consumer::new(self.clone(), topic, group.into(), name.into())
    }
}
