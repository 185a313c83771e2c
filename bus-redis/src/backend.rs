//! [`RedisBackend`]: every [`Backend`] method as the Redis 7.0 command it is named after.
//!
//! This module is the map of the crate: each method checks its arguments with bus-core's validators first (so
//! argument errors come before key errors exactly as on the other backends), builds its command from
//! [`crate::keys`] and [`crate::args`], runs it, and parses the reply with [`crate::reply`], errors mapped by
//! [`crate::error`]. Non-blocking commands share one auto-reconnecting multiplexed connection
//! ([`ConnectionManager`]); blocking reads lease dedicated connections and run in chunks
//! ([`crate::blocking`]). What needs more than one command lives in its own module: writes
//! ([`crate::publish`]: the idempotent publish script, plain XADDs, batches) and lookups by UUID
//! ([`crate::lookup`]); trims and the conditional consumer delete run scripts of [`crate::scripts`] so the
//! UUID index stays atomic with the stream.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bus_core::message::uuid_of;
use bus_core::options::{validate_entries_read, validate_ids};
use bus_core::{
    AppendOptions, AutoClaimOptions, AutoClaimed, Backend, ClaimOptions, Claimed, ConsumerDelete, ConsumerInfo, Entry,
    EntryId, Error, Fields, GroupCommand, GroupCreateOptions, GroupCursor, GroupEntry, GroupInfo, GroupStart, Message,
    PendingEntry, PendingQuery, PendingSummary, Published, RangeBound, ReadCursor, ReadGroupOptions, ReadOptions,
    ReadReply, Result, StreamInfo, Topic, Trim,
};
use redis::{Cmd, Value};
use uuid::Uuid;

use crate::args::{self, millis};
use crate::blocking::{Nodes, Pool};
use crate::cluster::SlotMap;
use crate::connect::{self, Endpoint, Target};
use crate::error::Ctx;
use crate::keys::{self, TopicKeys};
use crate::options::RedisOptions;
use crate::redact::{Secrets, redact_url};
use crate::reply;
use crate::scripts::Scripts;
use crate::shared::Shared;
use crate::spread;
use tokio::sync::watch;

/// The bus on a Redis (7.0 or later) server.
///
/// Cheap to clone: clones share the connections. See the crate documentation for the key layout and the UUID
/// index.
///
/// ```no_run
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> bus_core::Result<()> {
/// use bus_redis::{RedisBackend, RedisOptions};
///
/// // Keys under `app:`, so several applications can share one server.
/// let backend = RedisBackend::connect("redis://127.0.0.1:6379/0", RedisOptions::new().key_prefix("app:")).await?;
/// let bus = bus_core::Bus::new(backend);
/// let topic = bus_core::Topic::chat_agent("DevAgent")?;
/// let published = bus.publish(&topic, &serde_json::json!({"content": "hi"})).await?;
/// println!("published as entry {}", published.entry_id);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisBackend {
    inner: Arc<Inner>,
}

struct Inner {
    conn: Shared,
    /// The masters' slots, on a cluster (empty on one server).
    slots: SlotMap,
    pool: Arc<Pool>,
    scripts: Scripts,
    options: RedisOptions,
    /// The URL with its password redacted: the only form ever printed.
    url: String,
}

impl fmt::Debug for RedisBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisBackend")
            .field("url", &self.inner.url)
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

