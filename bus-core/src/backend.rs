//! The [`Backend`] trait: the stream, group and ack semantics of Redis Streams, one method per operation.
//!
//! A backend is a Redis Streams server in spirit: every method behaves like the Redis 7.0 command named in its
//! doc, with the same results, the same state changes and the same errors (see [`crate::Error`]). The trait is
//! object safe so applications hold an `Arc<dyn Backend>` and choose the implementation at run time.
//!
//! Two deliberate differences from the raw commands, shared by every backend:
//! - a non-blocking read that finds nothing returns [`ReadReply::Topics`] with no topics where Redis answers nil;
//!   [`ReadReply::TimedOut`] means only "a blocking read timed out", so callers can tell the two apart;
//! - arguments are typed, so a value Redis would reject while parsing (a `$` for a group read, a negative count)
//!   cannot be expressed, and where Redis checks a key before parsing an argument the parse error comes first.

use std::fmt::Debug;
use std::time::Duration;

use async_trait::async_trait;
use uuid::Uuid;

use crate::entry::{Entry, Fields, GroupEntry, ReadReply};
use crate::error::Result;
use crate::id::{EntryId, GroupCursor, GroupStart, RangeBound, ReadCursor};
use crate::message::Message;
use crate::options::{
    AppendOptions, AutoClaimOptions, ClaimOptions, GroupCreateOptions, PendingQuery, ReadGroupOptions, ReadOptions,
    Trim,
};
use crate::records::{
    AutoClaimed, Claimed, ConsumerDelete, ConsumerInfo, GroupInfo, PendingEntry, PendingSummary, Published, StreamInfo,
};
use crate::topic::Topic;

