//! XRANGE/XREVRANGE, XDEL and non-blocking XREAD. Expected answers come from redis-cli on 7.0.15.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use bus_core::{Backend, Entry, EntryId, RangeBound, ReadCursor, ReadOptions, ReadReply};
use bus_memory::MemoryBackend;
use common::{add, add_numbered, id, ids, n_of, reply_ids, topic};

fn bound_start(text: &str) -> RangeBound {
    RangeBound::parse_start(text).unwrap()
}

fn bound_end(text: &str) -> RangeBound {
    RangeBound::parse_end(text).unwrap()
}

async fn five() -> (MemoryBackend, bus_core::Topic) {
    let backend = MemoryBackend::new();
    let t = topic("scen:r");
    add_numbered(&backend, &t, 5).await;
    (backend, t)
}

#[tokio::test]
async fn range_with_exclusive_bounds() {
    // XRANGE k (2-1 (5-1 → 3-1 n 3, 4-1 n 4
    let (backend, t) = five().await;
    let got = backend
        .range(&t, bound_start("(2-1"), bound_end("(5-1"), None)
        .await
        .unwrap();
    assert_eq!(ids(&got), ["3-1", "4-1"]);
    assert_eq!(got.iter().map(n_of).collect::<Vec<_>>(), ["3", "4"]);
}

#[tokio::test]
async fn range_count() {
    // XRANGE k - + COUNT 0 → empty; COUNT 2 → 1-1, 2-1
    let (backend, t) = five().await;
    let none = backend
        .range(&t, RangeBound::MIN, RangeBound::MAX, Some(0))
        .await
        .unwrap();
    assert!(none.is_empty());
    let two = backend
        .range(&t, RangeBound::MIN, RangeBound::MAX, Some(2))
        .await
        .unwrap();
    assert_eq!(ids(&two), ["1-1", "2-1"]);
    let all = backend.range(&t, RangeBound::MIN, RangeBound::MAX, None).await.unwrap();
    assert_eq!(all.len(), 5);
}

#[tokio::test]
async fn rev_range_with_exclusive_end_and_count() {
    // XREVRANGE k (5-1 - COUNT 2 → 4-1, 3-1; XREVRANGE k + - COUNT 0 → empty
    let (backend, t) = five().await;
    let got = backend
        .rev_range(&t, bound_end("(5-1"), RangeBound::MIN, Some(2))
        .await
        .unwrap();
    assert_eq!(ids(&got), ["4-1", "3-1"]);
    let none = backend
        .rev_range(&t, RangeBound::MAX, RangeBound::MIN, Some(0))
        .await
        .unwrap();
    assert!(none.is_empty());
}

#[tokio::test]
async fn range_with_bare_milliseconds_covers_the_whole_millisecond() {
    // XRANGE k 2 3 → 2-1, 3-1 (start 2-0, end 3-18446744073709551615)
    let (backend, t) = five().await;
    let got = backend.range(&t, bound_start("2"), bound_end("3"), None).await.unwrap();
    assert_eq!(ids(&got), ["2-1", "3-1"]);
}

#[tokio::test]
async fn exclusive_bounds_past_the_id_space_are_errors() {
    // XRANGE k (18446744073709551615-18446744073709551615 + → ERR invalid start ID for the interval
    // XRANGE k - (0-0 → ERR invalid end ID for the interval
    let (backend, t) = five().await;
    let err = backend
        .range(&t, RangeBound::Exclusive(EntryId::MAX), RangeBound::MAX, None)
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "ERR invalid start ID for the interval");
    let err = backend
        .range(&t, RangeBound::MIN, RangeBound::Exclusive(EntryId::MIN), None)
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "ERR invalid end ID for the interval");
    let err = backend
        .rev_range(&t, RangeBound::MAX, RangeBound::Exclusive(EntryId::MAX), None)
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "ERR invalid start ID for the interval");
}

