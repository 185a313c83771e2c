//! bus-redis's blocking reads against a real redis-server: a BLOCK longer than
//! [`RedisOptions::block_chunk`](bus_redis::RedisOptions::block_chunk) (or infinite) runs as several shorter
//! ones that together miss nothing and end when the whole block does, for plain and group reads; a blocking read
//! whose future is dropped is released on the server (`CLIENT UNBLOCK`) and leaves the backend usable. What a
//! blocking read returns is the conformance suite's (`blocking` family).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

mod common;

use std::time::Duration;

use bus_core::{
    AppendOptions, Backend, EntryId, Error, GroupCommand, GroupCreateOptions, GroupCursor, GroupEntry, GroupStart,
    ReadCursor, ReadGroupOptions, ReadOptions, ReadReply,
};
use common::{entry, fields, id, raw, topic};

/// A backend whose blocks run in chunks of 100 ms, each answered within 500 ms.
async fn chunked(name: &str) -> Option<(common::TestRedis, bus_redis::RedisBackend)> {
    let server = common::TestRedis::start(name)?;
    let options = bus_redis::RedisOptions::new()
        .block_chunk(Duration::from_millis(100))
        .response_timeout(Duration::from_millis(500));
    let backend = server.backend_with(options).await.unwrap();
    Some((server, backend))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_reads_longer_than_a_chunk_miss_nothing() {
    let Some((_server, backend)) = chunked("blocking_reads_longer_than_a_chunk_miss_nothing").await else {
        return;
    };
    let t = topic("stream:1");
    backend
        .append(&t, fields(&[("old", "1")]), &AppendOptions::new().id(id(1, 0)))
        .await
        .unwrap();
    let writer = backend.clone();
    let wt = t.clone();
    let task = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(350)).await;
        writer
            .append(&wt, fields(&[("new", "1")]), &AppendOptions::new().id(id(2, 0)))
            .await
            .unwrap();
    });
    // `$` is pinned to 1-0 before the first chunk, so the entry appended during the fourth chunk is seen.
    let started = std::time::Instant::now();
    let reply = backend
        .read(
            &[(t.clone(), ReadCursor::New)],
            &ReadOptions::new().block(Duration::from_secs(5)),
        )
        .await
        .unwrap()
        .into_topics();
    assert_eq!(reply[0].entries, vec![entry(2, 0, &[("new", "1")])]);
    assert!(started.elapsed() < Duration::from_secs(2));
    task.await.unwrap();
    // An infinite block (BLOCK 0) too, with a 5 s block longer than the 500 ms response timeout.
    let writer = backend.clone();
    let wt = t.clone();
    let task = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(250)).await;
        writer
            .append(&wt, fields(&[("later", "1")]), &AppendOptions::new().id(id(3, 0)))
            .await
            .unwrap();
    });
    let reply = backend
        .read(
            &[(t.clone(), ReadCursor::New)],
            &ReadOptions::new().block(Duration::ZERO),
        )
        .await
        .unwrap()
        .into_topics();
    assert_eq!(reply[0].entries, vec![entry(3, 0, &[("later", "1")])]);
    task.await.unwrap();
    // A finite block across several chunks ends with None after about its duration.
    let started = std::time::Instant::now();
    let reply = backend
        .read(
            &[(t.clone(), ReadCursor::New)],
            &ReadOptions::new().block(Duration::from_millis(350)),
        )
        .await
        .unwrap();
    assert_eq!(reply, ReadReply::TimedOut);
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(350) && elapsed < Duration::from_secs(2),
        "{elapsed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_group_reads_longer_than_a_chunk_are_served_and_released() {
    let Some((_server, backend)) = chunked("blocking_group_reads_longer_than_a_chunk_are_served_and_released").await
    else {
        return;
    };
    let t = topic("group:1");
    let at_end = GroupCreateOptions::new().mkstream();
    backend.group_create(&t, "g", GroupStart::Last, &at_end).await.unwrap();
    // Each reader blocks forever (BLOCK 0, so in chunks); what ends it happens during its fourth chunk.
    let blocked = || {
        let (reader, t) = (backend.clone(), t.clone());
        tokio::spawn(async move {
            let options = ReadGroupOptions::new().block(Duration::ZERO);
            reader.read_group("g", "c", &[(t, GroupCursor::New)], &options).await
        })
    };
    let reader = blocked();
    tokio::time::sleep(Duration::from_millis(350)).await;
    backend
        .append(&t, fields(&[("new", "1")]), &AppendOptions::new().id(id(1, 0)))
        .await
        .unwrap();
    let served = reader.await.unwrap().unwrap().into_topics();
    assert_eq!(
        served[0].entries,
        vec![GroupEntry::Present(entry(1, 0, &[("new", "1")]))]
    );

    let reader = blocked();
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert!(backend.group_destroy(&t, "g").await.unwrap());
    let err = reader.await.unwrap().unwrap_err();
    assert!(
        matches!(err, Error::NoGroup { command: GroupCommand::Blocked, ref topic, .. } if topic == "group:1"),
        "{err:?}"
    );

    backend.group_create(&t, "g", GroupStart::Last, &at_end).await.unwrap();
    let reader = blocked();
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert!(backend.drop_topic(&t).await.unwrap());
    let err = reader.await.unwrap().unwrap_err();
    assert!(
        matches!(err, Error::TopicDeleted { ref topic } if topic == "group:1"),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_blocking_read_leaves_nothing_blocked() {
    let (server, backend) = setup!("a_dropped_blocking_read_leaves_nothing_blocked");
    if !server.prefix().is_empty() {
        eprintln!(
            "SKIP a_dropped_blocking_read_leaves_nothing_blocked: counts blocked clients, needs a private server"
        );
        return;
    }
    let t = topic("drop:1");
    let reader = backend.clone();
    let rt = t.clone();
    let task = tokio::spawn(async move {
        reader
            .read(
                &[(rt, ReadCursor::New)],
                &ReadOptions::new().block(Duration::from_secs(30)),
            )
            .await
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let info: String = raw(&server, &["INFO", "clients"]);
    assert!(info.contains("blocked_clients:1"), "{info}");
    task.abort();
    let _ = task.await;
    let mut unblocked = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let info: String = raw(&server, &["INFO", "clients"]);
        if info.contains("blocked_clients:0") {
            unblocked = true;
            break;
        }
    }
    assert!(unblocked, "the abandoned XREAD is still blocked on the server");
    // The backend still works, blocking reads included.
    backend
        .append(&t, fields(&[("a", "1")]), &AppendOptions::new().id(id(1, 0)))
        .await
        .unwrap();
    let reply = backend
        .read(
            &[(t.clone(), ReadCursor::After(EntryId::MIN))],
            &ReadOptions::new().block(Duration::from_millis(10)),
        )
        .await
        .unwrap()
        .into_topics();
    assert_eq!(reply[0].entries.len(), 1);
}
