//! The agent-facing handles on the memory backend: `Bus` (publish idempotency, tail, read after a cursor) and
//! `Consumer` (cancel-safe group reads), plus the UUID index staying bounded.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use bus_core::{
    AppendOptions, Backend, Bus, Clock, Cursor, EntryId, Error, GroupStart, Message, PendingQuery, Received, Topic,
    Trim, Uuid,
};
use bus_memory::MemoryBackend;
use common::{fields, topic};
use serde_json::json;

fn setup() -> (MemoryBackend, Bus, Topic) {
    let backend = MemoryBackend::with_clock(Clock::starting_at(1_000_000));
    let bus = backend.bus();
    (backend, bus, topic("chat:scen"))
}

fn entry_ids(received: &[Received]) -> Vec<EntryId> {
    received.iter().map(Received::entry_id).collect()
}

/// Publishes `n` messages with payload `{"i": i}` and returns their (uuid, entry id).
async fn publish_n(bus: &Bus, t: &Topic, n: u64) -> Vec<(Uuid, EntryId)> {
    let mut out = Vec::new();
    for i in 0..n {
        let message = Message::new(&json!({ "i": i })).unwrap();
        let published = bus.publish_message(t, &message).await.unwrap();
        assert!(!published.duplicate);
        out.push((message.id(), published.entry_id));
    }
    out
}

#[tokio::test(start_paused = true)]
async fn publishing_the_same_message_twice_appends_it_once() {
    let (backend, bus, t) = setup();
    let message = Message::new(&json!({"content": "hello"})).unwrap();
    let first = bus.publish_message(&t, &message).await.unwrap();
    assert!(!first.duplicate);
    let again = bus.publish_message(&t, &message).await.unwrap();
    assert!(again.duplicate);
    assert_eq!(again.entry_id, first.entry_id);
    assert_eq!(backend.len(&t).await.unwrap(), 1);
    assert_eq!(backend.stream_info(&t).await.unwrap().entries_added, 1);
    assert_eq!(bus.lookup(&t, message.id()).await.unwrap(), Some(first.entry_id));
    // Once the entry is deleted the UUID is free again: a retry appends a new entry.
    backend.delete(&t, &[first.entry_id]).await.unwrap();
    assert_eq!(bus.lookup(&t, message.id()).await.unwrap(), None);
    let third = bus.publish_message(&t, &message).await.unwrap();
    assert!(!third.duplicate);
    assert!(third.entry_id > first.entry_id);
}

