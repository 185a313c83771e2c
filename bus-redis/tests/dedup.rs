//! The Redis-backed idempotency helper, `RedisDedup`: marking, namespaces, the key prefix, expiry, sharing
//! between backends, and persistence across a restart of a server with an append-only file.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use bus_redis::{RedisDedup, RedisOptions};
use uuid::Uuid;

use common::TestRedis;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_time_marks_once_per_namespace_and_forget_unmarks() {
    let (_server, backend) = setup!("first_time_marks_once_per_namespace_and_forget_unmarks");
    let dedup = backend.dedup("workers", Duration::from_secs(600)).unwrap();
    let other = RedisDedup::new(&backend, "auditors", Duration::from_secs(600)).unwrap();
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());

    assert!(!dedup.contains(a).await.unwrap());
    assert!(dedup.first_time(a).await.unwrap(), "first delivery");
    assert!(!dedup.first_time(a).await.unwrap(), "a duplicate");
    assert!(!dedup.first_time(a).await.unwrap(), "still a duplicate");
    assert!(dedup.contains(a).await.unwrap());
    assert!(dedup.first_time(b).await.unwrap(), "another UUID is independent");
    assert!(other.first_time(a).await.unwrap(), "another namespace is independent");

    assert!(dedup.forget(a).await.unwrap());
    assert!(!dedup.forget(a).await.unwrap(), "already forgotten");
    assert!(!dedup.contains(a).await.unwrap());
    assert!(dedup.first_time(a).await.unwrap(), "forgotten: the retry runs");
    assert_eq!((dedup.namespace(), dedup.ttl()), ("workers", Duration::from_secs(600)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_use_the_key_prefix_and_carry_the_ttl() {
    let Some(server) = TestRedis::start("keys_use_the_key_prefix_and_carry_the_ttl") else {
        return;
    };
    let backend = server
        .backend_with(RedisOptions::new().key_prefix("app1:"))
        .await
        .unwrap();
    let dedup = backend.dedup("g", Duration::from_secs(100)).unwrap();
    let uuid = Uuid::new_v4();
    let key = common::key(&server, &format!("app1:dedup:g:{{{uuid}}}"));
    assert_eq!(dedup.key(uuid), key);
    assert!(dedup.first_time(uuid).await.unwrap());
    let value: String = common::raw(&server, &["GET", &key]);
    assert_eq!(value, "1");
    let ttl: i64 = common::raw(&server, &["PTTL", &key]);
    assert!((90_000..=100_000).contains(&ttl), "PTTL {ttl}");

    // Another prefix is another namespace: a backend without "app1:" does not see the mark.
    let unprefixed = server.backend().await.unwrap();
    let dedup2 = unprefixed.dedup("g", Duration::from_secs(100)).unwrap();
    assert!(!dedup2.contains(uuid).await.unwrap());
    assert!(dedup2.first_time(uuid).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marks_expire_after_the_ttl() {
    let (_server, backend) = setup!("marks_expire_after_the_ttl");
    let dedup = backend.dedup("expiring", Duration::from_millis(300)).unwrap();
    let uuid = Uuid::new_v4();
    let marked = Instant::now();
    assert!(dedup.first_time(uuid).await.unwrap());
    assert!(!dedup.first_time(uuid).await.unwrap(), "a duplicate within the TTL");
    // Poll (without marking) until the key is gone; generous deadline.
    let deadline = marked + Duration::from_secs(20);
    while dedup.contains(uuid).await.unwrap() {
        assert!(Instant::now() < deadline, "the mark never expired");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(
        marked.elapsed() >= Duration::from_millis(250),
        "expired too early: {:?}",
        marked.elapsed()
    );
    assert!(dedup.first_time(uuid).await.unwrap(), "after expiry it is new again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_sharing_the_server_see_each_others_marks() {
    let (server, backend) = setup!("replicas_sharing_the_server_see_each_others_marks");
    let replica = server.backend().await.unwrap();
    let ttl = Duration::from_secs(60);
    let (one, two) = (backend.dedup("g", ttl).unwrap(), replica.dedup("g", ttl).unwrap());
    let uuids: Vec<Uuid> = (0..50).map(|_| Uuid::new_v4()).collect();
    // Both replicas race for every UUID: exactly one wins each.
    let mut wins = 0;
    for uuid in &uuids {
        let (a, b) = tokio::join!(one.first_time(*uuid), two.first_time(*uuid));
        let (a, b) = (a.unwrap(), b.unwrap());
        assert!(a ^ b, "exactly one replica marks {uuid} first");
        wins += usize::from(a);
    }
    println!("replica one won {wins} of {}", uuids.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marks_survive_a_restart_of_a_persistent_server() {
    let Some(mut server) = TestRedis::start_aof("marks_survive_a_restart_of_a_persistent_server") else {
        return;
    };
    let backend = server.backend().await.unwrap();
    let dedup = backend.dedup("g", Duration::from_secs(600)).unwrap();
    let uuid = Uuid::new_v4();
    assert!(dedup.first_time(uuid).await.unwrap());
    server.stop().unwrap();
    server.restart().unwrap();
    // The same backend reconnects by itself; the first command may still see the old connection fail.
    let deadline = Instant::now() + Duration::from_secs(30);
    let seen = loop {
        match dedup.first_time(uuid).await {
            Ok(first) => break first,
            Err(err) => {
                assert!(err.is_retryable(), "{err}");
                assert!(Instant::now() < deadline, "no reconnect: {err}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    assert!(!seen, "the mark was persisted and reloaded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_namespaces_and_ttls_are_refused() {
    let (_server, backend) = setup!("bad_namespaces_and_ttls_are_refused");
    for bad in ["", "a b", "{x}", "tab\t"] {
        assert!(backend.dedup(bad, Duration::from_secs(1)).is_err(), "{bad:?}");
    }
    assert!(backend.dedup("ok", Duration::from_micros(500)).is_err());
    assert!(backend.dedup("ok", Duration::from_millis(1)).is_ok());
}
