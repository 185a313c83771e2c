//! WRONGTYPE: every stream command on a key of another type, and every command of another type on a stream,
//! fails as on Redis 7.0.15 (each case checked there with `redis-cli`) and changes nothing.
//!
//! These are not conformance checks: the `Backend` trait cannot create a key of another type, so the suite
//! cannot set one up. bus-redis has its own test of the same rule against a real server
//! (`a_key_of_another_type_is_wrongtype_naming_the_topic` in `bus-redis/tests/recovery.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use bus_core::{
    AppendOptions, AutoClaimOptions, Backend, ClaimOptions, EntryId, Error, GroupCreateOptions, GroupCursor,
    GroupStart, Message, PendingQuery, RangeBound, ReadCursor, ReadGroupOptions, ReadOptions, Result, Trim,
};
use bus_memory::{KeyType, ListEnd, MemoryBackend, SetOptions};
use common::{add, b, bs, fields, key, topic};

fn assert_wrong_type<T: std::fmt::Debug>(what: &str, result: Result<T>) {
    match result {
        Err(Error::WrongType { topic }) => assert_eq!(topic, "k", "{what}"),
        other => panic!("{what}: expected WRONGTYPE, got {other:?}"),
    }
}

/// Every `Backend` method that is a stream command, on the key `k`.
async fn every_stream_command(backend: &MemoryBackend) {
    let k = topic("k");
    let none = AppendOptions::new();
    let group_cursor = [(k.clone(), GroupCursor::New)];
    let id = EntryId::new(1, 0);
    assert_wrong_type("append", backend.append(&k, fields(&[("a", "1")]), &none).await);
    assert_wrong_type(
        "append nomkstream",
        backend
            .append(&k, fields(&[("a", "1")]), &none.clone().no_mkstream())
            .await,
    );
    assert_wrong_type("publish", backend.publish(&k, &Message::new(&1).unwrap(), &none).await);
    assert_wrong_type(
        "publish_batch",
        backend.publish_batch(&k, &[Message::new(&1).unwrap()], &none).await,
    );
    assert_wrong_type("lookup", backend.lookup(&k, Message::new(&1).unwrap().id()).await);
    assert_wrong_type("range", backend.range(&k, RangeBound::MIN, RangeBound::MAX, None).await);
    assert_wrong_type(
        "range count 0",
        backend.range(&k, RangeBound::MAX, RangeBound::MIN, Some(0)).await,
    );
    assert_wrong_type(
        "rev_range",
        backend.rev_range(&k, RangeBound::MAX, RangeBound::MIN, None).await,
    );
    assert_wrong_type(
        "read",
        backend
            .read(&[(k.clone(), ReadCursor::After(EntryId::MIN))], &ReadOptions::new())
            .await,
    );
    let block = ReadOptions::new().block(Duration::from_millis(10));
    assert_wrong_type(
        "blocking read of new entries",
        backend.read(&[(k.clone(), ReadCursor::New)], &block).await,
    );
    let start = GroupStart::Id(EntryId::MIN);
    assert_wrong_type(
        "group_create",
        backend.group_create(&k, "g", start, &GroupCreateOptions::new()).await,
    );
    let mkstream = GroupCreateOptions::new().mkstream();
    assert_wrong_type(
        "group_create mkstream",
        backend.group_create(&k, "g", start, &mkstream).await,
    );
    assert_wrong_type("group_destroy", backend.group_destroy(&k, "g").await);
    assert_wrong_type("group_set_id", backend.group_set_id(&k, "g", start, None).await);
    assert_wrong_type("consumer_create", backend.consumer_create(&k, "g", "c").await);
    assert_wrong_type("consumer_delete", backend.consumer_delete(&k, "g", "c").await);
    assert_wrong_type(
        "consumer_delete_if_idle",
        backend.consumer_delete_if_idle(&k, "g", "c", Duration::ZERO).await,
    );
    assert_wrong_type(
        "read_group",
        backend
            .read_group("g", "c", &group_cursor, &ReadGroupOptions::new())
            .await,
    );
    let block = ReadGroupOptions::new().block(Duration::ZERO);
    assert_wrong_type(
        "blocking read_group",
        backend.read_group("g", "c", &group_cursor, &block).await,
    );
    assert_wrong_type("ack", backend.ack(&k, "g", &[id]).await);
    assert_wrong_type("pending_summary", backend.pending_summary(&k, "g").await);
    assert_wrong_type("pending", backend.pending(&k, "g", &PendingQuery::all(10)).await);
    assert_wrong_type(
        "claim",
        backend
            .claim(&k, "g", "c", Duration::ZERO, &[id], &ClaimOptions::new())
            .await,
    );
    let auto = AutoClaimOptions::new();
    assert_wrong_type(
        "auto_claim",
        backend
            .auto_claim(&k, "g", "c", Duration::ZERO, RangeBound::MIN, &auto)
            .await,
    );
    assert_wrong_type("delete", backend.delete(&k, &[id]).await);
    assert_wrong_type("trim", backend.trim(&k, &Trim::maxlen(0)).await);
    assert_wrong_type("len", backend.len(&k).await);
    assert_wrong_type("stream_info", backend.stream_info(&k).await);
    assert_wrong_type("groups_info", backend.groups_info(&k).await);
    assert_wrong_type("consumers_info", backend.consumers_info(&k, "g").await);
}

