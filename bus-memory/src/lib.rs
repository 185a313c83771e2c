//! An in-process emulator of Redis Streams: the whole `bus-core` [`Backend`] with Redis 7.0's semantics.
//!
//! Agents unit-test their bus code against [`MemoryBackend`] and get what a real Redis server would answer:
//! the same ids, delivery counts, pending lists, entries-read and lag, the same errors in the same words, and
//! the same blocking behaviour. It also serves single-process deployments that need no server.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> bus_core::Result<()> {
//! use bus_core::{Bus, GroupStart, EntryId, Topic};
//! use bus_memory::MemoryBackend;
//!
//! let bus = Bus::new(MemoryBackend::new());
//! let topic = Topic::chat_agent("DevAgent")?;
//! bus.ensure_group(&topic, "g1", GroupStart::Id(EntryId::MIN)).await?;
//! bus.publish(&topic, &serde_json::json!({"content": "hi"})).await?;
//!
//! let mut consumer = bus.consumer(topic, "g1", "c1");
//! let batch = consumer.read(10, None).await?;
//! assert_eq!(batch.len(), 1);
//! assert_eq!(consumer.ack(&[batch[0].entry_id()]).await?, 1);
//! # Ok(()) }
//! ```
//!
//! # Design
//! - Each key is a mutex-protected state in a `DashMap`; no lock is held across an await, and only RENAME holds
//!   two keys' locks (taken in name order, see `keyspace`).
//! - The message-UUID index is shared by all topics (see `index`) and updated inside each topic's critical section,
//!   so lookups take no topic lock.
//! - Entries live in nodes sized like Redis's listpacks (see `stream`), by the limits of [`NodeLayout`] (100
//!   entries by default; Redis's 4096-byte nodes with [`MemoryBackend::set_node_layout`], using Redis's listpack
//!   byte accounting); costs: append O(1), range O(log n + k), UUID lookup O(1), `>` read O(log n + k), ack
//!   O(log n) per id.
//! - Blocked readers wait in a FIFO queue per topic and are served by the append itself (see `blocking`).
//! - Time comes from [`bus_core::Clock`]: by default tokio's clock, so `tokio::time::pause()`/`advance()` move
//!   entry ids, idle times, block timeouts and key expiry together; with [`Clock::manual`] all of them move
//!   only when the clock is advanced.
//!
//! # Beyond the `Backend` trait: what a Redis server in front of this backend needs
//! - Keys of other types, each with the few commands that make type checks behave as in Redis: strings
//!   ([`set`](MemoryBackend::set), [`get`](MemoryBackend::get), [`incr_by`](MemoryBackend::incr_by),
//!   [`append_string`](MemoryBackend::append_string)), lists ([`push`](MemoryBackend::push),
//!   [`lrange`](MemoryBackend::lrange), …), sets ([`sadd`](MemoryBackend::sadd), …) and hashes
//!   ([`hset`](MemoryBackend::hset), …). A key holds one value of one type; a stream command on another type
//!   fails with [`Error::WrongType`], and so does a command of another type on a stream.
//! - The keyspace: [`key_type`](MemoryBackend::key_type), [`exists`](MemoryBackend::exists),
//!   [`del`](MemoryBackend::del), [`dbsize`](MemoryBackend::dbsize), [`flush`](MemoryBackend::flush),
//!   [`keys`](MemoryBackend::keys), [`scan`](MemoryBackend::scan), [`rename`](MemoryBackend::rename), and
//!   expiry on any key ([`pexpire_at`](MemoryBackend::pexpire_at), [`pttl`](MemoryBackend::pttl),
//!   [`deadline`](MemoryBackend::deadline),
//!   [`persist`](MemoryBackend::persist)). Keys are [`Topic`]s: [`Topic::from_redis_key`] makes one of any
//!   name Redis accepts.
//! - [`watch`](MemoryBackend::watch): per-key versions for WATCH.
//! - Blocked readers released as Redis 7.0 releases them (deletion, FLUSH, RENAME, a type change, expiry), from
//!   outside with an [`Unblocker`] (CLIENT UNBLOCK), and served at the end of a transaction
//!   ([`hold_wakeups`](MemoryBackend::hold_wakeups)); [`blocked_readers`](MemoryBackend::blocked_readers) counts
//!   them.
//!
//! # Deliberate deviations from Redis 7.0
//! - [`MemoryBackend::new`] lays nodes out as Redis does with `stream-node-max-bytes 0` (100 entries per node
//!   whatever their size), so approximate trims depend on entry counts only; Redis's default is 4096-byte nodes,
//!   which [`NodeLayout::REDIS_DEFAULT`] selects.
//! - After XSETID moves the last id below a deleted entry that heads a node, and appends then create a node whose
//!   first id is below it, Redis orders its nodes by first id and keeps appending to the highest one; here nodes
//!   stay in append order (entries are still found and listed in order).
//! - A rejected append never leaves an empty stream behind (Redis keeps the key it created when an entry is too
//!   large to store).
//! - A group destroy wakes only that group's blocked readers (Redis re-checks every reader of the key, which can
//!   hand an empty batch to a plain reader whose entries were deleted).
//! - A blocked XREAD is served only when it gets at least one entry (Redis answers a reader whose key now holds
//!   a stream with a last id past its cursor even when the entries after the cursor were deleted, e.g. after a
//!   RENAME onto its key or a group destroy, with an empty batch).
//! - Keys are UTF-8 text ([`Topic`]); Redis's binary keys that are not UTF-8 cannot be named. Values of strings,
//!   lists, sets and hashes are binary.
//! - Sorted sets are not emulated.
//! - [`append_string`](MemoryBackend::append_string) does not refuse a string growing past 512 MB (Redis:
//!   `ERR string exceeds maximum allowed size (proto-max-bulk-len)`).
//! - SMEMBERS lists a set in insertion order except for Redis's intset case (at most 512 members, all integers),
//!   which it lists in numeric order as Redis does; Redis's hashtable order is unspecified. HGETALL keeps
//!   insertion order (Redis's listpack order for small hashes).
//! - FLUSH, KEYS, SCAN and DBSIZE walk the keys one by one: they are not atomic with respect to commands running
//!   at the same time on other keys (a server makes them atomic by running them alone). DBSIZE is O(n).

