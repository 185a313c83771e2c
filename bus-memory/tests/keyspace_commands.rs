//! TYPE, EXISTS, DEL, DBSIZE, FLUSH, KEYS and RENAME/RENAMENX on keys of any type and any name Redis accepts;
//! expected values from the same sequences run with `redis-cli` on Redis 7.0.15.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use bus_core::{
    AppendOptions, Backend, Clock, EntryId, Error, GroupCreateOptions, GroupStart, Message, RangeBound, TopicCommand,
};
use bus_memory::{KeyTtl, KeyType, ListEnd, MemoryBackend, SetOptions};
use common::{add, bs, ids, key};

#[tokio::test(start_paused = true)]
async fn exists_del_dbsize_and_type_count_as_redis() {
    let backend = MemoryBackend::new();
    let (a, b) = (key("a"), key("b"));
    backend.set(&a, "1", &SetOptions::new()).unwrap();
    // EXISTS a a b -> 2 (a key named twice counts twice); DEL a a b -> 1.
    assert_eq!(backend.exists(&[a.clone(), a.clone(), b.clone()]), 2);
    assert_eq!(backend.dbsize(), 1);
    assert_eq!(backend.del(&[a.clone(), a.clone(), b.clone()]), 1);
    assert_eq!(backend.dbsize(), 0);
    assert_eq!(backend.key_type(&a), None);
    for (name, kind) in [("s", KeyType::Stream), ("l", KeyType::List), ("x", KeyType::Set)] {
        match kind {
            KeyType::Stream => {
                add(&backend, &key(name), "1-0", "v").await;
            }
            KeyType::List => assert_eq!(backend.push(&key(name), ListEnd::Left, bs(&["v"]), false).unwrap(), 1),
            _ => assert_eq!(backend.sadd(&key(name), bs(&["v"])).unwrap(), 1),
        }
        assert_eq!(backend.key_type(&key(name)), Some(kind));
    }
    assert_eq!(backend.dbsize(), 3);
    backend.flush();
    assert_eq!(backend.dbsize(), 0);
    assert!(backend.keys("*").is_empty());
    assert!(backend.topics().is_empty());
}

#[tokio::test(start_paused = true)]
async fn keys_match_redis_globs_on_names_the_bus_refuses() {
    let backend = MemoryBackend::new();
    for name in ["mystream{t}", "mystream2{t}", "a b", "", "other"] {
        backend.set(&key(name), "v", &SetOptions::new()).unwrap();
    }
    assert_eq!(backend.keys("mystream*{t}"), [key("mystream2{t}"), key("mystream{t}")]);
    assert_eq!(backend.keys("a?b"), [key("a b")]);
    // KEYS * lists the empty name, KEYS ** does not (Redis treats `*` alone as every key).
    assert_eq!(backend.keys("*").len(), 5);
    assert_eq!(backend.keys("**").len(), 4);
    assert_eq!(backend.keys(""), [key("")]);
    assert!(backend.keys("nothing*").is_empty());
}

#[tokio::test(start_paused = true)]
async fn rename_errors_and_nx_as_redis() {
    let backend = MemoryBackend::with_clock(Clock::starting_at(1_000_000));
    let (a, b, c, d) = (key("a"), key("b"), key("c"), key("d"));
    let no_such_key = |result: Result<(), Error>| match result {
        Err(
            err @ Error::NoSuchTopic {
                command: TopicCommand::Info,
                ..
            },
        ) => assert_eq!(err.to_string(), "ERR no such key"),
        other => panic!("expected ERR no such key, got {other:?}"),
    };
    // RENAME a b and RENAME a a on a missing key: ERR no such key; on an existing one RENAME a a is OK.
    no_such_key(backend.rename(&a, &b));
    no_such_key(backend.rename(&a, &a));
    assert!(matches!(backend.renamenx(&a, &b), Err(Error::NoSuchTopic { .. })));
    backend.set(&a, "1", &SetOptions::new()).unwrap();
    backend.rename(&a, &a).unwrap();
    assert!(!backend.renamenx(&a, &a).unwrap(), "RENAMENX a a -> 0");
    // SET b 2; RENAMENX a b -> 0, both unchanged.
    backend.set(&b, "2", &SetOptions::new()).unwrap();
    assert!(!backend.renamenx(&a, &b).unwrap());
    assert_eq!(backend.get(&b).unwrap().as_deref(), Some(&b"2"[..]));
    // PEXPIRE a 50000; RPUSH c x; RENAME a c -> c is the string with a's deadline, a is gone.
    assert!(backend.pexpire_at(&a, 1_050_000, Default::default()));
    backend.push(&c, ListEnd::Right, bs(&["x"]), false).unwrap();
    backend.rename(&a, &c).unwrap();
    assert_eq!(backend.key_type(&c), Some(KeyType::String));
    assert_eq!(backend.pttl(&c), KeyTtl::Expires(Duration::from_millis(50_000)));
    assert_eq!(backend.key_type(&a), None);
    assert_eq!(backend.dbsize(), 2);
    // RENAMENX c d -> 1; the deadline follows, and fires under the new name.
    assert!(backend.renamenx(&c, &d).unwrap());
    assert_eq!(backend.keys("*"), [b.clone(), d.clone()]);
    tokio::time::advance(Duration::from_millis(50_000)).await;
    assert_eq!(backend.keys("*"), [b]);
}

#[tokio::test(start_paused = true)]
async fn a_renamed_stream_keeps_its_entries_groups_and_message_index() {
    let backend = MemoryBackend::new();
    let (from, to) = (key("from{t}"), key("to{t}"));
    let message = Message::new(&"hi").unwrap();
    let published = backend
        .publish(&from, &message, &AppendOptions::new())
        .await
        .unwrap()
        .unwrap();
    add(&backend, &from, "99999999999999-0", "2").await;
    backend
        .group_create(&from, "g", GroupStart::Id(EntryId::MIN), &GroupCreateOptions::new())
        .await
        .unwrap();
    backend.sadd(&to, bs(&["replaced"])).unwrap();
    backend.rename(&from, &to).unwrap();
    let entries = backend
        .range(&to, RangeBound::MIN, RangeBound::MAX, None)
        .await
        .unwrap();
    assert_eq!(ids(&entries)[1], "99999999999999-0");
    assert_eq!(backend.groups_info(&to).await.unwrap()[0].name, "g");
    assert_eq!(
        backend.lookup(&to, message.id()).await.unwrap(),
        Some(published.entry_id)
    );
    assert_eq!(backend.lookup(&from, message.id()).await.unwrap(), None);
    // A second publish of the same message on the new name is a duplicate; on the old name it is new.
    assert!(
        backend
            .publish(&to, &message, &AppendOptions::new())
            .await
            .unwrap()
            .unwrap()
            .duplicate
    );
    assert!(
        !backend
            .publish(&from, &message, &AppendOptions::new())
            .await
            .unwrap()
            .unwrap()
            .duplicate
    );
    assert_eq!(backend.stats(&to).unwrap().indexed_uuids, 1);
    assert_eq!(backend.stats(&from).unwrap().indexed_uuids, 1);
}