impl RedisBackend {
    /// Connects to `url` (`redis://[user:password@]host[:port][/db]`, `rediss://…` with TLS,
    /// `redis+unix:///path/to/socket[?db=n&user=u&pass=p]`, or a Redis Cluster:
    /// `redis+cluster://[user:password@]host:port[,host:port…]`, `rediss+cluster://…`). The URL's password
    /// never appears in `Debug` output or error messages. Failures no retry can fix come back at once as
    /// [`Error::Config`]; others are retried within [`RedisOptions::connect_timeout`] (see the crate
    /// documentation, "Connecting").
    pub async fn connect(url: &str, options: RedisOptions) -> Result<RedisBackend> {
        options.validate()?;
        let redacted = redact_url(url);
        let secrets = Secrets::of(url);
        let target = Target {
            url,
            redacted: &redacted,
            secrets: &secrets,
        };
        let endpoint = connect::endpoint(&target, &options)?;
        let conn = connect::establish(&endpoint, &target, &options).await?;
        let nodes = match endpoint {
            Endpoint::Single(client) => Nodes::Single(client),
            Endpoint::Cluster(_, url) => Nodes::Cluster {
                url,
                options: options.clone(),
            },
        };
        let pool = Arc::new(Pool::new(nodes, conn.clone(), &options));
        Ok(RedisBackend {
            inner: Arc::new(Inner {
                conn,
                slots: SlotMap::default(),
                pool,
                scripts: Scripts::new(),
                options,
                url: redacted,
            }),
        })
    }

    /// The options in force.
    pub fn options(&self) -> &RedisOptions {
        &self.inner.options
    }

    /// The shared multiplexed connection, for the modules that send pipelines or scripts of their own.
    pub(crate) fn connection(&self) -> Shared {
        self.inner.conn.clone()
    }

    /// Whether the backend is on a Redis Cluster.
    pub fn is_cluster(&self) -> bool {
        self.inner.conn.is_cluster()
    }

    /// The hash slot of a topic's keys (all three share it), as Redis Cluster computes it.
    pub(crate) fn slot_of(&self, topic: &Topic) -> u16 {
        crate::cluster::slot(&self.stream_key(topic))
    }

    /// The node a blocking read of `topic` must go to: the master of its slot on a cluster (from the slot map,
    /// filled from `CLUSTER SLOTS` when it does not know the slot), the one server otherwise (empty address).
    pub(crate) async fn node_of(&self, ctx: &Ctx<'_>, topic: &Topic) -> Result<String> {
        if !self.is_cluster() {
            return Ok(String::new());
        }
        let slot = self.slot_of(topic);
        if let Some(node) = self.inner.slots.master(slot) {
            return Ok(node);
        }
        self.refresh_slots(ctx).await?;
        self.inner.slots.master(slot).ok_or_else(|| Error::Backend {
            message: format!(
                "CLUSTERDOWN no master serves slot {slot} (topic {topic}) during {}",
                ctx.operation()
            ),
            retryable: true,
        })
    }

    /// Reloads the slot map from `CLUSTER SLOTS` (after MOVED/ASK or a broken dedicated connection).
    pub(crate) async fn refresh_slots(&self, ctx: &Ctx<'_>) -> Result<()> {
        let reply = self.query(ctx, redis::cmd("CLUSTER").arg("SLOTS")).await?;
        self.inner.slots.update(&reply).map_err(|what| ctx.protocol(what))
    }

    /// The loaded scripts.
    pub(crate) fn scripts(&self) -> &Scripts {
        &self.inner.scripts
    }

    /// An idempotency helper on this backend's server and key prefix: see [`RedisDedup`](crate::RedisDedup).
    pub fn dedup(&self, namespace: &str, ttl: Duration) -> Result<crate::RedisDedup> {
        crate::RedisDedup::new(self, namespace, ttl)
    }

    /// The stream key of a topic: the [key prefix](RedisOptions::key_prefix) followed by the topic name. This
    /// is the key other clients (`redis-cli`, producers in other languages) read and write.
    ///
    /// ```no_run
    /// # async fn example() -> bus_core::Result<()> {
    /// use bus_core::Topic;
    /// use bus_redis::{RedisBackend, RedisOptions};
    ///
    /// let options = RedisOptions::new().key_prefix("app:");
    /// let backend = RedisBackend::connect("redis://127.0.0.1:6379", options).await?;
    /// let topic = Topic::new("chat:42")?;
    /// assert_eq!(backend.stream_key(&topic), "app:chat:42");
    /// let (ids, order) = backend.index_keys(&topic);
    /// assert_eq!(ids, "{app:chat:42}:ids");
    /// assert_eq!(order, "{app:chat:42}:ids:order");
    /// # Ok(()) }
    /// ```
    pub fn stream_key(&self, topic: &Topic) -> String {
        keys::stream(&self.inner.options.key_prefix, topic.as_str())
    }

