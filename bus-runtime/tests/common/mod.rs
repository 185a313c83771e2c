//! Test helpers: a backend that injects failures, a deterministic RNG and wait helpers.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use bus_core::{
    AppendOptions, AutoClaimOptions, AutoClaimed, Backend, ClaimOptions, Claimed, ConsumerDelete, ConsumerInfo, Entry,
    EntryId, Error, Fields, GroupCreateOptions, GroupCursor, GroupEntry, GroupInfo, GroupStart, Message, PendingEntry,
    PendingQuery, PendingSummary, Published, RangeBound, ReadCursor, ReadGroupOptions, ReadOptions, ReadReply, Result,
    StreamInfo, Topic, Trim, Uuid,
};
use bus_memory::MemoryBackend;

/// Wraps a [`MemoryBackend`] and fails every `n`-th plain read (XREAD) with a retryable connection error.
#[derive(Clone, Debug)]
pub struct FlakyBackend {
    pub inner: MemoryBackend,
    pub fail_every: Arc<AtomicU64>,
    pub reads: Arc<AtomicU64>,
    pub failures: Arc<AtomicU64>,
}

impl FlakyBackend {
    pub fn new(inner: MemoryBackend, fail_every: u64) -> FlakyBackend {
        FlakyBackend {
            inner,
            fail_every: Arc::new(AtomicU64::new(fail_every)),
            reads: Arc::new(AtomicU64::new(0)),
            failures: Arc::new(AtomicU64::new(0)),
        }
    }
}

#[async_trait]
impl Backend for FlakyBackend {
    async fn append(&self, topic: &Topic, fields: Fields, options: &AppendOptions) -> Result<Option<EntryId>> {
        self.inner.append(topic, fields, options).await
    }
    async fn publish(&self, topic: &Topic, message: &Message, options: &AppendOptions) -> Result<Option<Published>> {
        self.inner.publish(topic, message, options).await
    }
    async fn lookup(&self, topic: &Topic, uuid: Uuid) -> Result<Option<EntryId>> {
        Backend::lookup(&self.inner, topic, uuid).await
    }
    async fn range(&self, topic: &Topic, start: RangeBound, end: RangeBound, count: Option<u64>) -> Result<Vec<Entry>> {
        self.inner.range(topic, start, end, count).await
    }
    async fn rev_range(
        &self,
        topic: &Topic,
        end: RangeBound,
        start: RangeBound,
        count: Option<u64>,
    ) -> Result<Vec<Entry>> {
        self.inner.rev_range(topic, end, start, count).await
    }
    async fn read(&self, cursors: &[(Topic, ReadCursor)], options: &ReadOptions) -> Result<ReadReply<Entry>> {
        let call = self.reads.fetch_add(1, Ordering::SeqCst) + 1;
        let every = self.fail_every.load(Ordering::SeqCst);
        if every > 0 && call.is_multiple_of(every) {
            self.failures.fetch_add(1, Ordering::SeqCst);
            return Err(Error::Connection {
                operation: "XREAD".into(),
                message: "injected failure".into(),
            });
        }
        self.inner.read(cursors, options).await
    }
    async fn group_create(
        &self,
        topic: &Topic,
        group: &str,
        start: GroupStart,
        options: &GroupCreateOptions,
    ) -> Result<()> {
        self.inner.group_create(topic, group, start, options).await
    }
    async fn group_destroy(&self, topic: &Topic, group: &str) -> Result<bool> {
        self.inner.group_destroy(topic, group).await
    }
    async fn group_set_id(&self, topic: &Topic, group: &str, id: GroupStart, entries_read: Option<u64>) -> Result<()> {
        self.inner.group_set_id(topic, group, id, entries_read).await
    }
    async fn consumer_create(&self, topic: &Topic, group: &str, consumer: &str) -> Result<bool> {
        self.inner.consumer_create(topic, group, consumer).await
    }
    async fn consumer_delete(&self, topic: &Topic, group: &str, consumer: &str) -> Result<u64> {
        self.inner.consumer_delete(topic, group, consumer).await
    }
    async fn expire_topic(&self, topic: &Topic, ttl: Duration) -> Result<bool> {
        self.inner.expire_topic(topic, ttl).await
    }
    async fn topic_ttl(&self, topic: &Topic) -> Result<Option<Duration>> {
        self.inner.topic_ttl(topic).await
    }
    async fn consumer_delete_if_idle(
        &self,
        topic: &Topic,
        group: &str,
        consumer: &str,
        min_idle: Duration,
    ) -> Result<ConsumerDelete> {
        self.inner
            .consumer_delete_if_idle(topic, group, consumer, min_idle)
            .await
    }
    async fn read_group(
        &self,
        group: &str,
        consumer: &str,
        cursors: &[(Topic, GroupCursor)],
        options: &ReadGroupOptions,
    ) -> Result<ReadReply<GroupEntry>> {
        self.inner.read_group(group, consumer, cursors, options).await
    }
    async fn ack(&self, topic: &Topic, group: &str, ids: &[EntryId]) -> Result<u64> {
        self.inner.ack(topic, group, ids).await
    }
    async fn pending_summary(&self, topic: &Topic, group: &str) -> Result<PendingSummary> {
        self.inner.pending_summary(topic, group).await
    }
    async fn pending(&self, topic: &Topic, group: &str, query: &PendingQuery) -> Result<Vec<PendingEntry>> {
        self.inner.pending(topic, group, query).await
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
        self.inner.claim(topic, group, consumer, min_idle, ids, options).await
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
        self.inner
            .auto_claim(topic, group, consumer, min_idle, start, options)
            .await
    }
    async fn delete(&self, topic: &Topic, ids: &[EntryId]) -> Result<u64> {
        self.inner.delete(topic, ids).await
    }
    async fn trim(&self, topic: &Topic, trim: &Trim) -> Result<u64> {
        self.inner.trim(topic, trim).await
    }
    async fn len(&self, topic: &Topic) -> Result<u64> {
        Backend::len(&self.inner, topic).await
    }
    async fn drop_topic(&self, topic: &Topic) -> Result<bool> {
        self.inner.drop_topic(topic).await
    }
    async fn stream_info(&self, topic: &Topic) -> Result<StreamInfo> {
        self.inner.stream_info(topic).await
    }
    async fn groups_info(&self, topic: &Topic) -> Result<Vec<GroupInfo>> {
        self.inner.groups_info(topic).await
    }
    async fn consumers_info(&self, topic: &Topic, group: &str) -> Result<Vec<ConsumerInfo>> {
        self.inner.consumers_info(topic, group).await
    }
}

/// A small deterministic RNG (xorshift64*), so randomized tests replay identically.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `lo..hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo).max(1)
    }
}

/// A memory backend on a fixed clock, so ids are reproducible.
pub fn memory() -> MemoryBackend {
    MemoryBackend::with_clock(bus_core::Clock::starting_at(1_000_000))
}

/// Polls `check` every 10 ms of (paused) time until it holds; panics after `limit`.
pub async fn eventually<F, Fut>(limit: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
