//! XREAD against a real Redis, and blocking: woken by XADD, released by CLIENT UNBLOCK (TIMEOUT and ERROR),
//! counted in `blocked_clients`, never blocking inside EXEC.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests and their helpers fail by panicking"
)]

mod common;

use std::time::Duration;

use common::{PROTOCOLS, Pair, Raw, XREAD_S, client_id, hello, wait_blocked};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xread_parses_and_answers_like_redis() {
    let Some(mut pair) = Pair::start("xread_parses_and_answers").await else {
        return;
    };
    pair.script(&[
        &["XADD", "a", "1-1", "f", "1"],
        &["XADD", "a", "2-1", "f", "2"],
        &["XADD", "b", "1-1", "g", "1"],
    ])
    .await;
    for protocol in PROTOCOLS {
        hello(&mut pair, protocol).await;
        pair.script(&[
            &["XREAD", "STREAMS", "a", "0"],
            &["XREAD", "COUNT", "1", "STREAMS", "a", "b", "0", "0"],
            &["XREAD", "STREAMS", "a", "b", "nokey", "1-1", "$", "0"],
            &["XREAD", "COUNT", "-5", "STREAMS", "a", "1"],
            &["XREAD", "STREAMS", "nokey", "0"],
            &["XREAD", "BLOCK", "10", "STREAMS", "a", "$"],
            &["XREAD", "STREAMS", "a"],
            &["XREAD", "STREAMS", "a", "b", "0"],
            &["XREAD", "COUNT", "1", "STREAMS"],
            &["XREAD", "STREAMS", "a", "abc"],
            &["XREAD", "STREAMS", "a", "+"],
            &["XREAD", "FOO", "STREAMS", "a", "0"],
            &["XREAD", "COUNT", "x", "STREAMS", "a", "0"],
            &["XREAD", "BLOCK", "-1", "STREAMS", "a", "0"],
            &["XREAD", "BLOCK", "x", "STREAMS", "a", "0"],
            &["XREAD", "COUNT", "1", "BLOCK", "0", "a", "0"],
            &["MULTI"],
            &["XREAD", "BLOCK", "0", "STREAMS", "a", "$"],
            &["EXEC"],
            &["COMMAND", "INFO", "xread"],
        ])
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_read_is_woken_and_released_like_redis() {
    let Some(mut pair) = Pair::start("a_blocked_read_is_woken").await else {
        return;
    };
    let (mut bus_reader, mut redis_reader) = pair.connect().await;
    // Woken by an append: the entries after `$` as resolved when it blocked.
    pair.check(&["XADD", "s", "1-1", "f", "v"]).await;
    pair.block_both(&mut bus_reader, &mut redis_reader, XREAD_S).await;
    let list = String::from_utf8(pair.bus_conn.cmd(&["CLIENT", "LIST"]).await).unwrap();
    assert!(list.contains("flags=b"), "{list}");
    pair.check(&["XADD", "s", "2-1", "f", "w"]).await;
    let expected = redis_reader.reply().await;
    assert_eq!(bus_reader.reply().await, expected);
    wait_blocked(&mut pair.bus_conn, 0).await;
    // Released by CLIENT UNBLOCK, as a timeout and as an error.
    let bus_id = client_id(&bus_reader.cmd(&["CLIENT", "ID"]).await);
    let redis_id = client_id(&redis_reader.cmd(&["CLIENT", "ID"]).await);
    for how in ["TIMEOUT", "ERROR"] {
        pair.block_both(&mut bus_reader, &mut redis_reader, XREAD_S).await;
        let expected = pair.redis_conn.cmd(&["CLIENT", "UNBLOCK", &redis_id, how]).await;
        assert_eq!(pair.bus_conn.cmd(&["CLIENT", "UNBLOCK", &bus_id, how]).await, expected);
        let expected = redis_reader.reply().await;
        assert_eq!(bus_reader.reply().await, expected, "after CLIENT UNBLOCK {how}");
        // Not blocked any more: a second UNBLOCK releases nothing.
        let expected = pair.redis_conn.cmd(&["CLIENT", "UNBLOCK", &redis_id, how]).await;
        assert_eq!(pair.bus_conn.cmd(&["CLIENT", "UNBLOCK", &bus_id, how]).await, expected);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_times_out_with_a_null_array() {
    let Some(mut pair) = Pair::start("a_block_times_out").await else {
        return;
    };
    for protocol in PROTOCOLS {
        hello(&mut pair, protocol).await;
        pair.script(&[&["XREAD", "BLOCK", "20", "STREAMS", "s", "nokey", "$", "$"]])
            .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_reader_does_not_hold_up_exec() {
    let server = common::bus(bus_server::ServerConfig::new()).await;
    let mut reader = Raw::tcp(&server).await;
    let mut writer = Raw::tcp(&server).await;
    reader
        .send_command(&[b"XREAD", b"BLOCK", b"0", b"STREAMS", b"s", b"$"])
        .await;
    wait_blocked(&mut writer, 1).await;
    writer.cmd(&["MULTI"]).await;
    writer.cmd(&["XADD", "s", "1-1", "f", "v"]).await;
    let exec = tokio::time::timeout(Duration::from_secs(5), writer.cmd(&["EXEC"])).await;
    assert_eq!(
        exec.expect("EXEC ran while a client was blocked"),
        b"*1\r\n$3\r\n1-1\r\n"
    );
    let woken = String::from_utf8(reader.reply().await).unwrap();
    assert!(woken.contains("1-1"), "{woken}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_releases_blocked_clients() {
    let server = common::bus(bus_server::ServerConfig::new()).await;
    let mut reader = Raw::tcp(&server).await;
    let mut other = Raw::tcp(&server).await;
    reader
        .send_command(&[b"XREAD", b"BLOCK", b"0", b"STREAMS", b"s", b"$"])
        .await;
    wait_blocked(&mut other, 1).await;
    tokio::time::timeout(Duration::from_secs(10), server.shutdown())
        .await
        .expect("shutdown does not wait for blocked clients");
    let released = reader.reply().await;
    assert!(
        released.starts_with(b"-UNBLOCKED"),
        "{}",
        String::from_utf8_lossy(&released)
    );
    assert!(reader.closed().await);
}
