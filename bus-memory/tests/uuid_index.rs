//! The memory backend's UUID index (what `MemoryBackend::stats` reports): bounded under trims and deletes, and
//! cleared with a dropped topic. What the index answers through the `Bus` (idempotent publishing, lookups per
//! topic, a dropped topic forgetting its UUIDs) is certified on every backend by the conformance suite's
//! `consumer` checks.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use bus_core::{AppendOptions, Backend, Clock, EntryId, Message, Topic, Trim};
use bus_memory::MemoryBackend;
use common::{fields, topic};
use serde_json::json;

fn setup() -> (MemoryBackend, Topic) {
    (
        MemoryBackend::with_clock(Clock::starting_at(1_000_000)),
        topic("chat:scen"),
    )
}

#[tokio::test(start_paused = true)]
async fn the_uuid_index_stays_bounded_under_trims_and_deletes() {
    let (backend, t) = setup();
    let bus = backend.bus();
    let trim = AppendOptions::new().trim(Trim::maxlen(150).approx());
    let mut last = None;
    for i in 0..1_000u64 {
        let message = Message::new(&json!({ "i": i })).unwrap();
        last = Some(bus.publish_with(&t, &message, &trim).await.unwrap().unwrap());
    }
    let stats = backend.stats(&t).unwrap();
    // Approximate trimming keeps between 150 and 249 entries (whole 100-entry nodes).
    assert!((150..250).contains(&stats.entries), "{stats:?}");
    assert_eq!(stats.indexed_uuids as u64, stats.entries);
    assert!(stats.nodes <= 3, "{stats:?}");
    // Foreign entries (no bus envelope) are stored but not indexed.
    backend
        .append(&t, fields(&[("raw", "x")]), &AppendOptions::new())
        .await
        .unwrap();
    let stats = backend.stats(&t).unwrap();
    assert_eq!(stats.indexed_uuids as u64 + 1, stats.entries);
    let entries = backend
        .range(&t, bus_core::RangeBound::MIN, bus_core::RangeBound::MAX, Some(10))
        .await
        .unwrap();
    let doomed: Vec<EntryId> = entries.iter().map(|e| e.id).collect();
    backend.delete(&t, &doomed).await.unwrap();
    backend.trim(&t, &Trim::maxlen(5)).await.unwrap();
    let stats = backend.stats(&t).unwrap();
    assert_eq!(stats.entries, 5);
    assert_eq!(stats.indexed_uuids, 4, "4 messages and the foreign entry remain");
    assert!(stats.nodes <= 2, "{stats:?}");
    assert!(last.is_some());
}

#[tokio::test(start_paused = true)]
async fn a_dropped_topic_takes_its_index_with_it() {
    let (backend, t) = setup();
    let bus = backend.bus();
    let other = topic("chat:other");
    let message = Message::new(&json!({"content": "same message, two topics"})).unwrap();
    bus.publish_message(&t, &message).await.unwrap();
    bus.publish_message(&other, &message).await.unwrap();
    assert!(backend.drop_topic(&t).await.unwrap());
    let again = bus.publish_message(&t, &message).await.unwrap();
    assert!(!again.duplicate);
    assert_eq!(backend.stats(&t).unwrap().indexed_uuids, 1);
    assert_eq!(backend.stats(&other).unwrap().indexed_uuids, 1);
}
