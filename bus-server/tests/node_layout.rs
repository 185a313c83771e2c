//! CONFIG SET `stream-node-max-entries` / `stream-node-max-bytes` against a real Redis: the defaults are
//! Redis's, and a change moves node boundaries from the next append on, in every database, so approximate
//! trims remove what Redis removes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests and their helpers fail by panicking"
)]

mod common;

use bus_server::ServerConfig;
use common::{Pair, Raw, RealRedis, bus};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn defaults_are_redis_defaults_with_4096_byte_nodes() {
    // RealRedis starts with `stream-node-max-bytes 0`: this one is put back to Redis's default.
    let Some(redis) = RealRedis::start("node_layout_defaults", &["--stream-node-max-bytes", "4096"]) else {
        return;
    };
    let server = bus(ServerConfig::new()).await;
    let mut pair = Pair {
        bus_conn: Raw::tcp(&server).await,
        redis_conn: Raw::unix(&redis.socket).await,
        server,
        redis,
    };
    pair.script(&[
        &["CONFIG", "GET", "stream-node-max-entries"],
        &["CONFIG", "GET", "stream-node-max-bytes"],
    ])
    .await;
    // 200-byte values: about 20 entries fill a 4096-byte node, so `~` trims by those nodes.
    let value = "v".repeat(200);
    fill(&mut pair, "s", 1, 150, value).await;
    pair.script(&[
        &["XTRIM", "s", "MAXLEN", "~", "100"],
        &["XLEN", "s"],
        &["XRANGE", "s", "-", "+", "COUNT", "1"],
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_set_moves_node_boundaries_in_every_database() {
    let Some(mut pair) = Pair::start("config_set_moves_node_boundaries").await else {
        return;
    };
    // 10 entries per node: 35 entries are nodes of 10, 10, 10, 5.
    pair.script(&[&["CONFIG", "SET", "stream-node-max-entries", "10"], &["SELECT", "4"]])
        .await;
    fill(&mut pair, "a", 1, 35, "x".to_owned()).await;
    pair.script(&[&["XTRIM", "a", "MAXLEN", "~", "12"], &["XLEN", "a"]])
        .await;
    // Nodes by bytes only: 300 bytes hold a few 40-byte entries.
    pair.script(&[
        &[
            "CONFIG",
            "SET",
            "stream-node-max-entries",
            "0",
            "stream-node-max-bytes",
            "300",
        ],
        &["SELECT", "0"],
    ])
    .await;
    fill(&mut pair, "b", 1, 30, "y".repeat(40)).await;
    pair.script(&[
        &["XTRIM", "b", "MAXLEN", "~", "10"],
        &["XLEN", "b"],
        &["XTRIM", "b", "MAXLEN", "~", "1", "LIMIT", "3"],
        &["XLEN", "b"],
        &["CONFIG", "GET", "stream-node-max-entries"],
        &["CONFIG", "GET", "stream-node-max-bytes"],
        &["CONFIG", "SET", "stream-node-max-bytes", "-1"],
        &["CONFIG", "SET", "stream-node-max-entries", "x"],
        &["CONFIG", "GET", "stream-node-max-entries"],
        &["CONFIG", "GET", "stream-node-max-bytes"],
    ])
    .await;
}

/// `XADD key <i>-1 f value` for i in `from..=to`, on both servers.
async fn fill(pair: &mut Pair, key: &str, from: u32, to: u32, value: String) {
    for i in from..=to {
        pair.check(&["XADD", key, &format!("{i}-1"), "f", &value]).await;
    }
}
