//! A backend on `Clock::manual`: ids, idle times, BLOCK timeouts and key expiry all move only when the clock is
//! advanced, whatever real or tokio time passes; and the default clock still follows tokio's paused time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use bus_core::{
    AppendOptions, Backend, Clock, EntryId, Error, GroupCreateOptions, GroupCursor, GroupStart, ReadCursor,
    ReadGroupOptions, ReadOptions,
};
use bus_memory::{ExpireCondition, KeyTtl, MemoryBackend, SetOptions};
use common::{add, fields, id, key};

async fn until_blocked(backend: &MemoryBackend) {
    while backend.blocked_readers() == 0 {
        tokio::task::yield_now().await;
    }
}

/// An XREAD of `s` (new entries) blocked for `block_ms`.
fn spawn_read(
    backend: &MemoryBackend,
    block_ms: u64,
) -> tokio::task::JoinHandle<bus_core::Result<bus_core::ReadReply<bus_core::Entry>>> {
    let backend = backend.clone();
    tokio::spawn(async move {
        let options = ReadOptions::new().block(Duration::from_millis(block_ms));
        backend.read(&[(key("s"), ReadCursor::New)], &options).await
    })
}

#[tokio::test(start_paused = true)]
async fn a_block_times_out_when_the_clock_is_advanced_by_its_length_not_before() {
    let clock = Clock::manual(1_000_000);
    let backend = MemoryBackend::with_clock(clock.clone());
    let read = spawn_read(&backend, 1_000);
    until_blocked(&backend).await;
    // Tokio time passes (paused, it jumps): the clock stands still and the read stays blocked.
    tokio::time::sleep(Duration::from_millis(30)).await;
    assert!(!read.is_finished());
    clock.advance(Duration::from_millis(999)).unwrap();
    tokio::time::sleep(Duration::from_millis(30)).await;
    assert!(!read.is_finished(), "999 ms of the block's 1000 have passed");
    clock.advance(Duration::from_millis(1)).unwrap();
    assert!(read.await.unwrap().unwrap().is_timed_out());
}

#[tokio::test(start_paused = true)]
async fn paused_tokio_time_does_not_move_a_manual_clock() {
    let clock = Clock::manual(5_000);
    let backend = MemoryBackend::with_clock(clock.clone());
    let s = key("s");
    let read = spawn_read(&backend, 100);
    until_blocked(&backend).await;
    tokio::time::advance(Duration::from_secs(3_600)).await;
    assert!(!read.is_finished());
    // Generated ids read the manual clock, so entries get its time.
    let appended = backend
        .append(&s, fields(&[("f", "v")]), &AppendOptions::new())
        .await
        .unwrap();
    assert_eq!(appended, Some(id(5_000, 0)));
    assert_eq!(
        read.await.unwrap().unwrap().into_entries().next().unwrap().id,
        id(5_000, 0)
    );
}

#[tokio::test(start_paused = true)]
async fn idle_times_and_expiry_follow_the_manual_clock() {
    let clock = Clock::manual(1_000_000);
    let backend = MemoryBackend::with_clock(clock.clone());
    let s = key("s");
    add(&backend, &s, "1-0", "v").await;
    backend
        .group_create(&s, "g", GroupStart::Id(EntryId::MIN), &GroupCreateOptions::new())
        .await
        .unwrap();
    backend
        .read_group("g", "c", &[(s.clone(), GroupCursor::New)], &ReadGroupOptions::new())
        .await
        .unwrap();
    clock.advance(Duration::from_millis(250)).unwrap();
    assert_eq!(
        backend.consumers_info(&s, "g").await.unwrap()[0].idle,
        Duration::from_millis(250)
    );

    // A blocked group reader is released by the expiry of its key, when the clock passes the deadline.
    let read = tokio::spawn({
        let (backend, s) = (backend.clone(), s.clone());
        async move {
            let options = ReadGroupOptions::new().block(Duration::ZERO);
            backend.read_group("g", "c", &[(s, GroupCursor::New)], &options).await
        }
    });
    until_blocked(&backend).await;
    assert!(backend.pexpire_at(&s, 1_000_750, ExpireCondition::default()));
    tokio::time::sleep(Duration::from_millis(30)).await;
    assert!(!read.is_finished());
    assert_eq!(backend.pttl(&s), KeyTtl::Expires(Duration::from_millis(500)));
    clock.advance(Duration::from_millis(500)).unwrap();
    assert!(matches!(read.await.unwrap(), Err(Error::TopicDeleted { .. })));
    assert_eq!(backend.key_type(&s), None);

    // A string's deadline too, with nobody looking at the key.
    let k = key("k");
    backend.set(&k, "v", &SetOptions::new()).unwrap();
    assert!(backend.pexpire_at(&k, 1_000_760, ExpireCondition::default()));
    clock.advance(Duration::from_millis(10)).unwrap();
    for _ in 0..100 {
        if backend.dbsize() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert_eq!(backend.dbsize(), 0);
}

#[tokio::test(start_paused = true)]
async fn wait_for_len_times_out_on_the_manual_clock() {
    let clock = Clock::manual(1_000);
    let backend = MemoryBackend::with_clock(clock.clone());
    let wait = tokio::spawn({
        let backend = backend.clone();
        async move { backend.wait_for_len(&key("s"), 1, Duration::from_millis(200)).await }
    });
    until_blocked(&backend).await;
    tokio::time::sleep(Duration::from_millis(30)).await;
    assert!(!wait.is_finished());
    clock.advance(Duration::from_millis(200)).unwrap();
    assert!(matches!(wait.await.unwrap(), Err(Error::Timeout { .. })));
}

#[tokio::test(start_paused = true)]
async fn the_default_clock_still_follows_paused_tokio_time() {
    let backend = MemoryBackend::with_clock(Clock::starting_at(1_000));
    assert!(backend.clock().advance(Duration::from_millis(1)).is_err());
    let read = spawn_read(&backend, 1_000);
    until_blocked(&backend).await;
    tokio::time::advance(Duration::from_millis(999)).await;
    tokio::task::yield_now().await;
    assert!(!read.is_finished());
    tokio::time::advance(Duration::from_millis(1)).await;
    assert!(read.await.unwrap().unwrap().is_timed_out());
    assert_eq!(backend.clock().now_ms(), 2_000);
}
