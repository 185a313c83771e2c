//! The UUID index bus-redis keeps beside each stream (`{<key>}:ids`, a hash from UUID to entry id, and
//! `{<key>}:ids:order`, the same UUIDs by entry id for cleanup), as a plain client sees it: publishes, batches,
//! deletes and trims keep it in step with the stream; entries a foreign producer wrote (redis-cli, redis-py)
//! bypass it and are found by a bounded scan, oldest first, which gives up with an error past its limit rather
//! than miss silently. Idempotent publishing and lookups as results are the conformance suite's (`append` and
//! `consumer` families).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

mod common;

use bus_core::{AppendOptions, Backend, Error, Message, Published, Trim, Uuid};
use bus_redis::RedisOptions;
use common::{id, index_len, key, message, raw, topic};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_and_delete_keep_the_index_in_step() {
    let (server, backend) = setup!("publish_and_delete_keep_the_index_in_step");
    let t = topic("chat:1");
    let m = message(1);
    let first = backend.publish(&t, &m, &AppendOptions::new()).await.unwrap().unwrap();
    backend.publish(&t, &m, &AppendOptions::new()).await.unwrap();
    assert_eq!(index_len(&server, "chat:1"), (1, 1));
    // XDEL (by anyone) leaves the index entry behind: it is not trusted, and the next lookup, finding it stale,
    // drops it. Publishing the message again indexes the new entry.
    backend.delete(&t, &[first.entry_id]).await.unwrap();
    backend.lookup(&t, m.id()).await.unwrap();
    assert_eq!(index_len(&server, "chat:1"), (0, 0));
    backend.publish(&t, &m, &AppendOptions::new()).await.unwrap();
    assert_eq!(index_len(&server, "chat:1"), (1, 1));
    // NOMKSTREAM on a missing topic: no index keys either.
    backend
        .publish(&topic("none"), &m, &AppendOptions::new().no_mkstream())
        .await
        .unwrap();
    assert_eq!(index_len(&server, "none"), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_indexes_each_message_once() {
    let (server, backend) = setup!("a_batch_indexes_each_message_once");
    let t = topic("chat:batch");
    let (a, b, c, d) = (message(1), message(2), message(3), message(4));
    backend.publish(&t, &a, &AppendOptions::new()).await.unwrap();
    // `a` is on the topic before the batch; `b` and `c` repeat inside it.
    let batch = [b.clone(), a.clone(), c.clone(), b, d, c];
    backend.publish_batch(&t, &batch, &AppendOptions::new()).await.unwrap();
    assert_eq!(index_len(&server, "chat:batch"), (4, 4));
    // Trimming applies per message, and the index follows.
    let many: Vec<Message> = (0..10).map(message).collect();
    let trimmed = AppendOptions::new().trim(Trim::maxlen(3));
    backend
        .publish_batch(&topic("chat:trimmed"), &many, &trimmed)
        .await
        .unwrap();
    assert_eq!(index_len(&server, "chat:trimmed"), (3, 3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trimming_keeps_the_index_bounded() {
    let (server, backend) = setup!("trimming_keeps_the_index_bounded");
    let t = topic("bounded");
    for n in 0..20 {
        let options = AppendOptions::new().trim(Trim::maxlen(5));
        backend.publish(&t, &message(n), &options).await.unwrap();
    }
    assert_eq!(index_len(&server, "bounded"), (5, 5));
    // XTRIM through the backend cleans up too.
    backend.trim(&t, &Trim::maxlen(2)).await.unwrap();
    assert_eq!(index_len(&server, "bounded"), (2, 2));
    backend.trim(&t, &Trim::maxlen(0)).await.unwrap();
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