    /// The UUID index keys of a topic: the hash `{<stream key>}:ids` (`uuid -> entry ids`) and its order set
    /// `{<stream key>}:ids:order`, hash-tagged by the stream key so a Redis Cluster keeps them in the
    /// stream's slot. Together with [`stream_key`](Self::stream_key) they are all the keys a topic uses:
    /// what to delete to remove a topic by hand.
    /// See [`stream_key`](Self::stream_key) for an example.
    pub fn index_keys(&self, topic: &Topic) -> (String, String) {
        let TopicKeys { ids, order, .. } = self.keys(topic);
        (ids, order)
    }

    /// All three keys of a topic.
    pub(crate) fn keys(&self, topic: &Topic) -> TopicKeys {
        TopicKeys::new(&self.inner.options.key_prefix, topic)
    }

    /// The context of a command on one topic; every command starts here, so this is where a topic the bus
    /// cannot store is refused (see [`keys::check_topic`]).
    pub(crate) fn ctx<'a>(&'a self, command: &'static str, topic: &'a Topic) -> Result<Ctx<'a>> {
        keys::check_topic(topic)?;
        Ok(Ctx::new(
            command,
            topic,
            &self.inner.options.key_prefix,
            self.inner.options.response_timeout,
        ))
    }

    /// The context of a command on several topics, refusing any the bus cannot store.
    fn multi_ctx<'a>(&'a self, command: &'static str, topics: Vec<&'a Topic>) -> Result<Ctx<'a>> {
        topics.iter().try_for_each(|topic| keys::check_topic(topic))?;
        Ok(Ctx::multi(
            command,
            topics,
            &self.inner.options.key_prefix,
            self.inner.options.response_timeout,
        ))
    }

    /// Runs one command on the shared connection, its errors mapped for `ctx`.
    pub(crate) async fn query(&self, ctx: &Ctx<'_>, cmd: &Cmd) -> Result<Value> {
        let mut conn = self.inner.conn.clone();
        cmd.query_async::<Value>(&mut conn).await.map_err(|err| ctx.map(err))
    }

    /// Runs one of the scripts on `topic`'s keys (stream, index hash, index order); `args` adds its arguments.
    pub(crate) async fn script(
        &self,
        ctx: &Ctx<'_>,
        script: &redis::Script,
        topic: &Topic,
        args: impl FnOnce(&mut redis::ScriptInvocation<'_>),
    ) -> Result<Value> {
        let mut invocation = self.keys(topic).invocation(script);
        args(&mut invocation);
        let mut conn = self.inner.conn.clone();
        invocation
            .invoke_async::<Value>(&mut conn)
            .await
            .map_err(|err| ctx.map(err))
    }

    /// XREAD of cursors whose topics share a slot (all of them, on one server).
    async fn read_part(
        &self,
        cursors: &[(Topic, ReadCursor)],
        options: &ReadOptions,
        stop: Option<watch::Receiver<bool>>,
    ) -> Result<ReadReply<Entry>> {
        let topics: Vec<&Topic> = cursors.iter().map(|(t, _)| t).collect();
        let ctx = self.multi_ctx("XREAD", topics.clone())?;
        let keys = keys::topics_by_key(&self.inner.options.key_prefix, cursors);
        let prefix = &self.inner.options.key_prefix;
        let build = |cursors: &[(Topic, ReadCursor)], block| args::xread(prefix, cursors, options.count, block);
        let value = match options.block {
            None => match self.query(&ctx, &build(cursors, None)).await {
                Ok(Value::Nil) => return Ok(ReadReply::Topics(Vec::new())),
                Ok(value) => value,
                Err(err) => return Err(self.locate(&topics, err).await),
            },
            Some(block) => {
                let resolved = self.cursors_for_chunks(&ctx, cursors, block).await?;
                let node = self.node_of(&ctx, topics[0]).await?;
                let result = self
                    .inner
                    .pool
                    .block(&ctx, &node, block, stop, |ms| build(&resolved, Some(ms)))
                    .await;
                match result {
                    Ok(Value::Nil) => return Ok(ReadReply::TimedOut),
                    Ok(value) => value,
                    Err((err, _)) => return Err(self.after_blocking_error(&ctx, &topics, err).await),
                }
            }
        };
        reply::per_topic(&ctx, value, &keys, reply::entry).map(ReadReply::Topics)
    }

    /// XREADGROUP of cursors whose topics share a slot (all of them, on one server).
    async fn read_group_part(
        &self,
        group: &str,
        consumer: &str,
        cursors: &[(Topic, GroupCursor)],
        options: &ReadGroupOptions,
        stop: Option<watch::Receiver<bool>>,
    ) -> Result<ReadReply<GroupEntry>> {
        let topics: Vec<&Topic> = cursors.iter().map(|(t, _)| t).collect();
        let ctx = self
            .multi_ctx("XREADGROUP", topics.clone())?
            .group(group, GroupCommand::ReadGroup);
        let keys = keys::topics_by_key(&self.inner.options.key_prefix, cursors);
        let prefix = &self.inner.options.key_prefix;
        let build = |block| args::xreadgroup(prefix, group, consumer, cursors, options, block);
        let value = match options.block {
            None => match self.query(&ctx, &build(None)).await {
                Ok(Value::Nil) => return Ok(ReadReply::Topics(Vec::new())),
                Ok(value) => value,
                Err(err) => return Err(self.locate(&topics, err).await),
            },
            Some(block) => {
                let node = self.node_of(&ctx, topics[0]).await?;
                match self
                    .inner
                    .pool
                    .block(&ctx, &node, block, stop, |ms| build(Some(ms)))
                    .await
                {
                    Ok(Value::Nil) => return Ok(ReadReply::TimedOut),
                    Ok(value) => value,
                    Err((err, later_chunk)) => {
                        let err = if later_chunk {
                            self.between_chunks(err).await
                        } else {
                            err
                        };
                        return Err(self.after_blocking_error(&ctx, &topics, err).await);
                    }
                }
            }
        };
        reply::per_topic(&ctx, value, &keys, reply::group_entry).map(ReadReply::Topics)
    }

    /// Before a group read split over several slots: Redis checks every key (type, then group) in the order
    /// given before it serves any, so a read that fails moves nothing and creates no consumer. The split read
    /// checks the same with one XINFO GROUPS per topic first. (A group destroyed between this check and the
    /// reads is reported by the read of its slot, after the other slots were served.)
    async fn check_groups(&self, group: &str, cursors: &[(Topic, GroupCursor)]) -> Result<()> {
        for (topic, _) in cursors {
            match self.groups_info(topic).await {
                Ok(groups) if groups.iter().any(|g| g.name == group) => {}
                Ok(_) | Err(Error::NoSuchTopic { .. }) => {
                    return Err(Error::NoGroup {
                        topic: topic.to_string(),
                        group: group.to_owned(),
                        command: GroupCommand::ReadGroup,
                    });
                }
                Err(err) => return Err(err),
            }
        }
        Ok(())
    }

    /// After a dedicated read failed: on a cluster, a redirection or a broken node connection means the slot
    /// map may be stale, so it is reloaded (the error stays retryable); then the topic is located as usual.
    async fn after_blocking_error(&self, ctx: &Ctx<'_>, topics: &[&Topic], err: Error) -> Error {
        let stale = match &err {
            Error::Backend { message, .. } => message.starts_with("MOVED") || message.starts_with("ASK"),
            Error::Connection { .. } | Error::Timeout { .. } => true,
            _ => false,
        };
        if self.is_cluster() && stale {
            let _ = self.refresh_slots(ctx).await;
        }
        self.locate(topics, err).await
    }

    /// For an error of a multi-topic command that Redis reports without naming the key (WRONGTYPE, UNBLOCKED,
    /// the NOGROUP of a blocked read), finds the topic it concerns with one TYPE per topic, or for the NOGROUP one
    /// XINFO GROUPS per topic up to the first that lacks the group (on the error path only).
    async fn locate(&self, topics: &[&Topic], err: Error) -> Error {
        if topics.len() < 2 {
            return err;
        }
        if let Error::NoGroup {
            group,
            command: GroupCommand::Blocked,
            ..
        } = &err
        {
            for topic in topics {
                let has_group = self
                    .groups_info(topic)
                    .await
                    .is_ok_and(|groups| groups.iter().any(|g| &g.name == group));
                if !has_group {
                    return Error::NoGroup {
                        topic: topic.to_string(),
                        group: group.clone(),
                        command: GroupCommand::Blocked,
                    };
                }
            }
            return err;
        }
        let wanted = match &err {
            Error::WrongType { .. } => |kind: &str| kind != "stream" && kind != "none",
            Error::TopicDeleted { .. } => |kind: &str| kind == "none",
            _ => return err,
        };
        // One TYPE per topic, not a pipeline: on a cluster the topics may sit in different slots.
        let mut kinds = Vec::with_capacity(topics.len());
        for topic in topics {
            let mut cmd = redis::cmd("TYPE");
            cmd.arg(self.stream_key(topic));
            let mut conn = self.inner.conn.clone();
            let Ok(kind) = cmd.query_async::<String>(&mut conn).await else {
                return err;
            };
            kinds.push(kind);
        }
        let Some(found) = topics
            .iter()
            .zip(kinds)
            .find(|(_, kind)| wanted(kind))
            .map(|(t, _)| t.to_string())
        else {
            return err;
        };
        match err {
            Error::WrongType { .. } => Error::WrongType { topic: found },
            Error::TopicDeleted { .. } => Error::TopicDeleted { topic: found },
            other => other,
        }
    }
}

