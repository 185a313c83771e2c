//! Blocking XREAD/XREADGROUP on paused tokio time (no real sleeps), and `MemoryBackend::wait_for_len`.
//! Expected answers come from redis-cli on 7.0.15 (a blocked `redis-cli` in the background, then the command that
//! releases it).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use bus_core::{
    AppendOptions, Backend, Clock, Entry, EntryId, Error, GroupCreateOptions, GroupCursor, GroupEntry, GroupStart,
    ReadCursor, ReadGroupOptions, ReadOptions, ReadReply, Result, Topic,
};
use bus_memory::MemoryBackend;
use common::{add, fields, reply_ids, topic};
use tokio::task::JoinHandle;
use tokio::time::Instant;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Lets spawned tasks run (and register as blocked) by sleeping on paused time.
async fn settle() {
    tokio::time::sleep(ms(1)).await;
}

fn backend() -> MemoryBackend {
    MemoryBackend::with_clock(Clock::starting_at(1_000_000))
}

fn spawn_read(
    backend: &MemoryBackend,
    cursors: Vec<(Topic, ReadCursor)>,
    options: ReadOptions,
) -> JoinHandle<Result<ReadReply<Entry>>> {
    let backend = backend.clone();
    tokio::spawn(async move { backend.read(&cursors, &options).await })
}

fn spawn_group_read(
    backend: &MemoryBackend,
    t: &Topic,
    consumer: &str,
    options: ReadGroupOptions,
) -> JoinHandle<Result<ReadReply<GroupEntry>>> {
    let (backend, t, consumer) = (backend.clone(), t.clone(), consumer.to_owned());
    tokio::spawn(async move {
        backend
            .read_group("g", &consumer, &[(t, GroupCursor::New)], &options)
            .await
    })
}

async fn group_at_end(backend: &MemoryBackend, t: &Topic) {
    backend
        .group_create(t, "g", GroupStart::Last, &GroupCreateOptions::new().mkstream())
        .await
        .unwrap();
}

fn entry_id(e: &Entry) -> EntryId {
    e.id
}

fn one(topic: &str, ids: &[&str]) -> Vec<(String, Vec<String>)> {
    vec![(topic.to_owned(), ids.iter().map(|s| s.to_string()).collect())]
}

#[tokio::test(start_paused = true)]
async fn blocked_read_is_served_by_an_append() {
    // XREAD BLOCK 0 STREAMS k $ in the background; XADD k 1-1 f v → the reader gets scen:b 1-1 f v
    let backend = backend();
    let t = topic("scen:b");
    add(&backend, &t, "1-0", "old").await;
    let reader = spawn_read(
        &backend,
        vec![(t.clone(), ReadCursor::New)],
        ReadOptions::new().block(ms(1_000)),
    );
    settle().await;
    assert!(!reader.is_finished());
    add(&backend, &t, "1-1", "new").await;
    let reply = reader.await.unwrap().unwrap().into_topics();
    assert_eq!(reply_ids(&reply, entry_id), one("scen:b", &["1-1"]));
}

#[tokio::test(start_paused = true)]
async fn blocked_read_over_several_topics_answers_with_the_topic_that_got_entries() {
    // XREAD BLOCK 0 STREAMS a b $ $; XADD b 1-1 → only b
    let backend = backend();
    let (a, b) = (topic("scen:ba"), topic("scen:bb"));
    let cursors = vec![(a, ReadCursor::New), (b.clone(), ReadCursor::New)];
    let reader = spawn_read(&backend, cursors, ReadOptions::new().block(Duration::ZERO));
    settle().await;
    add(&backend, &b, "1-1", "x").await;
    let reply = reader.await.unwrap().unwrap().into_topics();
    assert_eq!(reply_ids(&reply, entry_id), one("scen:bb", &["1-1"]));
}

