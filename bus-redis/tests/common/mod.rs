//! Helpers shared by the scenario tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, reason = "test helpers")]

use bus_core::{Entry, EntryId, Fields, Topic};
pub use bus_redis::testing::TestRedis;

/// Starts a server and a backend, or returns from the test (SKIP) when there is no server.
#[macro_export]
macro_rules! setup {
    ($name:expr) => {{
        let Some(server) = common::TestRedis::start($name) else {
            return;
        };
        let backend = server.backend().await.expect("connect");
        (server, backend)
    }};
}

pub fn topic(name: &str) -> Topic {
    Topic::new(name).unwrap()
}

pub fn id(ms: u64, seq: u64) -> EntryId {
    EntryId::new(ms, seq)
}

pub fn fields(pairs: &[(&'static str, &'static str)]) -> Fields {
    Fields::from_pairs(pairs.iter().copied())
}

pub fn entry(ms: u64, seq: u64, pairs: &[(&'static str, &'static str)]) -> Entry {
    Entry::new(id(ms, seq), fields(pairs))
}

/// Runs a raw command on a plain connection, like a foreign client would.
pub fn raw<T: redis::FromRedisValue>(server: &TestRedis, args: &[&str]) -> T {
    let mut conn = server.raw().unwrap();
    let mut cmd = redis::cmd(args[0]);
    for arg in &args[1..] {
        cmd.arg(*arg);
    }
    cmd.query(&mut conn).unwrap()
}

/// A key as the server sees it (with the test's prefix).
pub fn key(server: &TestRedis, name: &str) -> String {
    format!("{}{name}", server.prefix())
}

/// A message under a new UUID, with payload `{"n": n}`.
pub fn message(n: u32) -> bus_core::Message {
    bus_core::Message::with_id(bus_core::Uuid::new_v4(), &serde_json::json!({ "n": n })).unwrap()
}

/// The keys of a topic's UUID index, beside its stream key: the hash `{<key>}:ids` and the sorted set
/// `{<key>}:ids:order`.
pub fn index_keys(server: &TestRedis, name: &str) -> [String; 2] {
    let stream = key(server, name);
    [format!("{{{stream}}}:ids"), format!("{{{stream}}}:ids:order")]
}

/// `(HLEN, ZCARD)` of a topic's UUID index: how many UUIDs it maps, and how many it orders for cleanup.
pub fn index_len(server: &TestRedis, name: &str) -> (u64, u64) {
    let [ids, order] = index_keys(server, name);
    (raw(server, &["HLEN", &ids]), raw(server, &["ZCARD", &order]))
}
