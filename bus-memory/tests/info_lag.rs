//! XINFO STREAM/GROUPS/CONSUMERS: entries-read and lag (with Redis's nil cases) and consumer idle times.
//! Expected answers come from redis-cli on 7.0.15.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use bus_core::{
    Backend, ClaimOptions, Clock, EntryId, GroupCreateOptions, GroupCursor, GroupStart, ReadGroupOptions, Topic,
};
use bus_memory::MemoryBackend;
use common::{add, add_numbered, id, topic};

async fn read(backend: &MemoryBackend, t: &Topic, group: &str, consumer: &str, count: Option<u64>) {
    let mut options = ReadGroupOptions::new();
    options.count = count;
    backend
        .read_group(group, consumer, &[(t.clone(), GroupCursor::New)], &options)
        .await
        .unwrap();
}

/// `(last-delivered-id, entries-read, lag)` per group.
async fn lags(backend: &MemoryBackend, t: &Topic) -> Vec<(String, Option<u64>, Option<u64>)> {
    backend
        .groups_info(t)
        .await
        .unwrap()
        .into_iter()
        .map(|g| (g.last_delivered_id.to_string(), g.entries_read, g.lag))
        .collect()
}

fn lag(last: &str, read: Option<u64>, lag: Option<u64>) -> (String, Option<u64>, Option<u64>) {
    (last.to_owned(), read, lag)
}

/// 5 entries; groups g and h at 0; h reads 2.
async fn lag_setup() -> (MemoryBackend, Topic) {
    let backend = MemoryBackend::new();
    let t = topic("scen:l");
    add_numbered(&backend, &t, 5).await;
    for g in ["g", "h"] {
        backend
            .group_create(&t, g, GroupStart::Id(EntryId::MIN), &GroupCreateOptions::new())
            .await
            .unwrap();
    }
    read(&backend, &t, "h", "c", Some(2)).await;
    (backend, t)
}

#[tokio::test]
async fn lag_is_known_without_deletions() {
    // XINFO GROUPS: g 0-0 nil lag 5; h 2-1 entries-read 2 lag 3
    let (backend, t) = lag_setup().await;
    assert_eq!(
        lags(&backend, &t).await,
        [lag("0-0", None, Some(5)), lag("2-1", Some(2), Some(3))]
    );
}

#[tokio::test]
async fn a_deletion_in_the_middle_makes_lag_unknown() {
    // XDEL 3-1 → g 0-0 nil nil; h 2-1 2 nil. g reads 1 → g 1-1 nil nil.
    let (backend, t) = lag_setup().await;
    backend.delete(&t, &[id(3, 1)]).await.unwrap();
    assert_eq!(
        lags(&backend, &t).await,
        [lag("0-0", None, None), lag("2-1", Some(2), None)]
    );
    read(&backend, &t, "g", "c", Some(1)).await;
    assert_eq!(lags(&backend, &t).await[0], lag("1-1", None, None));
}

#[tokio::test]
async fn reaching_the_end_makes_lag_known_again_with_redis_counters() {
    // After XDEL 3-1, g reads 1 then the rest, h reads the rest:
    // g 5-1 entries-read 5 lag 0; h 5-1 entries-read 4 lag 1 (h's counter went on from 2 across the hole).
    // XADD 6-1 → g lag 1, h lag 2. SETID g 0 ENTRIESREAD 0 → g 0-0 0 nil.
    let (backend, t) = lag_setup().await;
    backend.delete(&t, &[id(3, 1)]).await.unwrap();
    read(&backend, &t, "g", "c", Some(1)).await;
    read(&backend, &t, "g", "c", None).await;
    read(&backend, &t, "h", "c", None).await;
    assert_eq!(
        lags(&backend, &t).await,
        [lag("5-1", Some(5), Some(0)), lag("5-1", Some(4), Some(1))]
    );
    add(&backend, &t, "6-1", "6").await;
    assert_eq!(
        lags(&backend, &t).await,
        [lag("5-1", Some(5), Some(1)), lag("5-1", Some(4), Some(2))]
    );
    backend
        .group_set_id(&t, "g", GroupStart::Id(EntryId::MIN), Some(0))
        .await
        .unwrap();
    assert_eq!(lags(&backend, &t).await[0], lag("0-0", Some(0), None));
    let info = backend.stream_info(&t).await.unwrap();
    assert_eq!(
        (
            info.length,
            info.last_generated_id,
            info.max_deleted_entry_id,
            info.entries_added,
            info.groups
        ),
        (5, id(6, 1), id(3, 1), 6, 2)
    );
    assert_eq!(info.first_entry.map(|e| e.id), Some(id(1, 1)));
    assert_eq!(info.last_entry.map(|e| e.id), Some(id(6, 1)));
}