#[tokio::test(start_paused = true)]
async fn block_timeout_returns_none_after_exactly_the_block_time() {
    // XREAD BLOCK 10 STREAMS k $ with no append → nil (here `None`)
    let backend = backend();
    let t = topic("scen:b");
    add(&backend, &t, "1-1", "x").await;
    let start = Instant::now();
    let reply = backend
        .read(&[(t.clone(), ReadCursor::New)], &ReadOptions::new().block(ms(100)))
        .await
        .unwrap();
    assert_eq!(reply, ReadReply::TimedOut);
    assert_eq!(start.elapsed(), ms(100));
    group_at_end(&backend, &t).await;
    let start = Instant::now();
    let reply = backend
        .read_group(
            "g",
            "c",
            &[(t, GroupCursor::New)],
            &ReadGroupOptions::new().block(ms(250)),
        )
        .await
        .unwrap();
    assert_eq!(reply, ReadReply::TimedOut);
    assert_eq!(start.elapsed(), ms(250));
}

#[tokio::test(start_paused = true)]
async fn block_zero_waits_forever() {
    let backend = backend();
    let t = topic("scen:b");
    let reader = spawn_read(
        &backend,
        vec![(t.clone(), ReadCursor::New)],
        ReadOptions::new().block(Duration::ZERO),
    );
    tokio::time::sleep(Duration::from_secs(24 * 3600)).await;
    assert!(!reader.is_finished());
    add(&backend, &t, "1-1", "x").await;
    let reply = reader.await.unwrap().unwrap().into_topics();
    assert_eq!(reply_ids(&reply, entry_id), one("scen:b", &["1-1"]));
}

#[tokio::test(start_paused = true)]
async fn blocked_group_readers_are_served_in_arrival_order() {
    // c1 then c2 block with XREADGROUP … COUNT 1 BLOCK 0 … >; XADD 5-1 → c1 gets 5-1, c2 keeps waiting;
    // XADD 6-1 → c2 gets 6-1; XINFO CONSUMERS: c1 pending 1, c2 pending 1
    let backend = backend();
    let t = topic("scen:b");
    group_at_end(&backend, &t).await;
    let options = ReadGroupOptions::new().count(1).block(Duration::ZERO);
    let c1 = spawn_group_read(&backend, &t, "c1", options);
    settle().await;
    let c2 = spawn_group_read(&backend, &t, "c2", options);
    settle().await;
    // Blocked readers are not consumers yet: Redis creates the consumer when it serves it.
    assert!(backend.consumers_info(&t, "g").await.unwrap().is_empty());
    add(&backend, &t, "5-1", "a").await;
    let got = c1.await.unwrap().unwrap().into_topics();
    assert_eq!(reply_ids(&got, GroupEntry::id), one("scen:b", &["5-1"]));
    settle().await;
    assert!(!c2.is_finished());
    add(&backend, &t, "6-1", "b").await;
    let got = c2.await.unwrap().unwrap().into_topics();
    assert_eq!(reply_ids(&got, GroupEntry::id), one("scen:b", &["6-1"]));
    let pending: Vec<_> = backend
        .consumers_info(&t, "g")
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.name, c.pending))
        .collect();
    assert_eq!(pending, [("c1".to_owned(), 1), ("c2".to_owned(), 1)]);
}

