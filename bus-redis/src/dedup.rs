//! [`RedisDedup`]: the Redis-backed idempotency helper keyed by the canonical message UUID.
//!
//! Delivery is at least once, so a handler can see a message twice: after a crash between its side effect and
//! its ack, after another replica claimed an entry it thought abandoned, or when a producer's retried publish
//! slipped past the index. The runtime's in-memory helper (`bus_runtime::RecentUuids`) catches duplicates that
//! reach the same process within a bounded window. This one keeps the UUIDs in Redis with an expiry, so it
//! catches duplicates across replicas and restarts. It lives here because the runtime does not depend on a
//! backend; with this crate's `runtime` feature it is a `bus_runtime::SeenUuids` store, so the runtime's
//! `DedupLayer` runs on it (checked with `contains` before the handler, marked with `first_time` after it
//! succeeded).

use std::time::Duration;

use bus_core::{Error, Result, Topic};
use redis::Value;
use uuid::Uuid;

use crate::RedisBackend;
use crate::args::millis;
use crate::error::Ctx;
use crate::keys;

/// Remembers message UUIDs in Redis for a while, so handlers on any replica can skip duplicates.
///
/// Each UUID is one string key, `<key_prefix>dedup:<namespace>:{<uuid>}` (the backend's
/// [`RedisOptions::key_prefix`](crate::RedisOptions::key_prefix), then a namespace such as the consumer group,
/// so two groups handling the same message do not skip each other's work), set with `SET key 1 NX PX <ttl>`:
/// one atomic command that both tests and marks, and a key that expires by itself `ttl` after it was set.
/// The braces make the key impossible to confuse with a topic's keys (topic names cannot hold braces) and
/// spread the keys over a Redis Cluster by UUID.
///
/// # Compared with `bus_runtime::RecentUuids`
/// | | `RecentUuids` (in memory) | `RedisDedup` |
/// | --- | --- | --- |
/// | sees duplicates handled by | this process only | every replica sharing the server and prefix |
/// | survives a restart of the process | no | yes (and a Redis restart, if Redis persists) |
/// | bounded by | a count (the oldest is forgotten first) | time (each UUID expires `ttl` after it was marked) |
/// | cost per check | a mutex, no I/O | one round trip to Redis, and a key per UUID until it expires |
/// | when Redis is unreachable | unaffected | the check fails with the backend's error |
///
/// Pick the TTL longer than the longest time a duplicate can arrive after the first delivery: the retry
/// schedule up to `max_deliveries`, plus the claim idle time after a crash, plus how long producers retry
/// publishes. Combining both helpers is common: the memory one first (free), Redis only on a miss.
///
/// # Using it in a handler
/// [`first_time`](RedisDedup::first_time) marks the UUID as it checks it. If the work can fail and must then
/// be retried, call [`forget`](RedisDedup::forget) on failure, so the retry is not skipped; or, when a
/// duplicate run must be avoided only after success, check with [`contains`](RedisDedup::contains) first and
/// mark with `first_time` once the work succeeded (two round trips, and two concurrent deliveries may both
/// run). A [`first_time`](RedisDedup::first_time) that fails with a timeout may still have set the key
/// (`may_have_executed`): retrying it then answers `false`, so treat such a failure as "unknown" and let the
/// entry be redelivered, with the work idempotent or the UUID forgotten first.
///
/// ```no_run
/// # async fn handler(backend: bus_redis::RedisBackend, message: bus_core::Message) -> bus_core::Result<()> {
/// use std::time::Duration;
/// let dedup = backend.dedup("workers", Duration::from_secs(24 * 3600))?;
/// if !dedup.first_time(message.id()).await? {
///     return Ok(()); // another delivery of this message already ran (here or on another replica)
/// }
/// if let Err(err) = do_the_work(&message).await {
///     dedup.forget(message.id()).await?; // let the retry run it again
///     return Err(err);
/// }
/// # Ok(()) }
/// # async fn do_the_work(_: &bus_core::Message) -> bus_core::Result<()> { Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct RedisDedup {
    backend: RedisBackend,
    namespace: String,
    ttl: Duration,
}