mod access;
mod append;
mod backend;
mod blocking;
mod expiry;
mod group;
mod index;
mod info;
mod keys;
mod keyspace;
mod layout;
mod listpack;
mod rax;
mod read;
mod set_id;
mod stream;
mod transaction;
mod ttl;
mod types;
mod unblock;

use std::sync::Arc;
use std::time::Duration;

use bus_core::{
    Backend, Bus, Clock, ConsumerInfo, Entry, EntryId, Error, GroupInfo, PendingEntry, PendingQuery, ReadCursor,
    ReadOptions, Result, Topic,
};

use crate::index::UuidIndex;
pub use crate::info::{
    ConsumerFullInfo, ConsumerPendingEntry, FullPendingEntry, GroupFullInfo, NodeInfo, StreamFullInfo, StreamStorage,
};
use crate::keyspace::Keyspace;
pub use crate::layout::NodeLayout;
use crate::layout::NodeLimits;

pub use crate::keys::{ScanOptions, ScanPage};
pub use crate::keyspace::KeyType;
pub use crate::transaction::{KeyWatch, WakeupHold};
pub use crate::ttl::{ExpireCondition, KeyDeadline, KeyTtl};
pub use crate::types::{ListEnd, SetCondition, SetExpiry, SetOptions, SetReply};
pub use crate::unblock::{UnblockMode, Unblocker};

/// The in-memory backend. Cloning it shares the same topics.
#[derive(Clone, Debug)]
pub struct MemoryBackend {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    keyspace: Keyspace,
    layout: NodeLimits,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.keyspace.expiry.close();
    }
}

impl Default for MemoryBackend {
    fn default() -> Self {
        MemoryBackend::new()
    }
}

/// A consistent copy of one topic's state, for assertions in tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopicSnapshot {
    /// All entries, oldest first.
    pub entries: Vec<Entry>,
    /// The last generated id.
    pub last_generated_id: EntryId,
    /// Each group with its pending entries (ordered by id) and consumers.
    pub groups: Vec<GroupSnapshot>,
}

/// Storage figures of one topic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TopicStats {
    /// Live entries.
    pub entries: u64,
    /// Storage nodes (listpacks), within the backend's [`NodeLayout`]; see [`MemoryBackend::stream_nodes`].
    pub nodes: usize,
    /// Message UUIDs in the lookup index.
    pub indexed_uuids: usize,
}

/// One group in a [`TopicSnapshot`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupSnapshot {
    /// Name, position, entries-read and lag.
    pub info: GroupInfo,
    /// The pending entries list.
    pub pending: Vec<PendingEntry>,
    /// The consumers.
    pub consumers: Vec<ConsumerInfo>,
}

impl MemoryBackend {
    /// An empty backend on the wall clock (read through tokio's clock).
    pub fn new() -> MemoryBackend {
        MemoryBackend::with_clock(Clock::new())
    }

    /// An empty backend on a given clock, e.g. `Clock::starting_at(1_000)` for reproducible ids in tests, or
    /// [`Clock::manual`] for a backend whose time (ids, idle times, BLOCK timeouts, expiry) moves only when the
    /// clock is advanced.
    pub fn with_clock(clock: Clock) -> MemoryBackend {
        MemoryBackend {
            inner: Arc::new(Inner {
                keyspace: Keyspace::new(clock),
                layout: NodeLimits::default(),
            }),
        }
    }

    /// A [`Bus`] on this backend.
    pub fn bus(&self) -> Bus {
        Bus::new(self.clone())
    }