#[tokio::test]
async fn inverted_and_missing_ranges_are_empty() {
    // XRANGE k 5 1 → empty; XRANGE missing - + → empty
    let (backend, t) = five().await;
    assert!(
        backend
            .range(&t, bound_start("5"), bound_end("1"), None)
            .await
            .unwrap()
            .is_empty()
    );
    let missing = topic("scen:nokey");
    assert!(
        backend
            .range(&missing, RangeBound::MIN, RangeBound::MAX, None)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        backend
            .rev_range(&missing, RangeBound::MAX, RangeBound::MIN, None)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn delete_keeps_the_last_id_and_records_the_largest_deleted_id() {
    // XDEL k 5-1 3-1 9-9 → 2; XINFO STREAM: length 3, last-generated-id 5-1, max-deleted-entry-id 5-1,
    // entries-added 5; XRANGE → 1-1 2-1 4-1; XDEL missing 1-1 → 0
    let (backend, t) = five().await;
    assert_eq!(backend.delete(&t, &[id(5, 1), id(3, 1), id(9, 9)]).await.unwrap(), 2);
    let info = backend.stream_info(&t).await.unwrap();
    assert_eq!(info.length, 3);
    assert_eq!(info.last_generated_id, id(5, 1));
    assert_eq!(info.max_deleted_entry_id, id(5, 1));
    assert_eq!(info.entries_added, 5);
    assert_eq!(info.last_entry.map(|e| e.id), Some(id(4, 1)));
    let left = backend.range(&t, RangeBound::MIN, RangeBound::MAX, None).await.unwrap();
    assert_eq!(ids(&left), ["1-1", "2-1", "4-1"]);
    // Deleting again, or a smaller id later, does not lower max-deleted-entry-id.
    assert_eq!(backend.delete(&t, &[id(5, 1)]).await.unwrap(), 0);
    assert_eq!(backend.delete(&t, &[id(1, 1)]).await.unwrap(), 1);
    assert_eq!(backend.stream_info(&t).await.unwrap().max_deleted_entry_id, id(5, 1));
    assert_eq!(backend.delete(&topic("scen:nokey"), &[id(1, 1)]).await.unwrap(), 0);
}

#[tokio::test]
async fn deleting_every_entry_keeps_the_empty_stream() {
    // XDEL k 1-1 2-1 (all) → 2; XINFO STREAM: length 0, last-generated-id 2-1, max-deleted 2-1, no first/last
    let backend = MemoryBackend::new();
    let t = topic("scen:c");
    add_numbered(&backend, &t, 2).await;
    assert_eq!(backend.delete(&t, &[id(1, 1), id(2, 1)]).await.unwrap(), 2);
    let info = backend.stream_info(&t).await.unwrap();
    assert_eq!(
        (
            info.length,
            info.last_generated_id,
            info.max_deleted_entry_id,
            info.entries_added
        ),
        (0, id(2, 1), id(2, 1), 2)
    );
    assert_eq!((info.first_entry, info.last_entry), (None, None));
    assert_eq!(backend.topics(), [t]);
}

async fn two_topics() -> (MemoryBackend, bus_core::Topic, bus_core::Topic) {
    let backend = MemoryBackend::new();
    let (x1, x2) = (topic("scen:x1"), topic("scen:x2"));
    for (at, n) in [("1-1", "1"), ("2-1", "2"), ("3-1", "3")] {
        add(&backend, &x1, at, n).await;
    }
    add(&backend, &x2, "1-5", "1").await;
    (backend, x1, x2)
}

fn entry_id(e: &Entry) -> EntryId {
    e.id
}

#[tokio::test]
async fn read_over_several_topics_applies_count_per_topic_and_skips_missing_ones() {
    // XREAD COUNT 2 STREAMS x1 x2 missing 1-1 0 0 → x1: 2-1 3-1; x2: 1-5
    let (backend, x1, x2) = two_topics().await;
    let cursors = [
        (x1, ReadCursor::After(id(1, 1))),
        (x2, ReadCursor::After(EntryId::MIN)),
        (topic("scen:nokey"), ReadCursor::After(EntryId::MIN)),
    ];
    let reply = backend
        .read(&cursors, &ReadOptions::new().count(2))
        .await
        .unwrap()
        .into_topics();
    assert_eq!(
        reply_ids(&reply, entry_id),
        [
            ("scen:x1".to_owned(), vec!["2-1".to_owned(), "3-1".to_owned()]),
            ("scen:x2".to_owned(), vec!["1-5".to_owned()])
        ]
    );
}

#[tokio::test]
async fn read_count_zero_means_no_limit() {
    // XREAD COUNT 0 STREAMS x1 0 → 1-1 2-1 3-1
    let (backend, x1, _) = two_topics().await;
    let reply = backend
        .read(&[(x1, ReadCursor::After(EntryId::MIN))], &ReadOptions::new().count(0))
        .await
        .unwrap()
        .into_topics();
    assert_eq!(reply.len(), 1);
    assert_eq!(ids(&reply[0].entries), ["1-1", "2-1", "3-1"]);
}

#[tokio::test]
async fn read_dollar_is_only_new_entries_and_an_empty_read_is_not_none() {
    // XREAD STREAMS x1 x2 $ 0 → only x2: 1-5; XREAD STREAMS x1 $ → nil (Some(empty) here, see Backend docs)
    let (backend, x1, x2) = two_topics().await;
    let reply = backend
        .read(
            &[(x1.clone(), ReadCursor::New), (x2, ReadCursor::After(EntryId::MIN))],
            &ReadOptions::new(),
        )
        .await
        .unwrap()
        .into_topics();
    assert_eq!(
        reply_ids(&reply, entry_id),
        [("scen:x2".to_owned(), vec!["1-5".to_owned()])]
    );
    let nothing = backend
        .read(&[(x1, ReadCursor::New)], &ReadOptions::new())
        .await
        .unwrap();
    assert_eq!(nothing, ReadReply::Topics(vec![]));
}

#[tokio::test]
async fn read_after_a_bare_millisecond_cursor() {
    // XREAD STREAMS x1 2 → 2-1 3-1 (the cursor is 2-0)
    let (backend, x1, _) = two_topics().await;
    let cursor: ReadCursor = "2".parse().unwrap();
    let reply = backend
        .read(&[(x1, cursor)], &ReadOptions::new())
        .await
        .unwrap()
        .into_topics();
    assert_eq!(ids(&reply[0].entries), ["2-1", "3-1"]);
}