#[async_trait]
impl Backend for RedisBackend {
    async fn append(&self, topic: &Topic, fields: Fields, options: &AppendOptions) -> Result<Option<EntryId>> {
        options.validate()?;
        match uuid_of(&fields) {
            // Keep the index in step with entries that carry a message id, so publish and lookup see them.
            Some(uuid) => self.append_indexed(topic, uuid, &fields, options).await,
            None => self.append_plain(topic, &fields, options).await,
        }
    }

    async fn publish(&self, topic: &Topic, message: &Message, options: &AppendOptions) -> Result<Option<Published>> {
        options.validate()?;
        self.publish_one(topic, message, options).await
    }

    /// One round trip for the whole batch: in [`PublishMode::Indexed`](crate::PublishMode::Indexed), one
    /// MULTI/EXEC transaction of the publish script's EVALSHA calls (a second round trip only after the server
    /// lost its script cache, see the crate documentation); in [`PublishMode::Plain`](crate::PublishMode::Plain),
    /// a pipeline of XADDs. Every message is attempted; the first failure in batch order is returned (messages
    /// after it may be published: retry the batch).
    async fn publish_batch(
        &self,
        topic: &Topic,
        messages: &[Message],
        options: &AppendOptions,
    ) -> Result<Vec<Option<Published>>> {
        options.validate()?;
        if messages.is_empty() {
            return Ok(Vec::new());
        }
        self.publish_many(topic, messages, options).await
    }