    fn keyspace(&self) -> &Keyspace {
        &self.inner.keyspace
    }

    fn index(&self) -> &UuidIndex {
        &self.inner.keyspace.index
    }

    fn now(&self) -> u64 {
        self.inner.keyspace.clock.now_ms()
    }

    /// The clock this backend reads (and, if it is [`Clock::manual`], the one to advance).
    pub fn clock(&self) -> &Clock {
        &self.inner.keyspace.clock
    }

    fn last_id(&self, topic: &Topic) -> Result<Option<EntryId>> {
        Ok(self
            .keyspace()
            .with(topic, |state| state.stream().map(|data| data.stream.last_id))?
            .flatten())
    }

    /// [`Backend::lookup`] without the boxed future of a trait-object call: the oldest entry of the topic holding
    /// the message UUID, in O(1) and without taking the topic's lock when the UUID is found.
    pub async fn lookup(&self, topic: &Topic, uuid: bus_core::Uuid) -> Result<Option<EntryId>> {
        // The index is read without the topic's lock, so expire what is due first (free without TTLs).
        self.keyspace().expire_due();
        match self.index().lookup(topic, &uuid) {
            Some(id) => Ok(Some(id)),
            // Only streams are indexed: a miss may be a key of another type, which is WRONGTYPE.
            None => self.keyspace().with(topic, |_| None).map(Option::flatten),
        }
    }

    /// Starts, once per backend, the task that expires topics at their deadline (see `expiry`). It holds the
    /// backend weakly and ends when the backend is dropped.
    fn start_sweeper(&self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if !self.keyspace().expiry.claim_sweeper() {
            return;
        }
        let expiry = Arc::clone(&self.keyspace().expiry);
        let clock = self.keyspace().clock.clone();
        let backend = Arc::downgrade(&self.inner);
        runtime.spawn(async move {
            while expiry.wait(&clock).await {
                let Some(inner) = backend.upgrade() else {
                    break;
                };
                inner.keyspace.expire_due();
            }
        });
    }

    /// Names of the keys that hold a stream, sorted (see [`keys`](Self::keys) for keys of every type).
    pub fn topics(&self) -> Vec<Topic> {
        self.keyspace().topics()
    }

    /// Storage figures of a topic, or `None` if it does not exist: they show memory staying bounded under trims.
    /// Counting the indexed UUIDs scans the whole index: this is for tests and diagnostics, not hot paths.
    pub fn stats(&self, topic: &Topic) -> Option<TopicStats> {
        let (entries, nodes) = self
            .keyspace()
            .with_slot(topic, |state| {
                let stream = &state.stream()?.stream;
                Some((stream.len(), stream.node_count()))
            })
            .flatten()?;
        Some(TopicStats {
            entries,
            nodes,
            indexed_uuids: self.index().count_for(topic),
        })
    }

    /// A copy of a topic's entries and groups, or `None` if it does not exist.
    pub async fn snapshot(&self, topic: &Topic) -> Result<Option<TopicSnapshot>> {
        let Some(last_generated_id) = self.last_id(topic)? else {
            return Ok(None);
        };
        let entries = self
            .range(topic, bus_core::RangeBound::MIN, bus_core::RangeBound::MAX, None)
            .await?;
        let mut groups = Vec::new();
        for info in self.groups_info(topic).await? {
            let pending = self
                .pending(topic, &info.name, &PendingQuery::all(u64::MAX >> 1))
                .await?;
            let consumers = self.consumers_info(topic, &info.name).await?;
            groups.push(GroupSnapshot {
                info,
                pending,
                consumers,
            });
        }
        Ok(Some(TopicSnapshot {
            entries,
            last_generated_id,
            groups,
        }))
    }

    /// Waits until the topic holds at least `len` entries; fails with [`Error::Timeout`] after `timeout` on the
    /// backend's clock. Wakes on appends (no polling), so it works on paused tokio time and on a manual clock.
    pub async fn wait_for_len(&self, topic: &Topic, len: u64, timeout: Duration) -> Result<u64> {
        let deadline = self.now().saturating_add(backend::millis(timeout));
        loop {
            let current = Backend::len(self, topic).await?;
            if current >= len {
                return Ok(current);
            }
            let remaining = Duration::from_millis(deadline.saturating_sub(self.now()));
            let after = self.last_id(topic)?.unwrap_or(EntryId::MIN);
            let options = ReadOptions::new()
                .count(1)
                .block(remaining.max(Duration::from_millis(1)));
            let woke = remaining > Duration::ZERO
                && !self
                    .read(&[(topic.clone(), ReadCursor::After(after))], &options)
                    .await?
                    .is_timed_out();
            if !woke {
                return Err(Error::Timeout {
                    operation: format!("waiting for {len} entries on '{topic}' (has {current})"),
                    elapsed: timeout,
                    may_have_executed: false,
                });
            }
        }
    }
}
