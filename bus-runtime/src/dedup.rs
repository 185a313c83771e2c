//! [`RecentUuids`]: the in-memory idempotency helper keyed by the canonical message UUID.
//!
//! Delivery is at least once: a crash between a handler's side effect and its ack, a claim of a slow consumer's
//! entry, or a producer's retried publish can hand a handler the same message twice. Handlers with side effects
//! that must not repeat remember the UUIDs they completed and skip those. This helper keeps the most recent
//! `capacity` UUIDs of one process in memory (a ring: the oldest is forgotten first), so it bounds memory but
//! only catches duplicates that arrive within that window and in the same process; a shared store with expiry
//! (`bus_redis::RedisDedup`, the Redis-backed variant with expiry) covers duplicates across processes and restarts.

use std::collections::{HashSet, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};

use uuid::Uuid;

/// A bounded set of recently seen message UUIDs, safe to share between handlers (wrap it in an `Arc`).
///
/// ```
/// use bus_runtime::RecentUuids;
/// let seen = RecentUuids::new(2);
/// let (a, b, c) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
/// assert!(seen.insert(a)); // first time
/// assert!(!seen.insert(a)); // a duplicate
/// seen.insert(b);
/// seen.insert(c); // evicts `a`, the oldest
/// assert!(!seen.contains(a) && seen.contains(b) && seen.contains(c));
/// ```
///
/// Typical use in a worker handler: skip if [`contains`](RecentUuids::contains), otherwise do the work and
/// [`insert`](RecentUuids::insert) once it succeeded (inserting before the work would make a failed attempt
/// look done to the retry).
#[derive(Debug)]
pub struct RecentUuids {
    capacity: usize,
    ring: Mutex<Ring>,
}

#[derive(Debug, Default)]
struct Ring {
    set: HashSet<Uuid>,
    order: VecDeque<Uuid>,
}

impl RecentUuids {
    /// Remembers at most `capacity` UUIDs (a capacity of 0 remembers nothing).
    pub fn new(capacity: usize) -> RecentUuids {
        RecentUuids {
            capacity,
            ring: Mutex::new(Ring::default()),
        }
    }

    fn ring(&self) -> MutexGuard<'_, Ring> {
        // The ring is consistent after every statement, so a panic elsewhere cannot leave it half-updated.
        self.ring.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether this UUID was inserted and not yet evicted.
    pub fn contains(&self, uuid: Uuid) -> bool {
        self.ring().set.contains(&uuid)
    }

    /// Records a UUID; true if it was not already remembered. Evicts the oldest UUID when full.
    pub fn insert(&self, uuid: Uuid) -> bool {
        if self.capacity == 0 {
            return true;
        }
        let mut ring = self.ring();
        if !ring.set.insert(uuid) {
            return false;
        }
        ring.order.push_back(uuid);
        while ring.order.len() > self.capacity {
            if let Some(oldest) = ring.order.pop_front() {
                ring.set.remove(&oldest);
            }
        }
        true
    }

    /// Forgets a UUID (e.g. when the work it marked was rolled back).
    pub fn remove(&self, uuid: Uuid) -> bool {
        let mut ring = self.ring();
        if !ring.set.remove(&uuid) {
            return false;
        }
        ring.order.retain(|u| *u != uuid);
        true
    }

    /// Number of UUIDs remembered.
    pub fn len(&self) -> usize {
        self.ring().order.len()
    }

    /// True when nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The capacity given at construction.
    pub fn capacity(&self) -> usize {
        self.capacity
    }
}