    async fn lookup(&self, topic: &Topic, uuid: Uuid) -> Result<Option<EntryId>> {
        self.find(topic, uuid).await
    }

    async fn range(&self, topic: &Topic, start: RangeBound, end: RangeBound, count: Option<u64>) -> Result<Vec<Entry>> {
        let ctx = self.ctx("XRANGE", topic)?;
        let cmd = args::range("XRANGE", &self.stream_key(topic), start, end, count);
        reply::entries(&ctx, self.query(&ctx, &cmd).await?)
    }

    async fn rev_range(
        &self,
        topic: &Topic,
        end: RangeBound,
        start: RangeBound,
        count: Option<u64>,
    ) -> Result<Vec<Entry>> {
        let ctx = self.ctx("XREVRANGE", topic)?;
        let cmd = args::range("XREVRANGE", &self.stream_key(topic), end, start, count);
        reply::entries(&ctx, self.query(&ctx, &cmd).await?)
    }

    async fn read(&self, cursors: &[(Topic, ReadCursor)], options: &ReadOptions) -> Result<ReadReply<Entry>> {
        options.validate()?;
        options.validate_topics(cursors.len())?;
        self.multi_ctx("XREAD", cursors.iter().map(|(t, _)| t).collect())?;
        let read = |part: Vec<(Topic, ReadCursor)>, stop| async move { self.read_part(&part, options, stop).await };
        spread::read_across_slots(self, cursors, options.block.is_some(), read).await
    }

