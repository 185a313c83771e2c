//! Appends, ranges, reads, trims, deletes and stream info against a real redis-server.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

mod common;

use std::time::Duration;

use bus_core::{
    AppendId, AppendOptions, Backend, EntryId, Error, RangeBound, ReadCursor, ReadOptions, ReadReply, TopicEntries,
    Trim,
};
use common::{entry, fields, id, key, raw, topic};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn append_and_ranges_keep_fields_exactly() {
    let (server, backend) = setup!("append_and_ranges_keep_fields_exactly");
    let t = topic("chat:1");
    let opts = |ms, seq| AppendOptions::new().id(id(ms, seq));
    // Order and duplicate fields survive.
    let dup = fields(&[("b", "2"), ("a", "1"), ("b", "3")]);
    assert_eq!(
        backend.append(&t, dup.clone(), &opts(1, 1)).await.unwrap(),
        Some(id(1, 1))
    );
    assert_eq!(
        backend
            .append(
                &t,
                fields(&[("x", "y")]),
                &AppendOptions::new().id(AppendId::AutoSeq(1))
            )
            .await
            .unwrap(),
        Some(id(1, 2))
    );
    backend.append(&t, fields(&[("k", "v")]), &opts(3, 0)).await.unwrap();
    let all = backend.range(&t, RangeBound::MIN, RangeBound::MAX, None).await.unwrap();
    assert_eq!(
        all,
        vec![
            entry(1, 1, &[("b", "2"), ("a", "1"), ("b", "3")]),
            entry(1, 2, &[("x", "y")]),
            entry(3, 0, &[("k", "v")]),
        ]
    );
    let exclusive = backend
        .range(
            &t,
            RangeBound::Exclusive(id(1, 1)),
            RangeBound::Exclusive(id(3, 0)),
            None,
        )
        .await
        .unwrap();
    assert_eq!(exclusive, vec![entry(1, 2, &[("x", "y")])]);
    let rev = backend
        .rev_range(&t, RangeBound::MAX, RangeBound::MIN, Some(2))
        .await
        .unwrap();
    assert_eq!(rev.iter().map(|e| e.id).collect::<Vec<_>>(), vec![id(3, 0), id(1, 2)]);
    assert_eq!(backend.len(&t).await.unwrap(), 3);
    assert_eq!(backend.len(&topic("missing")).await.unwrap(), 0);
    assert!(
        backend
            .range(&topic("missing"), RangeBound::MIN, RangeBound::MAX, None)
            .await
            .unwrap()
            .is_empty()
    );

    // Errors.
    let err = backend
        .append(&t, fields(&[("a", "1")]), &opts(2, 0))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "ERR The ID specified in XADD is equal or smaller than the target stream top item"
    );
    assert!(matches!(err, Error::IdNotGreater { ref topic, last_id } if topic == "chat:1" && last_id == id(3, 0)));
    let err = backend
        .append(&t, fields(&[("a", "1")]), &AppendOptions::new().id(EntryId::MIN))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "ERR The ID specified in XADD must be greater than 0-0");
    let err = backend
        .range(&t, RangeBound::Exclusive(EntryId::MAX), RangeBound::MAX, None)
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "ERR invalid start ID for the interval");
    assert!(matches!(err, Error::InvalidArgument { .. }));

    // NOMKSTREAM on a missing topic.
    let none = backend
        .append(
            &topic("nope"),
            fields(&[("a", "1")]),
            &AppendOptions::new().no_mkstream(),
        )
        .await
        .unwrap();
    assert_eq!(none, None);
    assert_eq!(raw::<u64>(&server, &["EXISTS", &key(&server, "nope")]), 0);

    // Exhausted ids.
    let full = topic("full");
    backend
        .append(&full, fields(&[("a", "1")]), &AppendOptions::new().id(EntryId::MAX))
        .await
        .unwrap();
    let err = backend
        .append(&full, fields(&[("a", "1")]), &AppendOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::IdExhausted { ref topic } if topic == "full"));
    assert_eq!(
        err.to_string(),
        "ERR The stream has exhausted the last possible ID, unable to add more items"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_type_names_the_topic() {
    let (server, backend) = setup!("wrong_type_names_the_topic");
    raw::<()>(&server, &["SET", &key(&server, "str"), "x"]);
    let t = topic("str");
    let ok = topic("ok");
    let expected = "WRONGTYPE Operation against a key holding the wrong kind of value";
    let err = backend
        .append(&t, fields(&[("a", "1")]), &AppendOptions::new())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::WrongType { ref topic } if topic == "str"),
        "{err:?}"
    );
    assert_eq!(err.to_string(), expected);
    let err = backend.len(&t).await.unwrap_err();
    assert!(matches!(err, Error::WrongType { .. }));
    // Multi-topic read: the offending topic is found.
    let cursors = [
        (ok.clone(), ReadCursor::After(EntryId::MIN)),
        (t.clone(), ReadCursor::After(EntryId::MIN)),
    ];
    let err = backend.read(&cursors, &ReadOptions::new()).await.unwrap_err();
    assert!(
        matches!(err, Error::WrongType { ref topic } if topic == "str"),
        "{err:?}"
    );
    let message = bus_core::Message::new(&1).unwrap();
    let err = backend.publish(&t, &message, &AppendOptions::new()).await.unwrap_err();
    assert_eq!(err.to_string(), expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_over_several_topics() {
    let (_server, backend) = setup!("reads_over_several_topics");
    let (a, b) = (topic("a"), topic("b"));
    for (t, ms) in [(&a, 1), (&a, 2), (&b, 5)] {
        backend
            .append(t, fields(&[("n", "v")]), &AppendOptions::new().id(id(ms, 0)))
            .await
            .unwrap();
    }
    let cursors = [
        (a.clone(), ReadCursor::After(id(1, 0))),
        (b.clone(), ReadCursor::After(EntryId::MIN)),
    ];
    let reply = backend.read(&cursors, &ReadOptions::new()).await.unwrap().into_topics();
    assert_eq!(
        reply,
        vec![
            TopicEntries {
                topic: a.clone(),
                entries: vec![entry(2, 0, &[("n", "v")])]
            },
            TopicEntries {
                topic: b.clone(),
                entries: vec![entry(5, 0, &[("n", "v")])]
            },
        ]
    );
    // Only topics with entries are listed; nothing at all is Some(empty) without BLOCK.
    let reply = backend
        .read(
            &[
                (a.clone(), ReadCursor::After(id(2, 0))),
                (b.clone(), ReadCursor::After(id(4, 0))),
            ],
            &ReadOptions::new(),
        )
        .await
        .unwrap()
        .into_topics();
    assert_eq!(reply.len(), 1);
    assert_eq!(reply[0].topic, b);
    let empty = backend
        .read(&[(a.clone(), ReadCursor::New)], &ReadOptions::new())
        .await
        .unwrap();
    assert_eq!(empty, ReadReply::Topics(vec![]));
    let counted = backend
        .read(
            &[(a.clone(), ReadCursor::After(EntryId::MIN))],
            &ReadOptions::new().count(1),
        )
        .await
        .unwrap()
        .into_topics();
    assert_eq!(counted[0].entries, vec![entry(1, 0, &[("n", "v")])]);
    // A block that times out is None.
    let timed_out = backend
        .read(
            &[(a.clone(), ReadCursor::New)],
            &ReadOptions::new().block(Duration::from_millis(50)),
        )
        .await
        .unwrap();
    assert_eq!(timed_out, ReadReply::TimedOut);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_reads_longer_than_a_chunk_miss_nothing() {
    let Some(server) = common::TestRedis::start("blocking_reads_longer_than_a_chunk_miss_nothing") else {
        return;
    };
    let options = bus_redis::RedisOptions::new()
        .block_chunk(Duration::from_millis(100))
        .response_timeout(Duration::from_millis(500));
    let backend = server.backend_with(options).await.unwrap();
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trims_deletes_and_drops() {
    let (server, backend) = setup!("trims_deletes_and_drops");
    let t = topic("trim:1");
    for ms in 1..=5 {
        backend
            .append(&t, fields(&[("n", "v")]), &AppendOptions::new().id(id(ms, 0)))
            .await
            .unwrap();
    }
    assert_eq!(backend.trim(&t, &Trim::maxlen(3)).await.unwrap(), 2);
    assert_eq!(backend.trim(&t, &Trim::minid(id(4, 0))).await.unwrap(), 1);
    assert_eq!(backend.trim(&t, &Trim::maxlen(1).approx()).await.unwrap(), 0); // whole nodes only
    assert_eq!(backend.len(&t).await.unwrap(), 2);
    let err = backend.trim(&t, &Trim::maxlen(1).limit(5)).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "ERR syntax error, LIMIT cannot be used without the special ~ option"
    );
    assert_eq!(backend.delete(&t, &[id(4, 0), id(99, 0)]).await.unwrap(), 1);
    assert_eq!(backend.delete(&topic("missing"), &[id(1, 0)]).await.unwrap(), 0);
    let err = backend.delete(&t, &[]).await.unwrap_err();
    assert_eq!(err.to_string(), "ERR wrong number of arguments for 'xdel' command");
    // Append with trimming.
    backend
        .append(
            &t,
            fields(&[("n", "v")]),
            &AppendOptions::new().id(id(6, 0)).trim(Trim::maxlen(1)),
        )
        .await
        .unwrap();
    assert_eq!(
        backend.range(&t, RangeBound::MIN, RangeBound::MAX, None).await.unwrap(),
        vec![entry(6, 0, &[("n", "v")])]
    );
    assert!(backend.drop_topic(&t).await.unwrap());
    assert!(!backend.drop_topic(&t).await.unwrap());
    assert_eq!(raw::<u64>(&server, &["EXISTS", &key(&server, "trim:1")]), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_info_reports_exact_values() {
    let (_server, backend) = setup!("stream_info_reports_exact_values");
    let t = topic("info:1");
    let err = backend.stream_info(&t).await.unwrap_err();
    assert!(
        matches!(err, Error::NoSuchTopic { ref topic, command: bus_core::TopicCommand::Info } if topic == "info:1")
    );
    assert_eq!(err.to_string(), "ERR no such key");
    for ms in 1..=3 {
        backend
            .append(&t, fields(&[("n", "v")]), &AppendOptions::new().id(id(ms, 0)))
            .await
            .unwrap();
    }
    backend.delete(&t, &[id(3, 0)]).await.unwrap();
    let info = backend.stream_info(&t).await.unwrap();
    assert_eq!(info.length, 2);
    assert_eq!(info.last_generated_id, id(3, 0));
    assert_eq!(info.max_deleted_entry_id, id(3, 0));
    assert_eq!(info.entries_added, 3);
    assert_eq!(info.groups, 0);
    assert_eq!(info.first_entry, Some(entry(1, 0, &[("n", "v")])));
    assert_eq!(info.last_entry, Some(entry(2, 0, &[("n", "v")])));
    assert!(backend.groups_info(&t).await.unwrap().is_empty());
    let err = backend.groups_info(&topic("none")).await.unwrap_err();
    assert_eq!(err.to_string(), "ERR no such key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_topic_named_as_only_an_emulator_may_is_refused_before_reaching_the_server() {
    let (server, backend) = setup!("a_topic_named_as_only_an_emulator_may_is_refused_before_reaching_the_server");
    let braced = bus_core::Topic::from_redis_key("mystream{t}").unwrap();
    let err = backend
        .append(&braced, fields(&[("a", "1")]), &AppendOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    let cursors = [
        (topic("fine"), ReadCursor::After(EntryId::MIN)),
        (braced.clone(), ReadCursor::After(EntryId::MIN)),
    ];
    let err = backend.read(&cursors, &ReadOptions::new()).await.unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    let exists: u64 = raw(&server, &["EXISTS", &key(&server, "mystream{t}")]);
    assert_eq!(exists, 0, "nothing was written");
}
