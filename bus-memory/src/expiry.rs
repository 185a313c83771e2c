//! Key expiry (PEXPIRE) emulated on the backend's clock (tokio's, or a manual one).
//!
//! Redis never lets a client observe an expired key (it checks on access) and also deletes expired keys in the
//! background, which is what releases readers blocked on them. Here each topic stores its deadline and every
//! access checks it (see `Keyspace`), and this queue of deadlines serves the rest: accesses that bypass the topic
//! lock (UUID lookups) first expire what is due, and one sweeper task per backend wakes at the earliest deadline
//! so blocked readers are released on time even when nobody touches the topic. With paused tokio time the
//! sweeper fires exactly when `advance` passes a deadline, and likewise with a manual clock.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use bus_core::{Clock, Topic};
use parking_lot::Mutex;
use tokio::sync::Notify;

/// Deadlines of keys with a TTL, earliest first. Entries can be stale (the TTL changed or the topic was
/// deleted): whoever pops one re-checks the topic's own deadline.
#[derive(Debug)]
pub(crate) struct Expiry {
    /// The earliest queued deadline (Unix ms), `u64::MAX` when none: lets the hot paths skip the queue.
    next: AtomicU64,
    queue: Mutex<BTreeSet<(u64, Topic)>>,
    wake: Notify,
    sweeper_started: AtomicBool,
    closed: AtomicBool,
}

impl Default for Expiry {
    fn default() -> Self {
        Expiry {
            next: AtomicU64::new(u64::MAX),
            queue: Mutex::new(BTreeSet::new()),
            wake: Notify::new(),
            sweeper_started: AtomicBool::new(false),
            closed: AtomicBool::new(false),
        }
    }
}

impl Expiry {
    /// Queues a topic's deadline; wakes the sweeper if it is the new earliest one.
    pub(crate) fn schedule(&self, topic: &Topic, deadline: u64) {
        let mut queue = self.queue.lock();
        queue.insert((deadline, topic.clone()));
        let earlier = deadline < self.next.load(Ordering::Acquire);
        if earlier {
            self.next.store(deadline, Ordering::Release);
        }
        drop(queue);
        if earlier {
            self.wake.notify_one();
        }
    }

    /// Whether some queued deadline has passed (one atomic load, plus a clock read only when a TTL exists).
    pub(crate) fn any_due(&self, clock: &Clock) -> bool {
        let next = self.next.load(Ordering::Acquire);
        next != u64::MAX && clock.now_ms() >= next
    }

    /// Removes and returns the topics whose queued deadline has passed.
    pub(crate) fn take_due(&self, now: u64) -> Vec<Topic> {
        let mut queue = self.queue.lock();
        let mut due = Vec::new();
        while let Some(first) = queue.first() {
            if first.0 > now {
                break;
            }
            if let Some((_, topic)) = queue.pop_first() {
                due.push(topic);
            }
        }
        let next = queue.first().map_or(u64::MAX, |(deadline, _)| *deadline);
        self.next.store(next, Ordering::Release);
        due
    }

    /// True the first time only: the caller then starts the sweeper.
    pub(crate) fn claim_sweeper(&self) -> bool {
        !self.sweeper_started.swap(true, Ordering::AcqRel)
    }

    /// Waits until the earliest deadline passes, a new earlier deadline arrives, or the backend is dropped
    /// (returns false then).
    pub(crate) async fn wait(&self, clock: &Clock) -> bool {
        let notified = self.wake.notified();
        if self.closed.load(Ordering::Acquire) {
            return false;
        }
        let next = self.next.load(Ordering::Acquire);
        if next == u64::MAX {
            notified.await;
        } else {
            tokio::select! {
                () = notified => {}
                () = clock.sleep_until(next) => {}
            }
        }
        !self.closed.load(Ordering::Acquire)
    }

    /// Stops the sweeper (the backend is gone).
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.wake.notify_one();
    }
}