#[tokio::test(start_paused = true)]
async fn stream_commands_on_keys_of_every_other_type_are_wrongtype_and_change_nothing() {
    let backend = MemoryBackend::new();
    let k = key("k");
    for kind in [KeyType::String, KeyType::List, KeyType::Set, KeyType::Hash] {
        match kind {
            KeyType::String => assert!(backend.set(&k, "v", &SetOptions::new()).unwrap().written),
            KeyType::List => assert_eq!(backend.push(&k, ListEnd::Right, bs(&["a", "b"]), false).unwrap(), 2),
            KeyType::Set => assert_eq!(backend.sadd(&k, bs(&["a"])).unwrap(), 1),
            _ => assert_eq!(backend.hset(&k, vec![(b("f"), b("v"))]).unwrap(), 1),
        }
        every_stream_command(&backend).await;
        assert_eq!(backend.key_type(&k), Some(kind), "{kind} key left as it was");
        assert!(backend.topics().is_empty(), "no stream was created over the {kind}");
        assert_eq!(backend.blocked_readers(), 0, "no read stayed blocked on the {kind}");
        backend.del(std::slice::from_ref(&k));
    }
    let check = backend.set(&k, "v", &SetOptions::new());
    assert!(check.unwrap().written);
    assert_eq!(backend.get(&k).unwrap(), Some(b("v")));
    assert_eq!(backend.lrange(&k, 0, -1).map_err(|e| e.kind()), Err("wrong_type"));
}

#[tokio::test(start_paused = true)]
async fn a_multi_topic_read_reports_the_key_of_another_type() {
    let backend = MemoryBackend::new();
    let (ok, k) = (topic("ok"), topic("k"));
    add(&backend, &ok, "1-0", "1").await;
    backend.set(&k, "v", &SetOptions::new()).unwrap();
    let cursors = [
        (ok.clone(), ReadCursor::After(EntryId::MIN)),
        (k.clone(), ReadCursor::After(EntryId::MIN)),
    ];
    // Redis checks every key's type before serving any: the entries of `ok` are not returned.
    assert_wrong_type("read", backend.read(&cursors, &ReadOptions::new()).await);
    // XREADGROUP checks key by key, in order: a missing group on an earlier key is reported first.
    let group = [(ok.clone(), GroupCursor::New), (k.clone(), GroupCursor::New)];
    let err = backend
        .read_group("g", "c", &group, &ReadGroupOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NoGroup { .. }), "{err:?}");
    backend
        .group_create(&ok, "g", GroupStart::Id(EntryId::MIN), &GroupCreateOptions::new())
        .await
        .unwrap();
    assert_wrong_type(
        "read_group",
        backend.read_group("g", "c", &group, &ReadGroupOptions::new()).await,
    );
    assert!(
        backend
            .pending(&ok, "g", &PendingQuery::all(10))
            .await
            .unwrap()
            .is_empty(),
        "nothing delivered"
    );
}

#[tokio::test(start_paused = true)]
async fn commands_of_other_types_on_a_stream_are_wrongtype() {
    let backend = MemoryBackend::new();
    let s = key("k");
    add(&backend, &s, "1-0", "1").await;
    assert_wrong_type("get", backend.get(&s));
    let get = SetOptions {
        get: true,
        ..SetOptions::new()
    };
    assert_wrong_type("set get", backend.set(&s, "x", &get));
    assert_wrong_type("lpush", backend.push(&s, ListEnd::Left, bs(&["a"]), false));
    assert_wrong_type("rpushx", backend.push(&s, ListEnd::Right, bs(&["a"]), true));
    assert_wrong_type("lpop", backend.pop(&s, ListEnd::Left, 1));
    assert_wrong_type("lrange", backend.lrange(&s, 0, -1));
    assert_wrong_type("llen", backend.llen(&s));
    assert_wrong_type("sadd", backend.sadd(&s, bs(&["a"])));
    assert_wrong_type("srem", backend.srem(&s, &bs(&["a"])));
    assert_wrong_type("smembers", backend.smembers(&s));
    assert_wrong_type("scard", backend.scard(&s));
    assert_wrong_type("sismember", backend.sismember(&s, b"a"));
    assert_wrong_type("hset", backend.hset(&s, vec![(b("a"), b("b"))]));
    assert_wrong_type("hget", backend.hget(&s, b"a"));
    assert_wrong_type("hgetall", backend.hgetall(&s));
    assert_wrong_type("hlen", backend.hlen(&s));
    assert_wrong_type("hexists", backend.hexists(&s, b"a"));
    assert_wrong_type("hdel", backend.hdel(&s, &bs(&["a"])));
    assert_eq!(backend.len(&s).await.unwrap(), 1, "the stream is untouched");
}

#[tokio::test(start_paused = true)]
async fn del_pexpire_and_pttl_apply_to_keys_of_any_type_through_the_trait() {
    let backend = MemoryBackend::new();
    let k = key("k");
    backend.set(&k, "v", &SetOptions::new()).unwrap();
    // PEXPIRE k 100000 answers 1 and PTTL then about 100000 on Redis.
    assert!(backend.expire_topic(&k, Duration::from_secs(100)).await.unwrap());
    assert_eq!(backend.topic_ttl(&k).await.unwrap(), Some(Duration::from_secs(100)));
    assert!(backend.drop_topic(&k).await.unwrap());
    assert_eq!(backend.key_type(&k), None);
    assert!(!backend.drop_topic(&k).await.unwrap());
}