#[tokio::test(start_paused = true)]
async fn destroying_the_group_fails_its_blocked_readers_with_nogroup() {
    // XREADGROUP … BLOCK 0 … > in the background; XGROUP DESTROY k g →
    // NOGROUP the consumer group this client was blocked on no longer exists
    let backend = backend();
    let t = topic("scen:b");
    group_at_end(&backend, &t).await;
    let reader = spawn_group_read(&backend, &t, "c", ReadGroupOptions::new().block(Duration::ZERO));
    settle().await;
    assert!(backend.group_destroy(&t, "g").await.unwrap());
    let err = reader.await.unwrap().unwrap_err();
    assert!(matches!(err, Error::NoGroup { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "NOGROUP the consumer group this client was blocked on no longer exists"
    );
}

#[tokio::test(start_paused = true)]
async fn deleting_the_topic_fails_blocked_group_readers_with_unblocked() {
    // XREADGROUP … BLOCK 0 … > in the background; DEL k → UNBLOCKED the stream key no longer exists
    let backend = backend();
    let t = topic("scen:b");
    group_at_end(&backend, &t).await;
    let reader = spawn_group_read(&backend, &t, "c", ReadGroupOptions::new().block(Duration::ZERO));
    settle().await;
    assert!(backend.drop_topic(&t).await.unwrap());
    let err = reader.await.unwrap().unwrap_err();
    assert!(matches!(err, Error::TopicDeleted { .. }), "{err:?}");
    assert_eq!(err.to_string(), "UNBLOCKED the stream key no longer exists");
    assert!(backend.topics().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_plain_reader_keeps_waiting_across_a_deletion_and_is_served_when_the_topic_returns() {
    // XADD k 1-1; XREAD BLOCK 0 STREAMS k $ in the background; DEL k; XADD k 1-2 f w → the reader gets 1-2
    let backend = backend();
    let t = topic("scen:b");
    add(&backend, &t, "1-1", "v").await;
    let reader = spawn_read(
        &backend,
        vec![(t.clone(), ReadCursor::New)],
        ReadOptions::new().block(Duration::ZERO),
    );
    settle().await;
    assert!(backend.drop_topic(&t).await.unwrap());
    settle().await;
    assert!(!reader.is_finished());
    add(&backend, &t, "1-2", "w").await;
    let reply = reader.await.unwrap().unwrap().into_topics();
    assert_eq!(reply_ids(&reply, entry_id), one("scen:b", &["1-2"]));
}

#[tokio::test(start_paused = true)]
async fn a_plain_reader_on_a_missing_topic_is_served_by_the_first_append() {
    // XREAD BLOCK 0 STREAMS missing $; XADD missing 1-1 → 1-1
    let backend = backend();
    let t = topic("scen:b");
    let reader = spawn_read(
        &backend,
        vec![(t.clone(), ReadCursor::New)],
        ReadOptions::new().block(Duration::ZERO),
    );
    settle().await;
    add(&backend, &t, "1-1", "v").await;
    let reply = reader.await.unwrap().unwrap().into_topics();
    assert_eq!(reply_ids(&reply, entry_id), one("scen:b", &["1-1"]));
}

#[tokio::test(start_paused = true)]
async fn a_timed_out_or_dropped_reader_leaves_nothing_behind() {
    // After a timeout or a dropped read future, an append serves no one: no entry goes pending.
    let backend = backend();
    let t = topic("scen:b");
    group_at_end(&backend, &t).await;
    let reply = backend
        .read_group(
            "g",
            "c",
            &[(t.clone(), GroupCursor::New)],
            &ReadGroupOptions::new().block(ms(10)),
        )
        .await
        .unwrap();
    assert_eq!(reply, ReadReply::TimedOut);
    let reader = spawn_group_read(&backend, &t, "c", ReadGroupOptions::new().block(Duration::ZERO));
    settle().await;
    reader.abort();
    let _ = reader.await;
    add(&backend, &t, "1-1", "v").await;
    assert_eq!(backend.pending_summary(&t, "g").await.unwrap().count, 0);
    assert_eq!(
        backend.groups_info(&t).await.unwrap()[0].last_delivered_id,
        EntryId::MIN
    );
}

#[tokio::test(start_paused = true)]
async fn wait_for_len_wakes_on_appends_and_times_out() {
    let backend = backend();
    let t = topic("scen:w");
    let waiter = {
        let (backend, t) = (backend.clone(), t.clone());
        tokio::spawn(async move { backend.wait_for_len(&t, 2, Duration::from_secs(5)).await })
    };
    settle().await;
    add(&backend, &t, "1-1", "a").await;
    settle().await;
    assert!(!waiter.is_finished(), "one entry is not enough");
    tokio::time::advance(ms(1_000)).await;
    backend
        .append(&t, fields(&[("n", "b")]), &AppendOptions::new().id(EntryId::new(2, 1)))
        .await
        .unwrap();
    assert_eq!(waiter.await.unwrap().unwrap(), 2);

    let start = Instant::now();
    let err = backend.wait_for_len(&t, 3, ms(500)).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                may_have_executed: false,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(start.elapsed(), ms(500));
    // Already long enough: returns at once.
    let start = Instant::now();
    assert_eq!(backend.wait_for_len(&t, 1, ms(500)).await.unwrap(), 2);
    assert_eq!(start.elapsed(), Duration::ZERO);
}