impl RedisDedup {
    /// A helper storing its keys through `backend` (its connection and key prefix) under `namespace`, each
    /// expiring `ttl` after it was set.
    ///
    /// Fails when the namespace is empty or holds white space, control characters or braces (the rules of
    /// topic names), or when `ttl` is under a millisecond.
    pub fn new(backend: &RedisBackend, namespace: &str, ttl: Duration) -> Result<RedisDedup> {
        Topic::new(namespace).map_err(|_| {
            Error::invalid_argument(format!(
                "invalid dedup namespace {namespace:?}: it must be non-empty, without white space, control \
                 characters or braces"
            ))
        })?;
        if ttl < Duration::from_millis(1) {
            return Err(Error::invalid_argument("the dedup ttl must be at least 1 ms"));
        }
        Ok(RedisDedup {
            backend: backend.clone(),
            namespace: namespace.to_owned(),
            ttl,
        })
    }

    /// The namespace given at construction.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// How long a UUID is remembered after it was marked.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The key remembering `uuid`: `<key_prefix>dedup:<namespace>:{<uuid>}`.
    pub fn key(&self, uuid: Uuid) -> String {
        keys::dedup(&self.backend.options().key_prefix, &self.namespace, uuid)
    }

    fn ctx(&self, command: &'static str) -> Ctx<'_> {
        let options = self.backend.options();
        Ctx::multi(command, Vec::new(), &options.key_prefix, options.response_timeout)
    }

    /// Marks `uuid` as seen (for `ttl`) and says whether this is the first time within the TTL: true when it
    /// was not marked, false for a duplicate. One `SET key 1 NX PX <ttl>`.
    pub async fn first_time(&self, uuid: Uuid) -> Result<bool> {
        let ctx = self.ctx("SET");
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.key(uuid))
            .arg("1")
            .arg("NX")
            .arg("PX")
            .arg(millis(self.ttl));
        match self.backend.query(&ctx, &cmd).await? {
            Value::Okay => Ok(true),
            Value::Nil => Ok(false),
            Value::SimpleString(s) if s == "OK" => Ok(true),
            other => Err(ctx.protocol(format!("OK or nil expected, got {other:?}"))),
        }
    }

    /// Whether `uuid` is marked (and not yet expired). Marks nothing.
    pub async fn contains(&self, uuid: Uuid) -> Result<bool> {
        let ctx = self.ctx("EXISTS");
        let mut cmd = redis::cmd("EXISTS");
        cmd.arg(self.key(uuid));
        match self.backend.query(&ctx, &cmd).await? {
            Value::Int(n) => Ok(n > 0),
            other => Err(ctx.protocol(format!("an integer expected, got {other:?}"))),
        }
    }

    /// Unmarks `uuid` (for example when the work it marked failed and must run again); true if it was marked.
    pub async fn forget(&self, uuid: Uuid) -> Result<bool> {
        let ctx = self.ctx("DEL");
        let mut cmd = redis::cmd("DEL");
        cmd.arg(self.key(uuid));
        match self.backend.query(&ctx, &cmd).await? {
            Value::Int(n) => Ok(n > 0),
            other => Err(ctx.protocol(format!("an integer expected, got {other:?}"))),
        }
    }
}

/// The store of the runtime's `DedupLayer`: `seen` is [`contains`](RedisDedup::contains), `mark` is
/// [`first_time`](RedisDedup::first_time).
#[cfg(feature = "runtime")]
impl bus_runtime::SeenUuids for RedisDedup {
    fn seen(&self, uuid: Uuid) -> bus_runtime::handler::SeenFuture<'_, bool> {
        Box::pin(self.contains(uuid))
    }

    fn mark(&self, uuid: Uuid) -> bus_runtime::handler::SeenFuture<'_, ()> {
        Box::pin(async move { self.first_time(uuid).await.map(drop) })
    }
}
