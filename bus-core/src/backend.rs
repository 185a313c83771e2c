//! The [`Backend`] trait: the contract every backend implements, one method per Redis Streams operation.
//!
//! A backend is a Redis Streams server in spirit: every method behaves like the Redis 7.0 command it maps to,
//! with the same results, the same state changes and the same errors, worded as Redis words them (see
//! [`crate::Error`]). The trait is object safe, so applications hold an `Arc<dyn Backend>` (or a [`crate::Bus`])
//! and choose the implementation at run time. The conformance suite (crate `conformance`) certifies a backend:
//! its named checks, one per behaviour, are grouped in the families the last column names (the `errors` family
//! checks the typed fields of every error below), and its model-based
//! properties run random sequences of every method against a reference model.
//!
//! # What an implementor must know
//! - **Redis is the reference.** Where this page and Redis 7.0.15 disagree, Redis is right; `redis-cli` answers
//!   any question. Results, the state a call leaves, and the text of every error must match.
//! - **Check arguments first, in Redis's order, and change nothing on error.** The options types validate
//!   themselves ([`AppendOptions::validate`], [`ReadOptions::validate`], [`PendingQuery::validate`],
//!   [`crate::options::validate_min_idle`], …): call them before touching any state. A rejected call leaves every
//!   topic as it was.
//! - **Typed arguments.** Values Redis rejects while parsing that the types cannot express (a `$` group cursor, a
//!   negative count) never arrive. Where Redis would look up the key before rejecting a malformed argument, the
//!   argument error comes first here (the types have already parsed it).
//! - **Reads.** A non-blocking read that finds nothing returns [`ReadReply::Topics`] with no topics (Redis: nil);
//!   [`ReadReply::TimedOut`] means only that a blocking read's BLOCK expired. A blocked read released because its
//!   topic was deleted or its group destroyed fails with [`Error::TopicDeleted`](crate::Error::TopicDeleted) or
//!   [`Error::NoGroup`](crate::Error::NoGroup). Dropping a read's future must not lose what the backend already
//!   delivered: it stays in the consumer's pending list, where a history read finds it.
//! - **Time** is read through [`crate::Clock`] (tokio's clock) by backends that keep their own, so tests on paused
//!   time control idle times, claims and BLOCK timeouts.
//! - **Keys of other types.** A backend whose keys can hold other types answers
//!   `WRONGTYPE Operation against a key holding the wrong kind of value` ([`Error::WrongType`](crate::Error::WrongType))
//!   for every method on such a key, as Redis does. Transport failures are
//!   [`Error::Timeout`](crate::Error::Timeout) (saying whether the command may have run) and
//!   [`Error::Connection`](crate::Error::Connection); [`crate::Error::is_retryable`] tells callers what to retry.
//!
//! # The methods
//! Errors are listed with Redis's text; `<topic>` and `<group>` stand for the names given.
//!
//! ## Appending
//! | method | Redis | errors | checks |
//! |---|---|---|---|
//! | [`append`](Backend::append) | `XADD` | `ERR wrong number of arguments for 'xadd' command` (no fields); `ERR The ID specified in XADD must be greater than 0-0`; `ERR The ID specified in XADD is equal or smaller than the target stream top item`; `ERR The stream has exhausted the last possible ID, unable to add more items`; `ERR Elements are too large to be stored`; the trim errors of [`trim`](Backend::trim) | `append`, `trim` |
//! | [`publish`](Backend::publish) | `XADD` of `id` + `payload`, skipped when the topic holds the UUID | as `append` | `append` |
//! | [`publish_batch`](Backend::publish_batch) | one `XADD` per message, in one round trip | as `publish`: the first error in batch order | `append` |
//! | [`lookup`](Backend::lookup) | (the UUID index; a scan on a server without one) | none of its own | `append`, `consumer` |
//!
//! ## Reading
//! | method | Redis | errors | checks |
//! |---|---|---|---|
//! | [`range`](Backend::range) | `XRANGE key start end [COUNT n]` | `ERR invalid start ID for the interval`; `ERR invalid end ID for the interval`; `ERR value is not an integer or out of range` (COUNT) | `range_read` |
//! | [`rev_range`](Backend::rev_range) | `XREVRANGE key end start [COUNT n]` | as `range` | `range_read` |
//! | [`read`](Backend::read) | `XREAD [COUNT n] [BLOCK ms] STREAMS k… id…` | `ERR value is not an integer or out of range` (COUNT); `ERR timeout is not an integer or out of range` (BLOCK); no topic: `ERR wrong number of arguments for 'xread' command`, or `ERR syntax error` with COUNT or BLOCK | `range_read`, `blocking` |
//!
//! ## Consumer groups
//! | method | Redis | errors | checks |
//! |---|---|---|---|
//! | [`group_create`](Backend::group_create) | `XGROUP CREATE key group id [MKSTREAM] [ENTRIESREAD n]` | `ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.`; `BUSYGROUP Consumer Group name already exists`; `ERR value is not an integer or out of range` (ENTRIESREAD) | `groups` |
//! | [`group_destroy`](Backend::group_destroy) | `XGROUP DESTROY` | the XGROUP missing-key error | `groups`, `blocking` |
//! | [`group_set_id`](Backend::group_set_id) | `XGROUP SETID key group id [ENTRIESREAD n]` | the XGROUP missing-key error; `NOGROUP No such consumer group '<group>' for key name '<topic>'`; ENTRIESREAD out of range | `groups`, `info_lag` |
//! | [`consumer_create`](Backend::consumer_create) | `XGROUP CREATECONSUMER` | the XGROUP missing-key error; the NOGROUP of SETID | `groups` |
//! | [`consumer_delete`](Backend::consumer_delete) | `XGROUP DELCONSUMER` | as `consumer_create` | `groups` |
//! | [`consumer_delete_if_idle`](Backend::consumer_delete_if_idle) | `XINFO CONSUMERS` + `XGROUP DELCONSUMER`, as one atomic step | `ERR no such key`; the NOGROUP of SETID | `groups` |
//! | [`read_group`](Backend::read_group) | `XREADGROUP GROUP g c [COUNT n] [BLOCK ms] [NOACK] STREAMS k… id…` | `NOGROUP No such key '<topic>' or consumer group '<group>' in XREADGROUP with GROUP option`; COUNT and BLOCK as `read`; while blocked: `UNBLOCKED the stream key no longer exists`, `NOGROUP the consumer group this client was blocked on no longer exists`; no topic: as `read`, for `xreadgroup` | `group_read`, `blocking`, `consumer` |
//!
//! ## Pending entries and claims
//! | method | Redis | errors | checks |
//! |---|---|---|---|
//! | [`ack`](Backend::ack) | `XACK` | `ERR wrong number of arguments for 'xack' command` (no id); otherwise none: 0 for a missing topic or group | `pending`, `group_read` |
//! | [`pending_summary`](Backend::pending_summary) | `XPENDING key group` | `NOGROUP No such key '<topic>' or consumer group '<group>'` | `pending` |
//! | [`pending`](Backend::pending) | `XPENDING key group [IDLE ms] start end count [consumer]` | the NOGROUP of `pending_summary`; `ERR value is not an integer or out of range` (IDLE, COUNT); the interval errors of `range` | `pending` |
//! | [`claim`](Backend::claim) | `XCLAIM key group consumer min-idle id… [IDLE ms] [TIME ms] [RETRYCOUNT n] [FORCE] [JUSTID] [LASTID id]` | `ERR Invalid min-idle-time argument for XCLAIM`; `ERR Invalid IDLE option argument for XCLAIM` (and TIME, RETRYCOUNT), both after the NOGROUP of `pending_summary`; `ERR wrong number of arguments for 'xclaim' command` (no id) | `claim` |
//! | [`auto_claim`](Backend::auto_claim) | `XAUTOCLAIM key group consumer min-idle start [COUNT n] [JUSTID]` | `ERR Invalid min-idle-time argument for XAUTOCLAIM`; `ERR invalid start ID for the interval`; `ERR COUNT must be > 0`; the NOGROUP of `pending_summary` | `autoclaim` |
//!
//! ## Deleting, trimming and keys
//! | method | Redis | errors | checks |
//! |---|---|---|---|
//! | [`delete`](Backend::delete) | `XDEL` | `ERR wrong number of arguments for 'xdel' command` (no id); otherwise none: 0 for a missing topic | `trim`, `group_read` |
//! | [`trim`](Backend::trim) | `XTRIM key MAXLEN\|MINID [=\|~] threshold [LIMIT n]` | `ERR value is not an integer or out of range`; `ERR syntax error, LIMIT cannot be used without the special ~ option` | `trim` |
//! | [`len`](Backend::len) | `XLEN` | none: 0 for a missing topic | every family |
//! | [`drop_topic`](Backend::drop_topic) | `DEL` (with whatever the backend keeps beside the stream) | none | `trim`, `blocking`, `consumer` |
//! | [`expire_topic`](Backend::expire_topic) | `PEXPIRE` | none: false for a missing topic | `expiry` |
//! | [`topic_ttl`](Backend::topic_ttl) | `PTTL` | none | `expiry` |
//!
//! ## Inspection
//! | method | Redis | errors | checks |
//! |---|---|---|---|
//! | [`stream_info`](Backend::stream_info) | `XINFO STREAM` | `ERR no such key` | `info_lag` |
//! | [`groups_info`](Backend::groups_info) | `XINFO GROUPS` | `ERR no such key` | `info_lag` |
//! | [`consumers_info`](Backend::consumers_info) | `XINFO CONSUMERS` | `ERR no such key`; the NOGROUP of SETID | `info_lag`, `pending` |

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

