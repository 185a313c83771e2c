//! Blocked readers released by keyspace changes exactly as Redis 7.0.15 releases them. Each case was run there
//! with a blocked `redis-cli` in the background and the releasing command from another client:
//! - XREADGROUP fails with `UNBLOCKED the stream key no longer exists` when its key is deleted (DEL, FLUSHALL,
//!   expiry, RENAME away), overwritten by another type (SET, or a RENAME of a string onto it);
//! - XREAD stays blocked through all of these and is served by the next stream created under the name;
//! - RENAME onto a blocked key serves its readers from the new stream: entries, or NOGROUP for a group reader
//!   whose group the new stream lacks, or nothing yet;
//! - in a transaction (`hold_wakeups`), readers are served from what the keys hold at EXEC's end.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use bus_core::{
    Backend, Entry, EntryId, Error, GroupCommand, GroupCreateOptions, GroupCursor, GroupEntry, GroupStart, ReadCursor,
    ReadGroupOptions, ReadOptions, ReadReply, Result, Topic,
};
use bus_memory::{ExpireCondition, ListEnd, MemoryBackend, SetOptions};
use common::{add, bs, key};
use tokio::task::JoinHandle;

type Read<E> = JoinHandle<Result<ReadReply<E>>>;

fn read(backend: &MemoryBackend, topic: &Topic, after: Option<&str>) -> Read<Entry> {
    let (backend, topic) = (backend.clone(), topic.clone());
    let cursor = after.map_or(ReadCursor::New, |id| ReadCursor::After(id.parse().unwrap()));
    tokio::spawn(async move {
        let options = ReadOptions::new().block(Duration::ZERO);
        backend.read(&[(topic, cursor)], &options).await
    })
}

fn read_group(backend: &MemoryBackend, topic: &Topic) -> Read<GroupEntry> {
    let (backend, topic) = (backend.clone(), topic.clone());
    tokio::spawn(async move {
        let options = ReadGroupOptions::new().block(Duration::ZERO);
        backend
            .read_group("g", "c", &[(topic, GroupCursor::New)], &options)
            .await
    })
}