    async fn group_create(
        &self,
        topic: &Topic,
        group: &str,
        start: GroupStart,
        options: &GroupCreateOptions,
    ) -> Result<()> {
        options.validate()?;
        let ctx = self.ctx("XGROUP CREATE", topic)?.group(group, GroupCommand::Admin);
        let key = self.stream_key(topic);
        let cmd = args::xgroup_position("CREATE", &key, group, start, options.mkstream, options.entries_read);
        self.query(&ctx, &cmd).await.map(|_| ())
    }

    async fn group_destroy(&self, topic: &Topic, group: &str) -> Result<bool> {
        let ctx = self.ctx("XGROUP DESTROY", topic)?.group(group, GroupCommand::Admin);
        let mut cmd = redis::cmd("XGROUP");
        cmd.arg("DESTROY").arg(self.stream_key(topic)).arg(group);
        Ok(reply::uint(&ctx, self.query(&ctx, &cmd).await?)? > 0)
    }

    async fn group_set_id(&self, topic: &Topic, group: &str, id: GroupStart, entries_read: Option<u64>) -> Result<()> {
        validate_entries_read(entries_read)?;
        let ctx = self.ctx("XGROUP SETID", topic)?.group(group, GroupCommand::Admin);
        let cmd = args::xgroup_position("SETID", &self.stream_key(topic), group, id, false, entries_read);
        self.query(&ctx, &cmd).await.map(|_| ())
    }

    async fn consumer_create(&self, topic: &Topic, group: &str, consumer: &str) -> Result<bool> {
        let ctx = self
            .ctx("XGROUP CREATECONSUMER", topic)?
            .group(group, GroupCommand::Admin);
        let mut cmd = redis::cmd("XGROUP");
        cmd.arg("CREATECONSUMER")
            .arg(self.stream_key(topic))
            .arg(group)
            .arg(consumer);
        Ok(reply::uint(&ctx, self.query(&ctx, &cmd).await?)? > 0)
    }