/// A Redis Streams implementation.
#[async_trait]
pub trait Backend: Send + Sync + Debug + 'static {
    /// XADD: appends raw fields. Returns the new id, or `None` with `no_mkstream` when the topic is missing.
    async fn append(&self, topic: &Topic, fields: Fields, options: &AppendOptions) -> Result<Option<EntryId>>;

    /// Idempotent XADD of a bus message: if the topic already holds an entry whose `id` field is this message's
    /// UUID, nothing is appended and that entry's id is returned with `duplicate: true` (the oldest such entry if
    /// a foreign producer wrote the UUID more than once). Returns `None` with `no_mkstream` on a missing topic.
    async fn publish(&self, topic: &Topic, message: &Message, options: &AppendOptions) -> Result<Option<Published>>;

    /// Publishes several messages to one topic, in order, each exactly as [`Backend::publish`] would (so a
    /// message repeated within the batch is a duplicate of its first occurrence). Backends that talk to a server
    /// send the batch in one round trip; the default publishes one by one. On an error some messages of the batch
    /// may be published and others not: retry the whole batch, which publishing's idempotency makes safe.
    async fn publish_batch(
        &self,
        topic: &Topic,
        messages: &[Message],
        options: &AppendOptions,
    ) -> Result<Vec<Option<Published>>> {
        let mut published = Vec::with_capacity(messages.len());
        for message in messages {
            published.push(self.publish(topic, message, options).await?);
        }
        Ok(published)
    }

    /// The id of the oldest entry of the topic whose `id` field is this UUID.
    async fn lookup(&self, topic: &Topic, uuid: Uuid) -> Result<Option<EntryId>>;

    /// XRANGE: entries from `start` to `end` in id order, at most `count` (`None`: all).
    async fn range(&self, topic: &Topic, start: RangeBound, end: RangeBound, count: Option<u64>) -> Result<Vec<Entry>>;

    /// XREVRANGE: entries from `end` down to `start`, at most `count`.
    async fn rev_range(
        &self,
        topic: &Topic,
        end: RangeBound,
        start: RangeBound,
        count: Option<u64>,
    ) -> Result<Vec<Entry>>;

    /// XREAD: entries after each cursor, over one or several topics, optionally blocking.
    async fn read(&self, cursors: &[(Topic, ReadCursor)], options: &ReadOptions) -> Result<ReadReply<Entry>>;

    /// XGROUP CREATE.
    async fn group_create(
        &self,
        topic: &Topic,
        group: &str,
        start: GroupStart,
        options: &GroupCreateOptions,
    ) -> Result<()>;

    /// XGROUP DESTROY: true if the group existed.
    async fn group_destroy(&self, topic: &Topic, group: &str) -> Result<bool>;

    /// XGROUP SETID, with optional ENTRIESREAD.
    async fn group_set_id(&self, topic: &Topic, group: &str, id: GroupStart, entries_read: Option<u64>) -> Result<()>;

    /// XGROUP CREATECONSUMER: true if the consumer was created.
    async fn consumer_create(&self, topic: &Topic, group: &str, consumer: &str) -> Result<bool>;

    /// XGROUP DELCONSUMER: the number of pending entries the consumer still owned (they are dropped).
    async fn consumer_delete(&self, topic: &Topic, group: &str, consumer: &str) -> Result<u64>;

    /// XGROUP DELCONSUMER only if the consumer owns no pending entries and has been idle (XINFO CONSUMERS's idle)
    /// at least `min_idle`, checked and done as one atomic step: a check followed by a separate delete could drop
    /// entries delivered to the consumer in between. Fails like XINFO CONSUMERS on a missing topic or group.
    async fn consumer_delete_if_idle(
        &self,
        topic: &Topic,
        group: &str,
        consumer: &str,
        min_idle: Duration,
    ) -> Result<ConsumerDelete>;

    /// XREADGROUP: new entries (`>`) or the consumer's own pending history, over one or several topics.
    async fn read_group(
        &self,
        group: &str,
        consumer: &str,
        cursors: &[(Topic, GroupCursor)],
        options: &ReadGroupOptions,
    ) -> Result<ReadReply<GroupEntry>>;

    /// XACK: the number of ids that were pending and are now acknowledged.
    async fn ack(&self, topic: &Topic, group: &str, ids: &[EntryId]) -> Result<u64>;

    /// XPENDING summary form.
    async fn pending_summary(&self, topic: &Topic, group: &str) -> Result<PendingSummary>;

    /// XPENDING extended form.
    async fn pending(&self, topic: &Topic, group: &str, query: &PendingQuery) -> Result<Vec<PendingEntry>>;

    /// XCLAIM.
    async fn claim(
        &self,
        topic: &Topic,
        group: &str,
        consumer: &str,
        min_idle: Duration,
        ids: &[EntryId],
        options: &ClaimOptions,
    ) -> Result<Claimed>;

    /// XAUTOCLAIM.
    async fn auto_claim(
        &self,
        topic: &Topic,
        group: &str,
        consumer: &str,
        min_idle: Duration,
        start: RangeBound,
        options: &AutoClaimOptions,
    ) -> Result<AutoClaimed>;

    /// XDEL: the number of entries removed.
    async fn delete(&self, topic: &Topic, ids: &[EntryId]) -> Result<u64>;

    /// XTRIM: the number of entries removed.
    async fn trim(&self, topic: &Topic, trim: &Trim) -> Result<u64>;

    /// XLEN (0 for a missing topic).
    async fn len(&self, topic: &Topic) -> Result<u64>;

    /// DEL of the topic with its groups: true if it existed. Blocked group readers get
    /// [`Error::TopicDeleted`](crate::Error::TopicDeleted).
    async fn drop_topic(&self, topic: &Topic) -> Result<bool>;

    /// PEXPIRE of the topic (and whatever the backend keeps beside it): the topic is deleted, as by
    /// [`Backend::drop_topic`], once `ttl` has passed without another call. Returns false when the topic does not
    /// exist. Writes to the topic keep its deadline; a topic created anew has none. A zero TTL deletes at once.
    async fn expire_topic(&self, topic: &Topic, ttl: Duration) -> Result<bool>;

    /// PTTL: the time left before the topic expires, or `None` when it does not exist or has no deadline.
    async fn topic_ttl(&self, topic: &Topic) -> Result<Option<Duration>>;

    /// XINFO STREAM.
    async fn stream_info(&self, topic: &Topic) -> Result<StreamInfo>;

    /// XINFO GROUPS.
    async fn groups_info(&self, topic: &Topic) -> Result<Vec<GroupInfo>>;

    /// XINFO CONSUMERS.
    async fn consumers_info(&self, topic: &Topic, group: &str) -> Result<Vec<ConsumerInfo>>;
}
