//! What the scenarios run on: a [`Rig`] (a backend and its [`Time`]), a backend that injects failures and a
//! deterministic RNG. `on_memory.rs` and `on_redis.rs` build the rigs; `scenarios/` only sees these types.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::any::Any;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use bus_core::forward::Forward;
use bus_core::{Backend, Bus, Error, Result};
use bus_runtime::{RecentUuids, SeenUuids};

/// The backend a scenario runs on, and how time passes there.
pub struct Rig {
    pub time: Time,
    backend: Arc<dyn Backend>,
    seen: Arc<dyn SeenUuids>,
    /// Whatever must outlive the scenario for the backend to work (a test server, killed on drop).
    _guard: Option<Box<dyn Any + Send>>,
}

impl Rig {
    /// A rig whose dedup store is an in-memory [`RecentUuids`].
    pub fn new(backend: Arc<dyn Backend>, time: Time, guard: Option<Box<dyn Any + Send>>) -> Rig {
        Rig {
            time,
            backend,
            seen: Arc::new(RecentUuids::new(1_000)),
            _guard: guard,
        }
    }

    /// The dedup store the backend offers (`RedisDedup` on Redis).
    pub fn with_seen(mut self, seen: Arc<dyn SeenUuids>) -> Rig {
        self.seen = seen;
        self
    }

    /// The dedup store for `DedupLayer`s of this rig's scenarios.
    pub fn seen(&self) -> Arc<dyn SeenUuids> {
        Arc::clone(&self.seen)
    }

    /// A bus on the rig's backend (every call shares the same data).
    pub fn bus(&self) -> Bus {
        Bus::from_arc(Arc::clone(&self.backend))
    }

    /// The backend itself, to wrap (see [`FlakyBackend`]).
    pub fn backend(&self) -> Arc<dyn Backend> {
        Arc::clone(&self.backend)
    }
}

/// How time passes on a rig. A scenario writes its timeline once, as it runs on paused time; on a real clock
/// (a Redis server, whose idle times, blocks and expiries follow its own clock) the timeline is compressed, waits
/// that prove something does not happen are capped, and outcomes are polled with generous deadlines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Time {
    /// Tokio's paused clock: the timeline runs as written, in no real time, and assertions can be exact.
    Paused,
    /// The real clock.
    Real,
}

impl Time {
    /// Whether time is paused, so timing assertions can be exact.
    pub fn paused(self) -> bool {
        self == Time::Paused
    }

    /// A duration of the scenario's timeline: as written on paused time, halved on a real clock. Halving keeps
    /// every ratio (keep-alive against claim idle time, handler time against shutdown grace), and so the margins
    /// of hundreds of milliseconds that a loaded machine needs.
    pub fn of(self, duration: Duration) -> Duration {
        match self {
            Time::Paused => duration,
            Time::Real => duration / 2,
        }
    }

    /// [`of`](Self::of) for milliseconds.
    pub fn ms(self, ms: u64) -> Duration {
        self.of(Duration::from_millis(ms))
    }

    /// [`of`](Self::of) for seconds.
    pub fn secs(self, secs: u64) -> Duration {
        self.of(Duration::from_secs(secs))
    }

    /// A wait during which something must not happen: on a real clock at most 1.5 s, still many times every
    /// interval the scenarios configure.
    pub fn quiet(self, duration: Duration) -> Duration {
        match self {
            Time::Paused => duration,
            Time::Real => self.of(duration).min(Duration::from_millis(1_500)),
        }
    }

    /// How long to wait for an outcome before failing: as written on paused time (it costs nothing); on a real
    /// clock between 30 s and a minute. An outcome that comes costs nothing more for a longer deadline, and a
    /// loaded machine can stall a test for seconds (a handler's panic printing its backtrace under
    /// `RUST_BACKTRACE=1` does); the minute keeps a failure from hanging the run.
    pub fn limit(self, duration: Duration) -> Duration {
        match self {
            Time::Paused => duration,
            Time::Real => duration.clamp(Duration::from_secs(30), Duration::from_secs(60)),
        }
    }

    /// What a duration measured here may fall short of one measured by the server: nothing on paused time; on a
    /// real clock the server counts idle time in whole milliseconds of its own clock.
    pub fn tolerance(self) -> Duration {
        match self {
            Time::Paused => Duration::ZERO,
            Time::Real => Duration::from_millis(10),
        }
    }

    /// Polls `check` every 10 ms until it holds; panics after `limit` (see [`limit`](Self::limit)).
    pub async fn eventually<F, Fut>(self, limit: Duration, what: &str, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let limit = self.limit(limit);
        let deadline = tokio::time::Instant::now() + limit;
        while !check().await {
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out after {limit:?} waiting for: {what}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// `future`'s output, or a panic naming `what` after `limit` (see [`limit`](Self::limit)).
    pub async fn within<T>(self, limit: Duration, what: &str, future: impl std::future::Future<Output = T>) -> T {
        let limit = self.limit(limit);
        match tokio::time::timeout(limit, future).await {
            Ok(output) => output,
            Err(_) => panic!("timed out after {limit:?} waiting for: {what}"),
        }
    }
}

/// Wraps a backend and fails every `n`-th plain read (XREAD) with a retryable connection error.
#[derive(Clone, Debug)]
pub struct FlakyBackend {
    pub inner: Arc<dyn Backend>,
    pub fail_every: Arc<AtomicU64>,
    pub reads: Arc<AtomicU64>,
    pub failures: Arc<AtomicU64>,
}

impl FlakyBackend {
    pub fn new(inner: Arc<dyn Backend>, fail_every: u64) -> FlakyBackend {
        FlakyBackend {
            inner,
            fail_every: Arc::new(AtomicU64::new(fail_every)),
            reads: Arc::new(AtomicU64::new(0)),
            failures: Arc::new(AtomicU64::new(0)),
        }
    }
}

#[async_trait]
impl Forward for FlakyBackend {
    fn inner(&self) -> &dyn Backend {
        &*self.inner
    }

    async fn before(&self, method: &'static str) -> Result<()> {
        if method != "read" {
            return Ok(());
        }
        let call = self.reads.fetch_add(1, Ordering::SeqCst) + 1;
        let every = self.fail_every.load(Ordering::SeqCst);
        if every > 0 && call.is_multiple_of(every) {
            self.failures.fetch_add(1, Ordering::SeqCst);
            return Err(Error::Connection {
                operation: "XREAD".into(),
                message: "injected failure".into(),
            });
        }
        Ok(())
    }
}

/// Wraps a backend and fails the first `n` acks (XACK) with a non-retryable error, as a connection lost right
/// after the work succeeded would: the entry stays pending and is delivered again.
#[derive(Clone, Debug)]
pub struct LosingAcks {
    pub inner: Arc<dyn Backend>,
    pub to_lose: Arc<AtomicU64>,
}

impl LosingAcks {
    pub fn new(inner: Arc<dyn Backend>, n: u64) -> LosingAcks {
        LosingAcks {
            inner,
            to_lose: Arc::new(AtomicU64::new(n)),
        }
    }
}

#[async_trait]
impl Forward for LosingAcks {
    fn inner(&self) -> &dyn Backend {
        &*self.inner
    }

    async fn before(&self, method: &'static str) -> Result<()> {
        let lose = method == "ack"
            && self
                .to_lose
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
        if lose {
            return Err(Error::Backend {
                message: "injected: the ack was lost".into(),
                retryable: false,
            });
        }
        Ok(())
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