/// A Redis Streams implementation: the contract of the bus. See the [module documentation](self) for the table
/// of methods, Redis commands, errors and covering checks.
#[async_trait]
pub trait Backend: Send + Sync + Debug + 'static {
    // ---- Appending ----------------------------------------------------------------------------------------------

    /// Appends an entry of raw fields, as `XADD` does: creates the topic unless `options.no_mkstream` (then a
    /// missing topic gets `Ok(None)` and nothing happens), takes the id `options.id` gives (generated from the
    /// clock by default, `ms-*` or explicit: it must be above the topic's last generated id), trims afterwards
    /// when `options.trim` says so, and wakes blocked readers. Fields are kept exactly as given (order and
    /// duplicates); an `id` field holding a canonical UUID makes the entry findable by [`Backend::lookup`].
    async fn append(&self, topic: &Topic, fields: Fields, options: &AppendOptions) -> Result<Option<EntryId>>;

    /// Appends a bus message (fields `id` = its UUID, `payload`, then its headers) idempotently: if the topic
    /// already holds an entry whose `id` field is this UUID, nothing is appended and that entry's id is returned
    /// with `duplicate: true` (the oldest such entry if the UUID was written more than once). Otherwise as
    /// [`Backend::append`]; `Ok(None)` with `no_mkstream` on a missing topic. Retrying a publish after a timeout is
    /// therefore safe.
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

    /// The id of the oldest entry of the topic whose `id` field is this UUID, or `None` (also for a missing
    /// topic). Entries written by any producer count, and an entry removed by a delete, trim or expiry is no
    /// longer found (a later holder of the same UUID is).
    async fn lookup(&self, topic: &Topic, uuid: Uuid) -> Result<Option<EntryId>>;

    // ---- Reading ------------------------------------------------------------------------------------------------

    /// The entries from `start` to `end` in id order, at most `count` (`None` or 0: all), as `XRANGE`: bounds are
    /// inclusive unless exclusive (`(id`); an empty interval (start above end) gives nothing; a missing topic
    /// gives nothing.
    async fn range(&self, topic: &Topic, start: RangeBound, end: RangeBound, count: Option<u64>) -> Result<Vec<Entry>>;

    /// The entries from `end` down to `start`, newest first, at most `count`, as `XREVRANGE`.
    async fn rev_range(
        &self,
        topic: &Topic,
        end: RangeBound,
        start: RangeBound,
        count: Option<u64>,
    ) -> Result<Vec<Entry>>;

    /// The entries after each cursor, over one or several topics, as `XREAD`: at most `options.count` per topic;
    /// only topics that had entries are listed, in the order given; `$` means "after the topic's last id, now".
    /// With `options.block` and nothing to return, waits (zero: forever) for an append to one of the topics and
    /// returns that topic's new entries, or [`ReadReply::TimedOut`]; readers blocked on a topic are served in
    /// the order they blocked.
    async fn read(&self, cursors: &[(Topic, ReadCursor)], options: &ReadOptions) -> Result<ReadReply<Entry>>;

    // ---- Consumer groups ----------------------------------------------------------------------------------------

    /// Creates a consumer group, as `XGROUP CREATE`: its last-delivered id is `start` (`$`: the topic's last id),
    /// its entries-read counter `options.entries_read` (unknown by default, which decides how lag is reported).
    /// The topic must exist unless `options.mkstream` (which creates it empty); the name must be new.
    async fn group_create(
        &self,
        topic: &Topic,
        group: &str,
        start: GroupStart,
        options: &GroupCreateOptions,
    ) -> Result<()>;

    /// Destroys a group with its consumers and pending entries, as `XGROUP DESTROY`: true if it existed. Readers
    /// blocked on it fail with NOGROUP.
    async fn group_destroy(&self, topic: &Topic, group: &str) -> Result<bool>;

    /// Moves a group's last-delivered id, as `XGROUP SETID`, and sets (or, without `entries_read`, forgets) its
    /// entries-read counter. Pending entries are untouched.
    async fn group_set_id(&self, topic: &Topic, group: &str, id: GroupStart, entries_read: Option<u64>) -> Result<()>;

    /// Creates a consumer in a group without reading, as `XGROUP CREATECONSUMER`: true if it was created, false
    /// if it existed.
    async fn consumer_create(&self, topic: &Topic, group: &str, consumer: &str) -> Result<bool>;

    /// Deletes a consumer, as `XGROUP DELCONSUMER`, returning the number of pending entries it still owned: they
    /// are dropped from the group's pending list (nobody will claim them).
    async fn consumer_delete(&self, topic: &Topic, group: &str, consumer: &str) -> Result<u64>;

    /// Deletes a consumer only if it owns no pending entries and has been idle (XINFO CONSUMERS's idle) at least
    /// `min_idle`, checked and done as one atomic step: a check followed by a separate delete could drop entries
    /// delivered to the consumer in between. Says what it did ([`ConsumerDelete`]). Fails like XINFO CONSUMERS on
    /// a missing topic or group.
    async fn consumer_delete_if_idle(
        &self,
        topic: &Topic,
        group: &str,
        consumer: &str,
        min_idle: Duration,
    ) -> Result<ConsumerDelete>;

    /// Reads for a consumer of a group, as `XREADGROUP`, over one or several topics (the group must exist on
    /// each, checked before any is served). With [`GroupCursor::New`] (`>`): entries never delivered to the group,
    /// which move into the consumer's pending list (unless `options.no_ack`) and advance the group; blocking as
    /// [`Backend::read`] when there are none. With [`GroupCursor::History`]: the consumer's own pending entries
    /// after the id, each delivery counted again, entries deleted since delivery reported as
    /// [`GroupEntry::Deleted`]; history reads never block and list every topic.
    async fn read_group(
        &self,
        group: &str,
        consumer: &str,
        cursors: &[(Topic, GroupCursor)],
        options: &ReadGroupOptions,
    ) -> Result<ReadReply<GroupEntry>>;

    // ---- Pending entries and claims -----------------------------------------------------------------------------

    /// Acknowledges entries, as `XACK`: removes them from the group's pending list; returns how many were pending
    /// (ids given twice count once; unknown ids count nothing).
    async fn ack(&self, topic: &Topic, group: &str, ids: &[EntryId]) -> Result<u64>;

    /// The group's pending list in summary, as `XPENDING key group`: count, smallest and largest id, and the
    /// consumers that own entries with how many each.
    async fn pending_summary(&self, topic: &Topic, group: &str) -> Result<PendingSummary>;

    /// Pending entries in id order within the query's bounds, at most `count`, optionally only one consumer's and
    /// only those idle at least `min_idle`, as `XPENDING`'s extended form: owner, idle time, delivery count each.
    async fn pending(&self, topic: &Topic, group: &str, query: &PendingQuery) -> Result<Vec<PendingEntry>>;

    /// Takes pending entries idle at least `min_idle` over for `consumer`, as `XCLAIM`: each claimed entry's
    /// delivery count grows by one (not with `JUSTID`) and its idle time restarts (or is set by IDLE/TIME);
    /// entries no longer in the stream are dropped from the pending list instead; with FORCE, ids not pending
    /// are claimed if they exist; LASTID raises the group's last-delivered id.
    async fn claim(
        &self,
        topic: &Topic,
        group: &str,
        consumer: &str,
        min_idle: Duration,
        ids: &[EntryId],
        options: &ClaimOptions,
    ) -> Result<Claimed>;

    /// Scans the pending list from `start` and claims for `consumer` up to COUNT entries idle at least `min_idle`,
    /// as `XAUTOCLAIM`: returns the cursor for the next call (`0-0` at the end), what was claimed, and the ids of
    /// pending entries whose entries no longer exist (removed from the pending list on the way).
    async fn auto_claim(
        &self,
        topic: &Topic,
        group: &str,
        consumer: &str,
        min_idle: Duration,
        start: RangeBound,
        options: &AutoClaimOptions,
    ) -> Result<AutoClaimed>;

    // ---- Deleting, trimming and keys ----------------------------------------------------------------------------

    /// Deletes entries by id, as `XDEL`: returns how many existed. Pending entries that pointed at them stay
    /// pending (history reads report them deleted). The topic's last id is kept; the largest deleted id is recorded.
    async fn delete(&self, topic: &Topic, ids: &[EntryId]) -> Result<u64>;

    /// Removes the oldest entries, as `XTRIM`: down to MAXLEN entries, or below MINID; with `~`, only whole nodes
    /// (as Redis lays them out), bounded by LIMIT. Returns how many were removed.
    async fn trim(&self, topic: &Topic, trim: &Trim) -> Result<u64>;

    /// The number of entries, as `XLEN` (0 for a missing topic).
    async fn len(&self, topic: &Topic) -> Result<u64>;

    /// Deletes the topic with its groups (and whatever the backend keeps beside it, such as a UUID index), as
    /// `DEL`: true if it existed. Readers blocked on it in a group fail with
    /// [`Error::TopicDeleted`](crate::Error::TopicDeleted); plain readers keep waiting for the topic to be
    /// created again.
    async fn drop_topic(&self, topic: &Topic) -> Result<bool>;

    /// Sets the topic's time to live, as `PEXPIRE` (of the topic and whatever the backend keeps beside it): the
    /// topic is deleted, as by [`Backend::drop_topic`], once `ttl` has passed without another call. Returns false
    /// when the topic does not exist. Writes to the topic keep its deadline; a topic created anew has none. A zero
    /// TTL deletes at once.
    async fn expire_topic(&self, topic: &Topic, ttl: Duration) -> Result<bool>;

    /// The time left before the topic expires, as `PTTL`, or `None` when it does not exist or has no deadline.
    async fn topic_ttl(&self, topic: &Topic) -> Result<Option<Duration>>;

    // ---- Inspection ---------------------------------------------------------------------------------------------

    /// The topic's stream-level state, as `XINFO STREAM`: length, last generated id (which survives deleting that
    /// entry), largest deleted id, entries ever added, number of groups, first and last entry.
    async fn stream_info(&self, topic: &Topic) -> Result<StreamInfo>;

    /// Every group of the topic in name order, as `XINFO GROUPS`: consumers, pending count, last-delivered id,
    /// entries-read and lag (each `None` where Redis cannot tell).
    async fn groups_info(&self, topic: &Topic) -> Result<Vec<GroupInfo>>;

    /// Every consumer of the group in name order, as `XINFO CONSUMERS`: pending count and idle time.
    async fn consumers_info(&self, topic: &Topic, group: &str) -> Result<Vec<ConsumerInfo>>;
}