    async fn consumer_delete_if_idle(
        &self,
        topic: &Topic,
        group: &str,
        consumer: &str,
        min_idle: Duration,
    ) -> Result<ConsumerDelete> {
        let ctx = self.ctx("XINFO CONSUMERS", topic)?.group(group, GroupCommand::Admin);
        let fill = |invocation: &mut redis::ScriptInvocation<'_>| {
            invocation.arg(group).arg(consumer).arg(millis(min_idle));
        };
        let value = self
            .script(&ctx, &self.inner.scripts.delete_idle_consumer, topic, fill)
            .await?;
        reply::consumer_delete(&ctx, value)
    }

    async fn consumer_delete(&self, topic: &Topic, group: &str, consumer: &str) -> Result<u64> {
        let ctx = self.ctx("XGROUP DELCONSUMER", topic)?.group(group, GroupCommand::Admin);
        let mut cmd = redis::cmd("XGROUP");
        cmd.arg("DELCONSUMER")
            .arg(self.stream_key(topic))
            .arg(group)
            .arg(consumer);
        reply::uint(&ctx, self.query(&ctx, &cmd).await?)
    }

    async fn read_group(
        &self,
        group: &str,
        consumer: &str,
        cursors: &[(Topic, GroupCursor)],
        options: &ReadGroupOptions,
    ) -> Result<ReadReply<GroupEntry>> {
        options.validate()?;
        options.validate_topics(cursors.len())?;
        self.multi_ctx("XREADGROUP", cursors.iter().map(|(t, _)| t).collect())?;
        if spread::by_slot(self, cursors).len() > 1 {
            self.check_groups(group, cursors).await?;
        }
        let read = |part: Vec<(Topic, GroupCursor)>, stop| async move {
            self.read_group_part(group, consumer, &part, options, stop).await
        };
        spread::read_across_slots(self, cursors, options.block.is_some(), read).await
    }

    async fn ack(&self, topic: &Topic, group: &str, ids: &[EntryId]) -> Result<u64> {
        validate_ids(ids, "xack")?;
        let ctx = self.ctx("XACK", topic)?.group(group, GroupCommand::Pending);
        let mut cmd = redis::cmd("XACK");
        cmd.arg(self.stream_key(topic)).arg(group);
        let cmd = args::with_ids(cmd, ids);
        reply::uint(&ctx, self.query(&ctx, &cmd).await?)
    }

    async fn pending_summary(&self, topic: &Topic, group: &str) -> Result<PendingSummary> {
        let ctx = self.ctx("XPENDING", topic)?.group(group, GroupCommand::Pending);
        let mut cmd = redis::cmd("XPENDING");
        cmd.arg(self.stream_key(topic)).arg(group);
        reply::pending_summary(&ctx, self.query(&ctx, &cmd).await?)
    }

    async fn pending(&self, topic: &Topic, group: &str, query: &PendingQuery) -> Result<Vec<PendingEntry>> {
        query.validate()?;
        let ctx = self.ctx("XPENDING", topic)?.group(group, GroupCommand::Pending);
        let cmd = args::xpending(&self.stream_key(topic), group, query);
        reply::pending_entries(&ctx, self.query(&ctx, &cmd).await?)
    }

    async fn claim(
        &self,
        topic: &Topic,
        group: &str,
        consumer: &str,
        min_idle: Duration,
        ids: &[EntryId],
        options: &ClaimOptions,
    ) -> Result<Claimed> {
        validate_ids(ids, "xclaim")?;
        // No `options.validate()`: Redis looks the key and group up before it parses the options, and words the
        // same errors itself.
        let ctx = self.ctx("XCLAIM", topic)?.group(group, GroupCommand::Pending);
        let cmd = args::xclaim(&self.stream_key(topic), group, consumer, min_idle, ids, options);
        reply::claimed(&ctx, self.query(&ctx, &cmd).await?, options.just_id)
    }

    async fn auto_claim(
        &self,
        topic: &Topic,
        group: &str,
        consumer: &str,
        min_idle: Duration,
        start: RangeBound,
        options: &AutoClaimOptions,
    ) -> Result<AutoClaimed> {
        options.validate()?;
        let ctx = self.ctx("XAUTOCLAIM", topic)?.group(group, GroupCommand::Pending);
        let cmd = args::xautoclaim(&self.stream_key(topic), group, consumer, min_idle, start, options);
        reply::auto_claimed(&ctx, self.query(&ctx, &cmd).await?, options.just_id)
    }

    async fn delete(&self, topic: &Topic, ids: &[EntryId]) -> Result<u64> {
        validate_ids(ids, "xdel")?;
        let ctx = self.ctx("XDEL", topic)?;
        let mut cmd = redis::cmd("XDEL");
        cmd.arg(self.stream_key(topic));
        let cmd = args::with_ids(cmd, ids);
        reply::uint(&ctx, self.query(&ctx, &cmd).await?)
    }

    async fn trim(&self, topic: &Topic, trim: &Trim) -> Result<u64> {
        trim.validate()?;
        let ctx = self.ctx("XTRIM", topic)?;
        let fill = |invocation: &mut redis::ScriptInvocation<'_>| {
            invocation.arg(self.inner.options.index_cleanup_batch);
            args::push_trim(trim, &mut |arg| {
                invocation.arg(arg);
            });
        };
        let value = self.script(&ctx, &self.inner.scripts.trim, topic, fill).await?;
        reply::uint(&ctx, value)
    }

    async fn len(&self, topic: &Topic) -> Result<u64> {
        let ctx = self.ctx("XLEN", topic)?;
        let mut cmd = redis::cmd("XLEN");
        cmd.arg(self.stream_key(topic));
        reply::uint(&ctx, self.query(&ctx, &cmd).await?)
    }

    async fn drop_topic(&self, topic: &Topic) -> Result<bool> {
        let ctx = self.ctx("DEL", topic)?;
        let keys = self.keys(topic);
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("DEL")
            .arg(&keys.stream)
            .cmd("DEL")
            .arg(&keys.ids)
            .arg(&keys.order);
        let mut conn = self.inner.conn.clone();
        let counts: Vec<u64> = pipe.query_async(&mut conn).await.map_err(|err| ctx.map(err))?;
        Ok(counts.first().copied().unwrap_or(0) > 0)
    }

    async fn expire_topic(&self, topic: &Topic, ttl: Duration) -> Result<bool> {
        let ctx = self.ctx("PEXPIRE", topic)?;
        let ms = millis(ttl);
        let keys = self.keys(topic);
        // The index keys expire with the stream, so an expired topic leaves nothing behind.
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("PEXPIRE")
            .arg(&keys.stream)
            .arg(ms)
            .cmd("PEXPIRE")
            .arg(&keys.ids)
            .arg(ms)
            .ignore()
            .cmd("PEXPIRE")
            .arg(&keys.order)
            .arg(ms)
            .ignore();
        let mut conn = self.inner.conn.clone();
        let set: Vec<u64> = pipe.query_async(&mut conn).await.map_err(|err| ctx.map(err))?;
        Ok(set.first().copied().unwrap_or(0) == 1)
    }

    async fn topic_ttl(&self, topic: &Topic) -> Result<Option<Duration>> {
        let ctx = self.ctx("PTTL", topic)?;
        let mut cmd = redis::cmd("PTTL");
        cmd.arg(self.stream_key(topic));
        let ms = reply::int(&ctx, self.query(&ctx, &cmd).await?)?;
        // -2: no such key; -1: no deadline.
        Ok(u64::try_from(ms).ok().map(Duration::from_millis))
    }

    async fn stream_info(&self, topic: &Topic) -> Result<StreamInfo> {
        let ctx = self.ctx("XINFO STREAM", topic)?;
        let mut cmd = redis::cmd("XINFO");
        cmd.arg("STREAM").arg(self.stream_key(topic));
        reply::stream_info(&ctx, self.query(&ctx, &cmd).await?)
    }

    async fn groups_info(&self, topic: &Topic) -> Result<Vec<GroupInfo>> {
        let ctx = self.ctx("XINFO GROUPS", topic)?;
        let mut cmd = redis::cmd("XINFO");
        cmd.arg("GROUPS").arg(self.stream_key(topic));
        reply::groups_info(&ctx, self.query(&ctx, &cmd).await?)
    }

    async fn consumers_info(&self, topic: &Topic, group: &str) -> Result<Vec<ConsumerInfo>> {
        let ctx = self.ctx("XINFO CONSUMERS", topic)?.group(group, GroupCommand::Admin);
        let mut cmd = redis::cmd("XINFO");
        cmd.arg("CONSUMERS").arg(self.stream_key(topic)).arg(group);
        reply::consumers_info(&ctx, self.query(&ctx, &cmd).await?)
    }
}
