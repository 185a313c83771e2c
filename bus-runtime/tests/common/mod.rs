//! Test helpers: a backend that injects failures, a deterministic RNG and wait helpers.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use bus_core::forward::Forward;
use bus_core::{Backend, Error, Result};
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
impl Forward for FlakyBackend {
    fn inner(&self) -> &dyn Backend {
        &self.inner
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
