//! [`Backoff`]: capped exponential delays, shared by every retry in this crate.
//!
//! Subscriptions and workers wait between attempts after a retryable backend error, and workers space the
//! redeliveries of a failed entry by its delivery count. Both use the same rule, so it lives here once.

use std::time::Duration;

/// Capped exponential backoff: attempt `n` (counting from 1) waits `initial * 2^(n-1)`, at most `max`.
///
/// ```
/// use std::time::Duration;
/// use bus_runtime::Backoff;
/// let backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
/// assert_eq!(backoff.delay(1), Duration::from_millis(100));
/// assert_eq!(backoff.delay(3), Duration::from_millis(400));
/// assert_eq!(backoff.delay(50), Duration::from_secs(1));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// The delay of the first attempt.
    pub initial: Duration,
    /// The largest delay.
    pub max: Duration,
}

impl Backoff {
    /// A backoff from `initial` doubling up to `max` (`max` below `initial` is raised to it).
    pub const fn new(initial: Duration, max: Duration) -> Backoff {
        let max = if max.as_nanos() < initial.as_nanos() {
            initial
        } else {
            max
        };
        Backoff { initial, max }
    }

    /// The delay before attempt `attempt` (1 for the first; 0 is treated as 1).
    pub fn delay(&self, attempt: u64) -> Duration {
        let doublings = u32::try_from(attempt.saturating_sub(1)).unwrap_or(u32::MAX).min(31);
        self.initial.saturating_mul(1u32 << doublings).min(self.max)
    }
}
