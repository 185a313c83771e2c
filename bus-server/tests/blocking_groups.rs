//! A blocked XREADGROUP against a real Redis: woken by XADD (the entries then pending for the consumer),
//! released by XGROUP DESTROY (NOGROUP), DEL, FLUSHALL and a type change (UNBLOCKED), RENAME (served from the
//! renamed stream, or NOGROUP), CLIENT UNBLOCK (TIMEOUT and ERROR); never blocking inside EXEC; and the statistics of a failed blocked command.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests and their helpers fail by panicking"
)]

mod common;

use common::{Pair, Raw, client_id, wait_blocked};

const BLOCKED_READ: &[&[u8]] = &[
    b"XREADGROUP",
    b"GROUP",
    b"g",
    b"alice",
    b"BLOCK",
    b"0",
    b"STREAMS",
    b"s",
    b">",
];

/// A stream `s` with one entry and a group `g` at its end, and a reader of each server blocked on it.
async fn blocked(pair: &mut Pair) -> (Raw, Raw) {
    pair.script(&[
        &["DEL", "s", "s2"],
        &["XADD", "s", "1-1", "f", "v"],
        &["XGROUP", "CREATE", "s", "g", "$"],
    ])
    .await;
    let (mut bus_reader, mut redis_reader) = pair.connect().await;
    for reader in [&mut bus_reader, &mut redis_reader] {
        reader.send_command(BLOCKED_READ).await;
    }
    wait_blocked(&mut pair.bus_conn, 1).await;
    wait_blocked(&mut pair.redis_conn, 1).await;
    (bus_reader, redis_reader)
}

/// Runs `trigger` on both servers and compares what the blocked readers then receive.
async fn released_by(pair: &mut Pair, trigger: &[&[&str]]) {
    let (mut bus_reader, mut redis_reader) = blocked(pair).await;
    pair.script(trigger).await;
    let expected = redis_reader.reply().await;
    assert_eq!(
        String::from_utf8_lossy(&bus_reader.reply().await),
        String::from_utf8_lossy(&expected),
        "after {trigger:?}"
    );
    wait_blocked(&mut pair.bus_conn, 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_group_read_is_woken_and_released_like_redis() {
    let Some(mut pair) = Pair::start("a_blocked_group_read_is_woken").await else {
        return;
    };
    released_by(&mut pair, &[&["XADD", "s", "2-1", "f", "w"]]).await;
    pair.script(&[&["XPENDING", "s", "g"], &["XINFO", "GROUPS", "s"]]).await;
    released_by(&mut pair, &[&["XGROUP", "DESTROY", "s", "g"]]).await;
    released_by(&mut pair, &[&["DEL", "s"]]).await;
    released_by(&mut pair, &[&["FLUSHALL"]]).await;
    released_by(&mut pair, &[&["SET", "s", "x"]]).await;
    released_by(&mut pair, &[&["MULTI"], &["DEL", "s"], &["SADD", "s", "m"], &["EXEC"]]).await;
    released_by(
        &mut pair,
        &[
            &["XGROUP", "CREATE", "s2", "g", "$", "MKSTREAM"],
            &["XADD", "s2", "5-1", "f", "renamed"],
            &["RENAME", "s2", "s"],
        ],
    )
    .await;
    released_by(&mut pair, &[&["XADD", "s2", "5-1", "f", "v"], &["RENAME", "s2", "s"]]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_unblock_releases_a_group_read_like_redis() {
    let Some(mut pair) = Pair::start("client_unblock_releases_a_group_read").await else {
        return;
    };
    for how in ["TIMEOUT", "ERROR"] {
        let (mut bus_reader, mut redis_reader) = blocked(&mut pair).await;
        // The readers' ids, from CLIENT LIST's line of the blocked client.
        let bus_id = blocked_id(&mut pair.bus_conn).await;
        let redis_id = blocked_id(&mut pair.redis_conn).await;
        let expected = pair.redis_conn.cmd(&["CLIENT", "UNBLOCK", &redis_id, how]).await;
        assert_eq!(pair.bus_conn.cmd(&["CLIENT", "UNBLOCK", &bus_id, how]).await, expected);
        let expected = redis_reader.reply().await;
        assert_eq!(bus_reader.reply().await, expected, "after CLIENT UNBLOCK {how}");
        pair.script(&[&["XPENDING", "s", "g"]]).await;
    }
}

/// The id of the one client flagged blocked in CLIENT LIST.
async fn blocked_id(conn: &mut Raw) -> String {
    let list = String::from_utf8(conn.cmd(&["CLIENT", "LIST"]).await).unwrap();
    let line = list
        .lines()
        .find(|line| line.contains("flags=b"))
        .expect("a blocked client");
    let id = line.split(' ').find_map(|field| field.strip_prefix("id=")).unwrap();
    client_id(id.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_read_in_exec_does_not_block() {
    let Some(mut pair) = Pair::start("a_group_read_in_exec_does_not_block").await else {
        return;
    };
    pair.script(&[
        &["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"],
        &["MULTI"],
        &["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"],
        &["EXEC"],
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_blocked_read_is_counted_like_redis() {
    let Some(mut pair) = Pair::start("a_failed_blocked_read_is_counted").await else {
        return;
    };
    pair.script(&[&["CONFIG", "RESETSTAT"]]).await;
    released_by(&mut pair, &[&["XGROUP", "DESTROY", "s", "g"]]).await;
    pair.script(&[&["XLEN"], &["XADD", "s"], &["INFO", "errorstats"]]).await;
    let stats = String::from_utf8(pair.bus_conn.cmd(&["INFO", "commandstats"]).await).unwrap();
    assert!(
        stats.contains(",rejected_calls=0,failed_calls=1\r\n") && stats.contains("cmdstat_xreadgroup:calls=1,"),
        "{stats}"
    );
    assert!(stats.contains("cmdstat_xlen:calls=0,"), "{stats}");
    assert!(stats.contains(",rejected_calls=1,failed_calls=0\r\n"), "{stats}");
}
