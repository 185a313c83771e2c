//! `bus::connect` on a real Redis server (a private `redis-server`, or `BUS_REDIS_URL`).
#![cfg(feature = "redis")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use bus::bus_redis::testing::TestRedis;
use bus::{BackendKind, GroupStart, RedisOptions, Topic};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_urls_connect_to_redis() {
    let Some(server) = TestRedis::start("bus::redis_urls_connect_to_redis") else {
        return;
    };
    assert_eq!(BackendKind::of_url(server.url()).unwrap(), BackendKind::Redis);
    // The test's key prefix keeps a shared server (BUS_REDIS_URL) clean; it is empty on a private one.
    let options = RedisOptions::new().key_prefix(server.prefix());
    let bus = bus::connect_with(server.url(), options.clone()).await.unwrap();
    assert!(format!("{bus:?}").contains("RedisBackend"), "{bus:?}");
    let topic = Topic::chat_agent("Facade").unwrap();
    let published = bus.publish(&topic, &serde_json::json!({"n": 1})).await.unwrap();

    // Another bus on the same URL sees the message: it is on the server, not in this process.
    let other = bus::connect_with(server.url(), options).await.unwrap();
    assert_eq!(
        other.lookup(&topic, published_uuid(&bus, &topic).await).await.unwrap(),
        Some(published.entry_id)
    );
    other
        .ensure_group(&topic, "g", GroupStart::Id(bus::EntryId::MIN))
        .await
        .unwrap();
    let mut consumer = other.consumer(topic.clone(), "g", "c");
    let read = consumer.read(10, None).await.unwrap();
    assert_eq!(read.len(), 1);
    assert_eq!(read[0].entry_id(), published.entry_id);

    if server.prefix().is_empty() {
        // `bus::connect` with default options, on the private server.
        let plain = bus::connect(server.url()).await.unwrap();
        assert_eq!(plain.backend().len(&topic).await.unwrap(), 1);
    }
}

async fn published_uuid(bus: &bus::Bus, topic: &Topic) -> bus::Uuid {
    bus.tail(topic, 1).await.unwrap()[0].message().unwrap().id()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_stay_out_of_output() {
    let Some(server) = TestRedis::start("bus::passwords_stay_out_of_output") else {
        return;
    };
    if !server.prefix().is_empty() {
        eprintln!("SKIP bus::passwords_stay_out_of_output: needs a private server (BUS_REDIS_URL is set)");
        return;
    }
    let mut conn = server.raw().unwrap();
    redis::cmd("CONFIG")
        .arg("SET")
        .arg("requirepass")
        .arg("facade-s3cret")
        .query::<()>(&mut conn)
        .unwrap();
    let good = format!("{}?pass=facade-s3cret", server.url());
    let bus = bus::connect(&good).await.unwrap();
    let debug = format!("{bus:?}");
    assert!(
        !debug.contains("facade-s3cret") && debug.contains("pass=***"),
        "{debug}"
    );
    assert_eq!(bus::redact_url(&good), format!("{}?pass=***", server.url()));

    let bad = format!("{}?pass=wrong-s3cret", server.url());
    let err = bus::connect(&bad).await.unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(!text.contains("wrong-s3cret"), "{text}");
    assert!(
        err.kind() == "auth_failed" && !err.is_retryable() && err.to_string().contains("authentication failed"),
        "a refused password is a permanent, typed error: {err:?}"
    );
}