async fn until_blocked(backend: &MemoryBackend, readers: usize) {
    for _ in 0..1000 {
        if backend.blocked_readers() == readers {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!(
        "expected {readers} blocked readers, found {}",
        backend.blocked_readers()
    );
}

async fn assert_still_blocked<E>(backend: &MemoryBackend, handle: &Read<E>) {
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
    assert!(!handle.is_finished(), "the reader must still be blocked");
    assert_eq!(backend.blocked_readers(), 1);
}

/// A stream `s` with entry 1-0 and group `g` at its end, and a group reader blocked on it.
async fn blocked_group_reader() -> (MemoryBackend, Topic, Read<GroupEntry>) {
    let backend = MemoryBackend::new();
    let s = key("s");
    add(&backend, &s, "1-0", "v").await;
    backend
        .group_create(&s, "g", GroupStart::Last, &GroupCreateOptions::new())
        .await
        .unwrap();
    let reader = read_group(&backend, &s);
    until_blocked(&backend, 1).await;
    (backend, s, reader)
}

async fn assert_unblocked_deleted(reader: Read<GroupEntry>) {
    match reader.await.unwrap() {
        Err(err @ Error::TopicDeleted { .. }) => {
            assert_eq!(err.to_string(), "UNBLOCKED the stream key no longer exists");
        }
        other => panic!("expected UNBLOCKED, got {other:?}"),
    }
}

async fn entry_ids<E>(reader: Read<E>, id_of: fn(&E) -> EntryId) -> Vec<String> {
    let reply = reader.await.unwrap().unwrap();
    reply.into_entries().map(|e| id_of(&e).to_string()).collect()
}

fn plain_id(entry: &Entry) -> EntryId {
    entry.id
}

fn group_id(entry: &GroupEntry) -> EntryId {
    entry.id()
}

#[tokio::test(start_paused = true)]
async fn a_group_reader_fails_when_its_stream_is_deleted_flushed_overwritten_or_renamed_away() {
    let (backend, s, reader) = blocked_group_reader().await;
    backend.del(std::slice::from_ref(&s));
    assert_unblocked_deleted(reader).await;

    let (backend, _, reader) = blocked_group_reader().await;
    backend.flush();
    assert_unblocked_deleted(reader).await;

    let (backend, s, reader) = blocked_group_reader().await;
    backend.set(&s, "x", &SetOptions::new()).unwrap();
    assert_unblocked_deleted(reader).await;

    let (backend, s, reader) = blocked_group_reader().await;
    backend.rename(&s, &key("t")).unwrap();
    assert_unblocked_deleted(reader).await;

    let (backend, s, reader) = blocked_group_reader().await;
    backend.set(&key("t"), "x", &SetOptions::new()).unwrap();
    backend.rename(&key("t"), &s).unwrap();
    assert_unblocked_deleted(reader).await;
    assert_eq!(backend.blocked_readers(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_group_reader_fails_when_its_stream_expires() {
    let (backend, s, reader) = blocked_group_reader().await;
    let deadline = i64::try_from(backend.clock().now_ms()).unwrap() + 200;
    assert!(backend.pexpire_at(&s, deadline, ExpireCondition::default()));
    tokio::time::advance(Duration::from_millis(199)).await;
    assert_still_blocked(&backend, &reader).await;
    tokio::time::advance(Duration::from_millis(1)).await;
    assert_unblocked_deleted(reader).await;
}

#[tokio::test(start_paused = true)]
async fn a_plain_reader_waits_through_deletion_flush_type_change_and_rename_for_a_new_stream() {
    let backend = MemoryBackend::new();
    let s = key("s");
    add(&backend, &s, "1-0", "v").await;
    let reader = read(&backend, &s, None);
    until_blocked(&backend, 1).await;
    backend.del(std::slice::from_ref(&s));
    assert_still_blocked(&backend, &reader).await;
    backend.set(&s, "x", &SetOptions::new()).unwrap();
    assert_still_blocked(&backend, &reader).await;
    backend.flush();
    assert_still_blocked(&backend, &reader).await;
    backend.push(&s, ListEnd::Left, bs(&["a"]), false).unwrap();
    assert_still_blocked(&backend, &reader).await;
    backend.del(std::slice::from_ref(&s));
    // A stream whose entries are all at or before the cursor (1-0) serves nothing.
    add(&backend, &s, "0-1", "v").await;
    assert_still_blocked(&backend, &reader).await;
    backend.rename(&s, &key("t")).unwrap();
    add(&backend, &key("t"), "7-0", "v").await;
    assert_still_blocked(&backend, &reader).await;
    add(&backend, &s, "8-0", "v").await;
    assert_eq!(entry_ids(reader, plain_id).await, ["8-0"]);
}

#[tokio::test(start_paused = true)]
async fn rename_onto_a_blocked_key_serves_its_readers_from_the_new_stream() {
    // RENAME t s where t has group g from 0 and entry 5-0: the group reader gets 5-0.
    let (backend, s, reader) = blocked_group_reader().await;
    let t = key("t");
    add(&backend, &t, "5-0", "v").await;
    backend
        .group_create(&t, "g", GroupStart::Id(EntryId::MIN), &GroupCreateOptions::new())
        .await
        .unwrap();
    backend.rename(&t, &s).unwrap();
    assert_eq!(entry_ids(reader, group_id).await, ["5-0"]);
    assert_eq!(
        backend.pending_summary(&s, "g").await.unwrap().count,
        1,
        "delivered through the new group"
    );

    // t without group g: NOGROUP, in the words of a blocked reader.
    let (backend, s, reader) = blocked_group_reader().await;
    add(&backend, &key("t"), "5-0", "v").await;
    backend.rename(&key("t"), &s).unwrap();
    match reader.await.unwrap() {
        Err(
            err @ Error::NoGroup {
                command: GroupCommand::Blocked,
                ..
            },
        ) => assert_eq!(
            err.to_string(),
            "NOGROUP the consumer group this client was blocked on no longer exists"
        ),
        other => panic!("expected NOGROUP, got {other:?}"),
    }

    // t with group g at its end: nothing new, the reader keeps waiting on the new stream.
    let (backend, s, reader) = blocked_group_reader().await;
    add(&backend, &key("t"), "5-0", "v").await;
    backend
        .group_create(&key("t"), "g", GroupStart::Last, &GroupCreateOptions::new())
        .await
        .unwrap();
    backend.rename(&key("t"), &s).unwrap();
    assert_still_blocked(&backend, &reader).await;
    add(&backend, &s, "6-0", "v").await;
    assert_eq!(entry_ids(reader, group_id).await, ["6-0"]);
}

#[tokio::test(start_paused = true)]
async fn rename_onto_a_key_a_plain_reader_waits_on_serves_entries_after_its_cursor_only() {
    let backend = MemoryBackend::new();
    let s = key("s");
    add(&backend, &s, "1-0", "v").await;
    let reader = read(&backend, &s, Some("1-0"));
    until_blocked(&backend, 1).await;
    add(&backend, &key("t"), "0-5", "v").await;
    backend.rename(&key("t"), &s).unwrap();
    assert_still_blocked(&backend, &reader).await;
    add(&backend, &key("u"), "5-0", "v").await;
    backend.rename(&key("u"), &s).unwrap();
    assert_eq!(entry_ids(reader, plain_id).await, ["5-0"]);
}

#[tokio::test(start_paused = true)]
async fn held_wakeups_serve_readers_from_what_the_keys_hold_at_the_end() {
    let backend = MemoryBackend::new();
    let s1 = key("s1");
    // MULTI; XADD s1 …; DEL s1; EXEC wakes nobody; the next XADD does.
    let reader = read(&backend, &s1, None);
    until_blocked(&backend, 1).await;
    let hold = backend.hold_wakeups();
    add(&backend, &s1, "1-0", "old").await;
    backend.del(std::slice::from_ref(&s1));
    drop(hold);
    assert_still_blocked(&backend, &reader).await;
    // MULTI; XADD; DEL; LPUSH; EXEC: still nobody (the key ends as a list).
    let hold = backend.hold_wakeups();
    add(&backend, &s1, "2-0", "old").await;
    backend.del(std::slice::from_ref(&s1));
    backend.push(&s1, ListEnd::Left, bs(&["foo", "bar"]), false).unwrap();
    drop(hold);
    assert_still_blocked(&backend, &reader).await;
    backend.del(std::slice::from_ref(&s1));
    add(&backend, &s1, "3-0", "new").await;
    assert_eq!(entry_ids(reader, plain_id).await, ["3-0"]);

    // Two appends in one transaction reach the reader together.
    let reader = read(&backend, &s1, None);
    until_blocked(&backend, 1).await;
    let outer = backend.hold_wakeups();
    let inner = backend.hold_wakeups();
    add(&backend, &s1, "4-0", "a").await;
    drop(inner);
    add(&backend, &s1, "5-0", "b").await;
    assert_still_blocked(&backend, &reader).await;
    drop(outer);
    assert_eq!(entry_ids(reader, plain_id).await, ["4-0", "5-0"]);
}

#[tokio::test(start_paused = true)]
async fn held_wakeups_release_a_group_reader_whose_key_changed_type() {
    // MULTI; DEL mystream; SADD mystream e1; EXEC.
    let (backend, s, reader) = blocked_group_reader().await;
    let hold = backend.hold_wakeups();
    backend.del(std::slice::from_ref(&s));
    backend.sadd(&s, bs(&["e1"])).unwrap();
    assert_still_blocked(&backend, &reader).await;
    drop(hold);
    assert_unblocked_deleted(reader).await;
}
