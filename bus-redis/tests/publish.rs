//! Idempotent publishing, the UUID index and lookups, connection errors and secrets.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

mod common;

use std::time::Duration;

use bus_core::{AppendOptions, Backend, Error, Message, Published, RangeBound, Trim, Uuid};
use bus_redis::RedisOptions;
use common::{id, key, raw, topic};

fn message(n: u32) -> Message {
    Message::with_id(Uuid::new_v4(), &serde_json::json!({ "n": n })).unwrap()
}

fn index_len(server: &common::TestRedis, name: &str) -> (u64, u64) {
    let stream = key(server, name);
    (
        raw(server, &["HLEN", &format!("{{{stream}}}:ids")]),
        raw(server, &["ZCARD", &format!("{{{stream}}}:ids:order")]),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_is_idempotent_and_indexed() {
    let (server, backend) = setup!("publish_is_idempotent_and_indexed");
    let t = topic("chat:1");
    let m = message(1);
    let first = backend.publish(&t, &m, &AppendOptions::new()).await.unwrap().unwrap();
    assert!(!first.duplicate);
    let again = backend.publish(&t, &m, &AppendOptions::new()).await.unwrap().unwrap();
    assert_eq!(
        again,
        Published {
            entry_id: first.entry_id,
            duplicate: true
        }
    );
    assert_eq!(backend.len(&t).await.unwrap(), 1);
    // The wire format of the README ("Topics and the wire format"): `id` then `payload`.
    let entries = backend.range(&t, RangeBound::MIN, RangeBound::MAX, None).await.unwrap();
    assert_eq!(entries[0].fields, m.to_fields());
    assert_eq!(entries[0].message().unwrap(), m);
    assert_eq!(backend.lookup(&t, m.id()).await.unwrap(), Some(first.entry_id));
    assert_eq!(backend.lookup(&t, Uuid::new_v4()).await.unwrap(), None);
    assert_eq!(index_len(&server, "chat:1"), (1, 1));

    // Deleted by someone else: the index entry is not trusted, and a new publish appends.
    backend.delete(&t, &[first.entry_id]).await.unwrap();
    assert_eq!(backend.lookup(&t, m.id()).await.unwrap(), None);
    assert_eq!(index_len(&server, "chat:1"), (0, 0));
    let third = backend.publish(&t, &m, &AppendOptions::new()).await.unwrap().unwrap();
    assert!(!third.duplicate);
    assert!(third.entry_id > first.entry_id);

    // NOMKSTREAM on a missing topic: nothing, and no index keys.
    let none = backend
        .publish(&topic("none"), &m, &AppendOptions::new().no_mkstream())
        .await
        .unwrap();
    assert_eq!(none, None);
    assert_eq!(index_len(&server, "none"), (0, 0));

    // An explicit id that is too small: IdNotGreater with the real last id.
    let err = backend
        .publish(&t, &message(2), &AppendOptions::new().id(id(1, 0)))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::IdNotGreater { last_id, .. } if last_id == third.entry_id),
        "{err:?}"
    );

    // Appending raw fields that carry a message id indexes them too: a later publish is a duplicate.
    let raw_message = message(3);
    let appended = backend
        .append(&t, raw_message.to_fields(), &AppendOptions::new())
        .await
        .unwrap()
        .unwrap();
    let dup = backend
        .publish(&t, &raw_message, &AppendOptions::new())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        dup,
        Published {
            entry_id: appended,
            duplicate: true
        }
    );

    // Dropping the topic drops its index.
    assert!(backend.drop_topic(&t).await.unwrap());
    assert_eq!(index_len(&server, "chat:1"), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trimming_keeps_the_index_bounded() {
    let (server, backend) = setup!("trimming_keeps_the_index_bounded");
    let t = topic("bounded");
    let mut published = Vec::new();
    for n in 0..20 {
        let m = message(n);
        let options = AppendOptions::new().trim(Trim::maxlen(5));
        let p = backend.publish(&t, &m, &options).await.unwrap().unwrap();
        published.push((m, p.entry_id));
    }
    assert_eq!(backend.len(&t).await.unwrap(), 5);
    assert_eq!(index_len(&server, "bounded"), (5, 5));
    for (m, entry_id) in &published[15..] {
        assert_eq!(backend.lookup(&t, m.id()).await.unwrap(), Some(*entry_id));
    }
    // A trimmed message is gone for lookup and publish.
    let (old, _) = &published[0];
    assert_eq!(backend.lookup(&t, old.id()).await.unwrap(), None);
    // XTRIM through the backend cleans up too.
    assert_eq!(backend.trim(&t, &Trim::maxlen(2)).await.unwrap(), 3);
    assert_eq!(index_len(&server, "bounded"), (2, 2));
    assert_eq!(backend.trim(&t, &Trim::maxlen(0)).await.unwrap(), 2);
    assert_eq!(index_len(&server, "bounded"), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookup_finds_foreign_entries_oldest_first_and_never_misses_silently() {
    let Some(server) = common::TestRedis::start("lookup_finds_foreign_entries") else {
        return;
    };
    let backend = server
        .backend_with(RedisOptions::new().lookup_scan_limit(25))
        .await
        .unwrap();
    let t = topic("foreign");
    let stream = key(&server, "foreign");
    let uuid = Uuid::new_v4().to_string();
    // A foreign producer (redis-cli, redis-py) writes the same UUID twice, after some noise.
    for n in 0..10 {
        raw::<String>(&server, &["XADD", &stream, &format!("{}-0", n + 1), "other", "x"]);
    }
    raw::<String>(&server, &["XADD", &stream, "20-0", "id", &uuid, "payload", "{}"]);
    raw::<String>(&server, &["XADD", &stream, "21-0", "id", &uuid, "payload", "{}"]);
    let parsed: Uuid = uuid.parse().unwrap();
    assert_eq!(backend.lookup(&t, parsed).await.unwrap(), Some(id(20, 0)));
    // Now indexed: a publish of that UUID is a duplicate of the oldest entry.
    let m = Message::from_json(parsed, "{}").unwrap();
    let dup = backend.publish(&t, &m, &AppendOptions::new()).await.unwrap().unwrap();
    assert_eq!(
        dup,
        Published {
            entry_id: id(20, 0),
            duplicate: true
        }
    );
    // Deleting the oldest makes the next one win.
    backend.delete(&t, &[id(20, 0)]).await.unwrap();
    assert_eq!(backend.lookup(&t, parsed).await.unwrap(), Some(id(21, 0)));
    // Short topic fully scanned: a clean miss.
    assert_eq!(backend.lookup(&t, Uuid::new_v4()).await.unwrap(), None);
    // Longer than the scan limit: an error, not a silent miss.
    for n in 0..20 {
        raw::<String>(&server, &["XADD", &stream, &format!("{}-0", 100 + n), "other", "x"]);
    }
    let unknown = Uuid::new_v4();
    let err = backend.lookup(&t, unknown).await.unwrap_err();
    assert!(matches!(err, Error::Backend { retryable: false, .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "lookup of message {unknown} on topic 'foreign' gave up: the UUID index does not know it and the first \
             25 entries (the scan limit) do not hold it; the topic has more entries, written by producers that \
             bypass the index"
        )
    );
    // A non-canonical id field is not that UUID.
    let upper = Uuid::new_v4();
    raw::<String>(
        &server,
        &[
            "XADD",
            &stream,
            "200-0",
            "id",
            &upper.to_string().to_uppercase(),
            "payload",
            "{}",
        ],
    );
    assert!(backend.lookup(&t, upper).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_prefix_namespaces_everything() {
    let Some(server) = common::TestRedis::start("key_prefix_namespaces_everything") else {
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
        .read_group(
            "g",
            "c",
            &[(t.clone(), bus_core::GroupCursor::New)],
            &bus_core::ReadGroupOptions::new(),
        )
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

use bus_redis::RedisBackend;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_show_and_failures_are_typed() {
    let Some(server) = common::TestRedis::start("secrets_never_show_and_failures_are_typed") else {
        return;
    };
    if !server.prefix().is_empty() {
        eprintln!("SKIP secrets test: needs a private server (BUS_REDIS_URL is set)");
        return;
    }
    raw::<()>(&server, &["CONFIG", "SET", "requirepass", "hunter2-secret"]);
    let good = format!("{}?pass=hunter2-secret", server.url());
    let backend = RedisBackend::connect(&good, RedisOptions::new()).await.unwrap();
    let debug = format!("{backend:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(debug.contains("pass=***"), "{debug}");
    assert_eq!(backend.len(&topic("t")).await.unwrap(), 0);

    let bad = format!("{}?pass=wrong-secret", server.url());
    let err = RedisBackend::connect(&bad, RedisOptions::new()).await.unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(!text.contains("wrong-secret"), "{text}");
    assert!(text.contains("connect"), "{text}");

    // Refused connection: a typed, retryable error naming the operation.
    let err = RedisBackend::connect("redis+unix:///nonexistent/redis.sock", RedisOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Connection { .. }), "{err:?}");
    assert!(err.is_retryable());
    assert!(
        err.to_string()
            .starts_with("connection error during connect redis+unix:///nonexistent/redis.sock")
    );

    // A server that stops answering: Timeout naming the operation and topic.
    let quick = RedisBackend::connect(&good, RedisOptions::new().response_timeout(Duration::from_millis(100)))
        .await
        .unwrap();
    let sleeper = std::thread::spawn({
        let url = good.clone();
        move || {
            let mut conn = redis::Client::open(url).unwrap().get_connection().unwrap();
            redis::cmd("DEBUG")
                .arg("SLEEP")
                .arg("0.5")
                .query::<()>(&mut conn)
                .unwrap();
        }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let err = quick.len(&topic("slow")).await.unwrap_err();
    assert!(
        matches!(err, Error::Timeout { ref operation, may_have_executed: true, .. } if operation == "XLEN slow"),
        "{err:?}"
    );
    sleeper.join().unwrap();
    let mut conn = redis::Client::open(good).unwrap().get_connection().unwrap();
    redis::cmd("CONFIG")
        .arg("SET")
        .arg("requirepass")
        .arg("")
        .query::<()>(&mut conn)
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_urls_are_supported() {
    // Nothing listens on port 1: the TLS stack (rustls) is built and the refusal comes back typed.
    let err = RedisBackend::connect("rediss://:pw-secret@127.0.0.1:1/0", RedisOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Connection { .. }), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("pw-secret"));
    assert!(
        err.to_string()
            .starts_with("connection error during connect rediss://:***@127.0.0.1:1/0"),
        "{err}"
    );
}