#[tokio::test(start_paused = true)]
async fn tail_returns_the_last_n_oldest_first() {
    let (_backend, bus, t) = setup();
    let published = publish_n(&bus, &t, 5).await;
    let tail = bus.tail(&t, 2).await.unwrap();
    assert_eq!(entry_ids(&tail), [published[3].1, published[4].1]);
    assert_eq!(tail[1].message().unwrap().payload(), r#"{"i":4}"#);
}

#[tokio::test(start_paused = true)]
async fn read_after_an_entry_id_a_uuid_or_the_start() {
    let (_backend, bus, t) = setup();
    let published = publish_n(&bus, &t, 4).await;
    let all = bus.read_after(&t, Cursor::Start, None).await.unwrap();
    assert_eq!(all.len(), 4);
    let after_entry = bus.read_after(&t, Cursor::Entry(published[1].1), None).await.unwrap();
    assert_eq!(entry_ids(&after_entry), [published[2].1, published[3].1]);
    let after_uuid = bus
        .read_after(&t, Cursor::Message(published[1].0), Some(1))
        .await
        .unwrap();
    assert_eq!(entry_ids(&after_uuid), [published[2].1]);
    assert_eq!(after_uuid[0].message().unwrap().id(), published[2].0);
    let limited = bus
        .read_after(&t, Cursor::Entry(published[0].1), Some(2))
        .await
        .unwrap();
    assert_eq!(entry_ids(&limited), [published[1].1, published[2].1]);
}

#[tokio::test(start_paused = true)]
async fn an_unknown_uuid_cursor_is_a_typed_error() {
    let (_backend, bus, t) = setup();
    publish_n(&bus, &t, 1).await;
    let stranger = Uuid::new_v4();
    let err = bus.read_after(&t, Cursor::Message(stranger), None).await.unwrap_err();
    assert!(
        matches!(err, Error::UnknownCursor { uuid, .. } if uuid == stranger),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!("unknown cursor: topic 'chat:scen' holds no entry with message id {stranger}")
    );
}

#[tokio::test(start_paused = true)]
async fn a_vanished_cursor_inside_the_topic_is_fine_but_one_before_the_oldest_entry_is_a_gap() {
    let (backend, bus, t) = setup();
    let published = publish_n(&bus, &t, 4).await;
    let ids: Vec<EntryId> = published.iter().map(|p| p.1).collect();
    // A cursor deleted from the middle: everything after it is still there.
    backend.delete(&t, &[ids[1]]).await.unwrap();
    let got = bus.read_after(&t, Cursor::Entry(ids[1]), None).await.unwrap();
    assert_eq!(entry_ids(&got), &ids[2..]);
    // An id that never existed before the first entry, with nothing removed before it: no gap.
    let fresh = Topic::new("chat:fresh").unwrap();
    let first = publish_n(&bus, &fresh, 1).await[0].1;
    let before = EntryId::new(first.ms - 1, 0);
    assert_eq!(
        entry_ids(&bus.read_after(&fresh, Cursor::Entry(before), None).await.unwrap()),
        [first]
    );
    // Trimmed away: the cursor is gone and older than the oldest entry, so entries may have been lost.
    backend.trim(&t, &Trim::maxlen(1)).await.unwrap();
    let err = bus.read_after(&t, Cursor::Entry(ids[0]), None).await.unwrap_err();
    assert!(
        matches!(err, Error::CursorTrimmed { cursor, oldest, .. } if cursor == ids[0] && oldest == Some(ids[3])),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "cursor {} on topic 'chat:scen' was trimmed away (oldest entry now: {})",
            ids[0], ids[3]
        )
    );
    // A reader that had read up to the last id misses nothing, even after everything was trimmed.
    backend.trim(&t, &Trim::maxlen(0)).await.unwrap();
    assert!(
        bus.read_after(&t, Cursor::Entry(ids[3]), None)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(start_paused = true)]
async fn the_uuid_index_stays_bounded_under_trims_and_deletes() {
    let (backend, bus, t) = setup();
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
async fn ensure_group_creates_once() {
    let (_backend, bus, t) = setup();
    assert!(bus.ensure_group(&t, "g", GroupStart::Last).await.unwrap());
    assert!(!bus.ensure_group(&t, "g", GroupStart::Last).await.unwrap());
}

#[tokio::test(start_paused = true)]
async fn a_dropped_blocked_read_is_replayed_by_the_next_read() {
    let (backend, bus, t) = setup();
    bus.ensure_group(&t, "g", GroupStart::Last).await.unwrap();
    let mut consumer = bus.consumer(t.clone(), "g", "c1");
    let (served, fresh) = {
        let read = consumer.read(10, Some(Duration::ZERO));
        tokio::pin!(read);
        // Let the read block, then serve it with an append, then drop it before it is polled again.
        tokio::select! {
            biased;
            _ = &mut read => panic!("nothing to read yet"),
            _ = tokio::time::sleep(Duration::from_millis(1)) => {}
        }
        // The first append serves the blocked read (moving its entry into c1's pending list); the second
        // entry stays new for the group.
        let published = publish_n(&bus, &t, 2).await;
        (published[0].1, published[1].1)
        // The read future is dropped here, holding the batch it was served.
    };
    let pending = backend.pending(&t, "g", &PendingQuery::all(10)).await.unwrap();
    assert_eq!(
        pending
            .iter()
            .map(|p| (p.id, p.consumer.as_str(), p.delivery_count))
            .collect::<Vec<_>>(),
        [(served, "c1", 1)]
    );
    let replayed = consumer.read(10, None).await.unwrap();
    assert_eq!(entry_ids(&replayed), [served]);
    let pending = backend.pending(&t, "g", &PendingQuery::all(10)).await.unwrap();
    assert_eq!(pending[0].delivery_count, 2, "a replay is a history read");
    // After the replay, reads continue with new entries only.
    let next = consumer.read(10, None).await.unwrap();
    assert_eq!(entry_ids(&next), [fresh]);
    assert!(consumer.read(10, None).await.unwrap().is_empty());
    assert_eq!(consumer.ack(&[served, fresh]).await.unwrap(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_new_consumer_first_picks_up_what_its_predecessor_left_pending() {
    let (_backend, bus, t) = setup();
    bus.ensure_group(&t, "g", GroupStart::Last).await.unwrap();
    let published = publish_n(&bus, &t, 3).await;
    let mut first = bus.consumer(t.clone(), "g", "worker");
    let got = first.read(2, None).await.unwrap();
    assert_eq!(got.len(), 2);
    drop(first);
    let mut restarted = bus.consumer(t.clone(), "g", "worker");
    let again = restarted.read(10, None).await.unwrap();
    assert_eq!(entry_ids(&again), [published[0].1, published[1].1]);
    let next = restarted.read(10, None).await.unwrap();
    assert_eq!(entry_ids(&next), [published[2].1]);
}

#[tokio::test(start_paused = true)]
async fn deleted_pending_entries_come_back_as_deleted() {
    let (backend, bus, t) = setup();
    bus.ensure_group(&t, "g", GroupStart::Last).await.unwrap();
    let published = publish_n(&bus, &t, 2).await;
    bus.consumer(t.clone(), "g", "c").read(10, None).await.unwrap();
    backend.delete(&t, &[published[0].1]).await.unwrap();
    let mut consumer = bus.consumer(t.clone(), "g", "c");
    let replayed = consumer.read(10, None).await.unwrap();
    assert_eq!(
        replayed[0],
        Received::Deleted {
            entry_id: published[0].1
        }
    );
    assert_eq!(replayed[1].message().unwrap().id(), published[1].0);
    assert!(replayed[0].clone().into_message(&t).is_err());
}

#[tokio::test(start_paused = true)]
async fn the_uuid_index_is_per_topic_and_forgets_dropped_topics() {
    let (backend, bus, t) = setup();
    let other = topic("chat:other");
    let message = Message::new(&json!({"content": "same message, two topics"})).unwrap();
    let here = bus.publish_message(&t, &message).await.unwrap();
    let there = bus.publish_message(&other, &message).await.unwrap();
    assert!(!here.duplicate && !there.duplicate, "a UUID is deduplicated per topic");
    assert_eq!(bus.lookup(&t, message.id()).await.unwrap(), Some(here.entry_id));
    assert_eq!(bus.lookup(&other, message.id()).await.unwrap(), Some(there.entry_id));

    assert!(backend.drop_topic(&t).await.unwrap());
    assert_eq!(bus.lookup(&t, message.id()).await.unwrap(), None);
    assert_eq!(bus.lookup(&other, message.id()).await.unwrap(), Some(there.entry_id));
    let again = bus.publish_message(&t, &message).await.unwrap();
    assert!(!again.duplicate, "a dropped topic holds nothing to deduplicate against");
    assert_eq!(backend.stats(&t).unwrap().indexed_uuids, 1);
}