#[tokio::test]
async fn lag_of_an_emptied_stream_and_of_a_never_used_one() {
    // XGROUP CREATE k g $ MKSTREAM → lag 0 (entries-added 0); XADD 1-1 2-1, c1 reads, XDEL both →
    // g 2-1 entries-read 2 lag 0
    let backend = MemoryBackend::new();
    let t = topic("scen:c");
    backend
        .group_create(&t, "g", GroupStart::Last, &GroupCreateOptions::new().mkstream())
        .await
        .unwrap();
    assert_eq!(lags(&backend, &t).await, [lag("0-0", None, Some(0))]);
    add_numbered(&backend, &t, 2).await;
    read(&backend, &t, "g", "c1", None).await;
    backend.delete(&t, &[id(1, 1), id(2, 1)]).await.unwrap();
    assert_eq!(lags(&backend, &t).await, [lag("2-1", Some(2), Some(0))]);
}

#[tokio::test]
async fn info_errors() {
    // XINFO STREAM/GROUPS missing → ERR no such key; XINFO CONSUMERS missing g → ERR no such key;
    // XINFO CONSUMERS k nog → NOGROUP No such consumer group 'nog' for key name 'k'
    let backend = MemoryBackend::new();
    let missing = topic("scen:nokey");
    assert_eq!(
        backend.stream_info(&missing).await.unwrap_err().to_string(),
        "ERR no such key"
    );
    assert_eq!(
        backend.groups_info(&missing).await.unwrap_err().to_string(),
        "ERR no such key"
    );
    assert_eq!(
        backend.consumers_info(&missing, "g").await.unwrap_err().to_string(),
        "ERR no such key"
    );
    let t = topic("scen:g");
    add_numbered(&backend, &t, 1).await;
    assert_eq!(
        backend.consumers_info(&t, "nog").await.unwrap_err().to_string(),
        "NOGROUP No such consumer group 'nog' for key name 'scen:g'"
    );
}

#[tokio::test(start_paused = true)]
async fn consumer_idle_is_refreshed_by_reads_and_claims_only() {
    // Timeline as in the redis-cli run: c1 reads 2; 300 ms later c2 reads 2; 100 ms later c3 claims 1-1 with
    // min-idle 200; 100 ms later c4 claims 2-1 but nothing is claimed for c5 (min-idle too high) and XPENDING does
    // not refresh anyone. XINFO CONSUMERS: c1 idle 500, c2 200, c3 100, c4 0; c5 does not exist.
    let backend = MemoryBackend::with_clock(Clock::starting_at(1_000_000));
    let t = topic("scen:p");
    add_numbered(&backend, &t, 5).await;
    backend
        .group_create(&t, "g", GroupStart::Id(EntryId::MIN), &GroupCreateOptions::new())
        .await
        .unwrap();
    let ms = Duration::from_millis;
    read(&backend, &t, "g", "c1", Some(2)).await;
    tokio::time::advance(ms(300)).await;
    read(&backend, &t, "g", "c2", Some(2)).await;
    tokio::time::advance(ms(100)).await;
    let claimed = backend
        .claim(&t, "g", "c3", ms(200), &[id(1, 1)], &ClaimOptions::new())
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    tokio::time::advance(ms(100)).await;
    backend
        .claim(&t, "g", "c4", ms(0), &[id(2, 1)], &ClaimOptions::new())
        .await
        .unwrap();
    let none = backend
        .claim(&t, "g", "c5", ms(10_000), &[id(3, 1)], &ClaimOptions::new())
        .await
        .unwrap();
    assert!(none.is_empty());
    backend.pending_summary(&t, "g").await.unwrap();
    let consumers: Vec<_> = backend
        .consumers_info(&t, "g")
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.name, c.pending, c.idle.as_millis() as u64))
        .collect();
    let expected = [("c1", 0, 500), ("c2", 2, 200), ("c3", 1, 100), ("c4", 1, 0)];
    let expected: Vec<_> = expected.iter().map(|(n, p, i)| (n.to_string(), *p, *i)).collect();
    assert_eq!(consumers, expected);
}

#[tokio::test(start_paused = true)]
async fn created_consumers_start_idle_at_zero() {
    // XGROUP CREATECONSUMER k g c1, 250 ms later XINFO CONSUMERS → c1 pending 0 idle ~250
    let backend = MemoryBackend::with_clock(Clock::starting_at(1_000_000));
    let t = topic("scen:cc");
    add_numbered(&backend, &t, 1).await;
    backend
        .group_create(&t, "g", GroupStart::Last, &GroupCreateOptions::new())
        .await
        .unwrap();
    backend.consumer_create(&t, "g", "c1").await.unwrap();
    tokio::time::advance(Duration::from_millis(250)).await;
    let info = backend.consumers_info(&t, "g").await.unwrap();
    assert_eq!((info[0].pending, info[0].idle), (0, Duration::from_millis(250)));
}
