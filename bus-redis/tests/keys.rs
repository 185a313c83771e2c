//! What bus-redis leaves in Redis, seen by a plain client: the stream key under the key prefix (with the index
//! keys beside it), no key at all for writes that create nothing, none left after `drop_topic`; and keys another
//! client set to another type, which fail every call with WRONGTYPE naming the topic and stay untouched. Errors
//! name topics, never keys (the prefix is stripped).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

mod common;

use std::time::Duration;

use bus_core::{
    AppendOptions, Backend, EntryId, Error, GroupCreateOptions, GroupCursor, GroupStart, RangeBound, ReadCursor,
    ReadGroupOptions, ReadOptions,
};
use bus_redis::{PublishMode, RedisBackend, RedisOptions};
use common::{TestRedis, fields, id, index_keys, key, message, raw, topic};

/// How many of the keys exist on the server.
fn existing(server: &TestRedis, keys: &[String]) -> u64 {
    let mut args = vec!["EXISTS"];
    args.extend(keys.iter().map(String::as_str));
    raw(server, &args)
}

/// A topic's stream key and its index keys.
fn topic_keys(server: &TestRedis, name: &str) -> Vec<String> {
    let mut keys = vec![key(server, name)];
    keys.extend(index_keys(server, name));
    keys
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nomkstream_writes_to_a_missing_topic_create_no_key() {
    let (server, backend) = setup!("nomkstream_writes_to_a_missing_topic_create_no_key");
    let no_mkstream = AppendOptions::new().no_mkstream();
    let t = topic("nope");
    backend.append(&t, fields(&[("a", "1")]), &no_mkstream).await.unwrap();
    backend.publish(&t, &message(1), &no_mkstream).await.unwrap();
    backend
        .publish_batch(&t, &[message(2), message(3)], &no_mkstream)
        .await
        .unwrap();
    assert_eq!(existing(&server, &topic_keys(&server, "nope")), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_topic_removes_the_stream_and_its_index_keys() {
    let (server, backend) = setup!("drop_topic_removes_the_stream_and_its_index_keys");
    let t = topic("dropped:1");
    backend.publish(&t, &message(1), &AppendOptions::new()).await.unwrap();
    backend
        .group_create(&t, "g", GroupStart::Last, &GroupCreateOptions::new())
        .await
        .unwrap();
    let keys = topic_keys(&server, "dropped:1");
    assert_eq!(existing(&server, &keys), 3);
    assert!(backend.drop_topic(&t).await.unwrap());
    assert_eq!(existing(&server, &keys), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_prefix_namespaces_everything() {
    let Some(server) = TestRedis::start("key_prefix_namespaces_everything") else {
        return;
    };
    let backend = server
        .backend_with(RedisOptions::new().key_prefix("app1:"))
        .await
        .unwrap();
    let t = topic("chat:9");
    let p = backend
        .publish(&t, &message(1), &AppendOptions::new())
        .await
        .unwrap()
        .unwrap();
    let stream = key(&server, "app1:chat:9");
    assert_eq!(raw::<u64>(&server, &["XLEN", &stream]), 1);
    assert_eq!(raw::<u64>(&server, &["HLEN", &format!("{{{stream}}}:ids")]), 1);
    assert_eq!(backend.stream_key(&t), stream);
    let err = backend
        .read_group("g", "c", &[(t.clone(), GroupCursor::New)], &ReadGroupOptions::new())
        .await
        .unwrap_err();
    // Errors name the topic, not the key.
    assert_eq!(
        err.to_string(),
        "NOGROUP No such key 'chat:9' or consumer group 'g' in XREADGROUP with GROUP option"
    );
    assert!(p.entry_id > id(0, 0));
    let err = RedisBackend::connect(server.url(), RedisOptions::new().key_prefix("a{b}"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_of_another_type_is_wrongtype_naming_the_topic() {
    let Some(server) = TestRedis::start("a_key_of_another_type_is_wrongtype_naming_the_topic") else {
        return;
    };
    let indexed = server.backend().await.unwrap();
    let plain = server
        .backend_with(RedisOptions::new().publish_mode(PublishMode::Plain))
        .await
        .unwrap();
    raw::<()>(&server, &["SET", &key(&server, "notastream"), "x"]);
    let t = topic("notastream");
    let ok = topic("fine");
    let check = |what: &str, result: Result<(), Error>| match result {
        Err(err @ Error::WrongType { .. }) => {
            assert!(
                matches!(&err, Error::WrongType { topic } if topic == "notastream"),
                "{what}: {err:?}"
            );
            assert_eq!(
                err.to_string(),
                "WRONGTYPE Operation against a key holding the wrong kind of value",
                "{what}"
            );
        }
        other => panic!("{what}: expected WrongType, got {other:?}"),
    };
    let none = AppendOptions::new();
    for (mode, backend) in [("indexed", &indexed), ("plain", &plain)] {
        check(
            &format!("publish ({mode})"),
            backend.publish(&t, &message(1), &none).await.map(drop),
        );
        check(
            &format!("publish_batch ({mode})"),
            backend
                .publish_batch(&t, &[message(1), message(2)], &none)
                .await
                .map(drop),
        );
    }
    let b = &indexed;
    check("append", b.append(&t, fields(&[("a", "1")]), &none).await.map(drop));
    check("len", b.len(&t).await.map(drop));
    check(
        "read",
        b.read(&[(t.clone(), ReadCursor::After(EntryId::MIN))], &ReadOptions::new())
            .await
            .map(drop),
    );
    // Redis's message names no key: the offending topic of a multi-topic read is found all the same.
    check(
        "read of a stream and the foreign key",
        b.read(
            &[
                (ok.clone(), ReadCursor::After(EntryId::MIN)),
                (t.clone(), ReadCursor::After(EntryId::MIN)),
            ],
            &ReadOptions::new(),
        )
        .await
        .map(drop),
    );
    check(
        "blocking read",
        b.read(
            &[(t.clone(), ReadCursor::After(EntryId::MIN))],
            &ReadOptions::new().block(Duration::from_millis(100)),
        )
        .await
        .map(drop),
    );
    check(
        "chunked blocking read of new entries",
        b.read(
            &[(t.clone(), ReadCursor::New)],
            &ReadOptions::new().block(Duration::ZERO),
        )
        .await
        .map(drop),
    );
    let group = [(t.clone(), GroupCursor::New)];
    check(
        "read_group",
        b.read_group("g", "c", &group, &ReadGroupOptions::new()).await.map(drop),
    );
    check(
        "blocking read_group",
        b.read_group(
            "g",
            "c",
            &group,
            &ReadGroupOptions::new().block(Duration::from_millis(100)),
        )
        .await
        .map(drop),
    );
    check(
        "range",
        b.range(&t, RangeBound::MIN, RangeBound::MAX, None).await.map(drop),
    );
    check(
        "rev_range",
        b.rev_range(&t, RangeBound::MAX, RangeBound::MIN, Some(1))
            .await
            .map(drop),
    );
    check("lookup", b.lookup(&t, message(1).id()).await.map(drop));
    check(
        "group_create",
        b.group_create(&t, "g", GroupStart::Id(EntryId::MIN), &GroupCreateOptions::new())
            .await
            .map(drop),
    );
    check("ack", b.ack(&t, "g", &[EntryId::new(1, 0)]).await.map(drop));
    // The key is untouched and the backend still serves other topics.
    let value: String = raw(&server, &["GET", &key(&server, "notastream")]);
    assert_eq!(value, "x");
    b.publish(&ok, &message(1), &none).await.unwrap();
}

/// A topic named as only an emulator may name it (`Topic::from_redis_key`: braces, spaces) is refused before any
/// command reaches the server: its hash-tagged index keys would leave the stream's cluster slot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_topic_named_as_only_an_emulator_may_is_refused_before_reaching_the_server() {
    let Some(server) = TestRedis::start("a_topic_named_as_only_an_emulator_may_is_refused") else {
        return;
    };
    let backend = server.backend().await.unwrap();
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
