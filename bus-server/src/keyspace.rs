//! The key-level questions the commands ask of a database that bus-memory's `Backend` trait answers only
//! indirectly: whether a key exists, its deadline, the keys with their deadlines, emptying a database.
//!
//! Each is one call to bus-memory; they are here, not in bus-memory, only until bus-memory offers them
//! directly (`exists`, `expire_at`, `flush`: see the crate's report of what it needs).

use std::time::Duration;

use bus_core::{Backend, Topic};
use bus_memory::MemoryBackend;

/// Whether the key holds a stream (an empty one counts, as after `XGROUP CREATE … MKSTREAM`).
pub(crate) async fn exists(db: &MemoryBackend, topic: &Topic) -> bool {
    db.stream_info(topic).await.is_ok()
}

/// The time the key has left, `None` without a deadline (or without the key).
pub(crate) async fn ttl(db: &MemoryBackend, topic: &Topic) -> Option<Duration> {
    db.topic_ttl(topic).await.ok().flatten()
}

/// Deletes the key, of any type: true if it existed.
pub(crate) async fn delete(db: &MemoryBackend, topic: &Topic) -> bool {
    db.del(std::slice::from_ref(topic)) > 0
}

/// Deletes every key of the database, releasing blocked readers as DEL does.
pub(crate) async fn flush(db: &MemoryBackend) {
    db.flush();
}

/// Keys, their count with a deadline, and the average time left (ms) of those: `INFO keyspace`.
pub(crate) async fn summary(db: &MemoryBackend) -> (usize, usize, u64) {
    let topics = db.topics();
    let mut expiring: Vec<u64> = Vec::new();
    for topic in &topics {
        if let Some(left) = ttl(db, topic).await {
            expiring.push(u64::try_from(left.as_millis()).unwrap_or(u64::MAX));
        }
    }
    let count = u64::try_from(expiring.len()).unwrap_or(u64::MAX).max(1);
    let average = expiring.iter().fold(0u64, |sum, ms| sum.saturating_add(*ms)) / count;
    (topics.len(), expiring.len(), average)
}
