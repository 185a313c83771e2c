//! `Unblocker`: CLIENT UNBLOCK's two modes (checked on Redis 7.0.15: `CLIENT UNBLOCK <id> TIMEOUT` makes the
//! blocked XREADGROUP answer nil, `ERROR` makes it fail with `UNBLOCKED client unblocked via CLIENT UNBLOCK`;
//! both reply 1, and 0 when the client is no longer blocked), and the release being atomic with an append that
//! serves the same reader: a batch taken for the reader is returned, never lost.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use bus_core::{
    Backend, EntryId, Error, GroupCreateOptions, GroupCursor, GroupStart, ReadCursor, ReadGroupOptions, ReadOptions,
};
use bus_memory::{MemoryBackend, UnblockMode, Unblocker};
use common::{add, fields, key};
use tokio::sync::Barrier;

async fn until_blocked(unblocker: &Unblocker) {
    for _ in 0..100_000 {
        if unblocker.is_blocked() {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("the read never blocked");
}

type Read<E> = tokio::task::JoinHandle<bus_core::Result<bus_core::ReadReply<E>>>;

/// An XREAD of `s` blocked for `block`, releasable through `unblocker`.
fn spawn_read(backend: &MemoryBackend, unblocker: &Unblocker, block: Duration) -> Read<bus_core::Entry> {
    let (backend, unblocker) = (backend.clone(), unblocker.clone());
    tokio::spawn(async move {
        let options = ReadOptions::new().block(block);
        backend
            .read_with_unblocker(&[(key("s"), ReadCursor::New)], &options, &unblocker)
            .await
    })
}

/// An XREADGROUP of group `g` on `s` blocked forever, releasable through `unblocker`.
fn spawn_group_read(backend: &MemoryBackend, unblocker: &Unblocker) -> Read<bus_core::GroupEntry> {
    let (backend, unblocker) = (backend.clone(), unblocker.clone());
    tokio::spawn(async move {
        let options = ReadGroupOptions::new().block(Duration::ZERO);
        backend
            .read_group_with_unblocker("g", "c", &[(key("s"), GroupCursor::New)], &options, &unblocker)
            .await
    })
}

/// An empty stream `s` with group `g`.
async fn stream_with_group() -> (MemoryBackend, bus_core::Topic) {
    let backend = MemoryBackend::new();
    let s = key("s");
    let mkstream = GroupCreateOptions::new().mkstream();
    backend
        .group_create(&s, "g", GroupStart::Last, &mkstream)
        .await
        .unwrap();
    (backend, s)
}

#[tokio::test(start_paused = true)]
async fn timeout_mode_returns_as_a_timed_out_block() {
    let backend = MemoryBackend::new();
    let unblocker = Unblocker::new();
    assert!(!unblocker.unblock(UnblockMode::Timeout), "nothing blocked: 0");
    let read = spawn_read(&backend, &unblocker, Duration::from_secs(3_600));
    until_blocked(&unblocker).await;
    assert_eq!(backend.blocked_readers(), 1);
    assert!(unblocker.unblock(UnblockMode::Timeout));
    assert!(read.await.unwrap().unwrap().is_timed_out());
    assert!(!unblocker.is_blocked());
    assert!(!unblocker.unblock(UnblockMode::Error), "no longer blocked: 0");
    assert_eq!(backend.blocked_readers(), 0);
}

#[tokio::test(start_paused = true)]
async fn error_mode_fails_the_group_read_and_delivers_nothing() {
    let (backend, s) = stream_with_group().await;
    let unblocker = Unblocker::new();
    let read = spawn_group_read(&backend, &unblocker);
    until_blocked(&unblocker).await;
    assert!(unblocker.unblock(UnblockMode::Error));
    let err = read.await.unwrap().unwrap_err();
    assert!(matches!(err, Error::Unblocked), "{err:?}");
    assert_eq!(err.to_string(), "UNBLOCKED client unblocked via CLIENT UNBLOCK");
    add(&backend, &s, "1-0", "v").await;
    assert_eq!(
        backend.pending_summary(&s, "g").await.unwrap().count,
        0,
        "an append after the release serves nobody"
    );
}

#[tokio::test(start_paused = true)]
async fn a_dropped_read_is_no_longer_blocked() {
    let backend = MemoryBackend::new();
    let unblocker = Unblocker::new();
    let read = spawn_read(&backend, &unblocker, Duration::ZERO);
    until_blocked(&unblocker).await;
    read.abort();
    let _ = read.await;
    assert!(!unblocker.is_blocked());
    assert!(!unblocker.unblock(UnblockMode::Timeout));
    assert_eq!(backend.blocked_readers(), 0);
}

/// An append and a release at the same instant: exactly one wins. If the release wins, the entry stays new for
/// the group (nobody holds it pending); if the append wins, the read returns it and the release answers 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_racing_an_append_never_loses_the_batch() {
    let (mut released, mut served) = (0, 0);
    for round in 0..300 {
        let (backend, s) = stream_with_group().await;
        let unblocker = Unblocker::new();
        let read = spawn_group_read(&backend, &unblocker);
        until_blocked(&unblocker).await;
        let barrier = Arc::new(Barrier::new(2));
        let append = tokio::spawn({
            let (backend, barrier, s) = (backend.clone(), barrier.clone(), s.clone());
            async move {
                barrier.wait().await;
                let options = bus_core::AppendOptions::new();
                backend
                    .append(&s, fields(&[("n", "1")]), &options)
                    .await
                    .unwrap()
                    .unwrap()
            }
        });
        barrier.wait().await;
        let mode = if round % 2 == 0 {
            UnblockMode::Timeout
        } else {
            UnblockMode::Error
        };
        let unblocked = unblocker.unblock(mode);
        let appended: EntryId = append.await.unwrap();
        let reply = read.await.unwrap();
        let pending = backend.pending_summary(&s, "g").await.unwrap().count;
        if unblocked {
            released += 1;
            match mode {
                UnblockMode::Timeout => assert!(reply.unwrap().is_timed_out()),
                UnblockMode::Error => assert!(matches!(reply, Err(Error::Unblocked))),
            }
            assert_eq!(pending, 0, "round {round}: a released reader was handed nothing");
        } else {
            served += 1;
            let ids: Vec<EntryId> = reply.unwrap().into_entries().map(|e| e.id()).collect();
            assert_eq!(ids, [appended], "round {round}: the served batch is returned");
            assert_eq!(pending, 1);
        }
    }
    assert_eq!(released + served, 300);
}
