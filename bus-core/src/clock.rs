//! The bus's one time source: Unix milliseconds read off tokio's clock.
//!
//! Entry ids, idle times and block timeouts must all move together when a test pauses and advances tokio's
//! time, so backends never read `SystemTime` directly: they anchor the wall clock once and add the elapsed
//! time of [`tokio::time::Instant`], which `tokio::time::pause()`/`advance()` control.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

/// A Unix-millisecond clock driven by tokio's (pausable) clock.
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let clock = bus_core::Clock::starting_at(1_000);
/// tokio::time::advance(std::time::Duration::from_millis(250)).await;
/// assert_eq!(clock.now_ms(), 1_250);
/// # }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    anchor_ms: u64,
    anchor: Instant,
}

impl Clock {
    /// A clock that starts at the current wall-clock time.
    pub fn new() -> Clock {
        let wall = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
        Clock::starting_at(u64::try_from(wall.as_millis()).unwrap_or(u64::MAX))
    }

    /// A clock that reads `unix_ms` now (deterministic ids in tests).
    pub fn starting_at(unix_ms: u64) -> Clock {
        Clock {
            anchor_ms: unix_ms,
            anchor: Instant::now(),
        }
    }

    /// The current Unix time in milliseconds.
    pub fn now_ms(&self) -> u64 {
        let elapsed = u64::try_from(self.anchor.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.anchor_ms.saturating_add(elapsed)
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new()
    }
}
