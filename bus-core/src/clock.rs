//! The bus's one time source: Unix milliseconds, read off tokio's clock or, in manual mode, moved by hand.
//!
//! Entry ids, idle times and block timeouts must all move together when a test controls time, so backends
//! never read `SystemTime` directly. By default a [`Clock`] anchors the wall clock once and adds the elapsed
//! time of [`tokio::time::Instant`], which `tokio::time::pause()`/`advance()` control. A [`Clock::manual`]
//! clock instead stands still until [`Clock::advance`] moves it, whatever real or tokio time passes: that is
//! what an emulator driven from another process needs (a test in another language cannot pause this
//! process's tokio clock). Timers that must follow the clock wait with [`Clock::sleep_until`].

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::watch;
use tokio::time::Instant;

use crate::error::{Error, Result};

/// A Unix-millisecond clock driven by tokio's (pausable) clock, or by hand.
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let clock = bus_core::Clock::starting_at(1_000);
/// tokio::time::advance(std::time::Duration::from_millis(250)).await;
/// assert_eq!(clock.now_ms(), 1_250);
/// # }
/// ```
///
/// Cloning a manual clock shares it: every clone reads the same time and any of them can advance it.
#[derive(Clone, Debug)]
pub struct Clock {
    source: Source,
}

#[derive(Clone, Debug)]
enum Source {
    /// Tokio's clock, anchored at a Unix time.
    Tokio { anchor_ms: u64, anchor: Instant },
    /// The current Unix ms, changed only by `advance`; the channel wakes the timers waiting on it.
    Manual(Arc<watch::Sender<u64>>),
}

impl Clock {
    /// A clock that starts at the current wall-clock time and follows tokio's clock.
    pub fn new() -> Clock {
        let wall = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
        Clock::starting_at(u64::try_from(wall.as_millis()).unwrap_or(u64::MAX))
    }

    /// A clock that reads `unix_ms` now and follows tokio's clock (deterministic ids in tests).
    pub fn starting_at(unix_ms: u64) -> Clock {
        Clock {
            source: Source::Tokio {
                anchor_ms: unix_ms,
                anchor: Instant::now(),
            },
        }
    }

    /// A clock that reads `start_ms` until [`advance`](Self::advance) moves it: neither real time nor tokio's
    /// (paused or not) moves it, and [`sleep_until`](Self::sleep_until) wakes only when an advance reaches the
    /// deadline.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> bus_core::Result<()> {
    /// use std::time::Duration;
    ///
    /// let clock = bus_core::Clock::manual(1_000);
    /// let timer = tokio::spawn({
    ///     let clock = clock.clone();
    ///     async move { clock.sleep(Duration::from_millis(500)).await }
    /// });
    /// tokio::time::sleep(Duration::from_millis(20)).await; // real time does not move it
    /// assert_eq!(clock.now_ms(), 1_000);
    /// assert!(!timer.is_finished());
    /// assert_eq!(clock.advance(Duration::from_millis(500))?, 1_500);
    /// timer.await.unwrap();
    /// # Ok(()) }
    /// ```
    pub fn manual(start_ms: u64) -> Clock {
        let (sender, _) = watch::channel(start_ms);
        Clock {
            source: Source::Manual(Arc::new(sender)),
        }
    }

    /// Whether this is a [`manual`](Self::manual) clock.
    pub fn is_manual(&self) -> bool {
        matches!(self.source, Source::Manual(_))
    }

    /// The current Unix time in milliseconds.
    pub fn now_ms(&self) -> u64 {
        match &self.source {
            Source::Tokio { anchor_ms, anchor } => {
                let elapsed = u64::try_from(anchor.elapsed().as_millis()).unwrap_or(u64::MAX);
                anchor_ms.saturating_add(elapsed)
            }
            Source::Manual(now) => *now.borrow(),
        }
    }

    /// Moves a manual clock forward by `by` (whole milliseconds; it saturates at `u64::MAX`) and wakes the
    /// timers it reaches; returns the new time. A clock following tokio fails with
    /// [`Error::InvalidArgument`]: advance tokio's clock instead (`tokio::time::advance`).
    pub fn advance(&self, by: Duration) -> Result<u64> {
        let Source::Manual(now) = &self.source else {
            return Err(Error::invalid_argument(
                "this clock follows tokio's clock and cannot be advanced by hand: use Clock::manual, or tokio::time::advance",
            ));
        };
        let by = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        let mut new = 0;
        now.send_modify(|ms| {
            *ms = ms.saturating_add(by);
            new = *ms;
        });
        Ok(new)
    }

    /// Waits until the clock reads at least `unix_ms` (returns at once if it already does). On tokio's clock
    /// this is a tokio sleep; on a manual clock it returns when an [`advance`](Self::advance) reaches it.
    pub async fn sleep_until(&self, unix_ms: u64) {
        match &self.source {
            Source::Tokio { .. } => {
                let delay = unix_ms.saturating_sub(self.now_ms());
                if delay > 0 {
                    tokio::time::sleep(Duration::from_millis(delay)).await;
                }
            }
            Source::Manual(now) => {
                let mut receiver = now.subscribe();
                // The sender lives as long as `self`, which this future borrows: the wait cannot fail.
                let _ = receiver.wait_for(|ms| *ms >= unix_ms).await;
            }
        }
    }

    /// Waits until the clock has moved by `duration` from now (see [`sleep_until`](Self::sleep_until)).
    pub async fn sleep(&self, duration: Duration) {
        let delay = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
        self.sleep_until(self.now_ms().saturating_add(delay)).await;
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_default_clock_follows_paused_tokio_time() {
        let clock = Clock::starting_at(5_000);
        assert!(!clock.is_manual());
        tokio::time::advance(Duration::from_millis(40)).await;
        assert_eq!(clock.now_ms(), 5_040);
        let before = Instant::now();
        clock.sleep(Duration::from_millis(300)).await;
        assert_eq!(Instant::now() - before, Duration::from_millis(300));
        assert_eq!(clock.now_ms(), 5_340);
        assert!(
            clock.advance(Duration::from_millis(1)).is_err(),
            "only a manual clock is advanced by hand"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_manual_clock_ignores_tokio_time_and_wakes_timers_it_reaches() {
        let clock = Clock::manual(1_000);
        let copy = clock.clone();
        let timer = tokio::spawn(async move { copy.sleep_until(2_000).await });
        tokio::time::advance(Duration::from_secs(3_600)).await;
        tokio::task::yield_now().await;
        assert_eq!(clock.now_ms(), 1_000);
        assert!(!timer.is_finished());
        assert_eq!(clock.advance(Duration::from_millis(999)).unwrap(), 1_999);
        tokio::task::yield_now().await;
        assert!(
            !timer.is_finished(),
            "a timer wakes only when the clock reaches its deadline"
        );
        assert_eq!(clock.advance(Duration::from_millis(1)).unwrap(), 2_000);
        timer.await.unwrap();
        // A deadline already reached returns at once, and the clock saturates instead of wrapping.
        clock.sleep_until(1_500).await;
        assert_eq!(clock.advance(Duration::MAX).unwrap(), u64::MAX);
    }
}
