//! WATCH, MULTI, EXEC, DISCARD and UNWATCH against a real Redis: which changes abort an EXEC (its own and other
//! clients' writes, deletions, renames, FLUSH of an existing key; not writes to another database, FLUSH of a
//! missing one, or a refused write), the order of EXECABORT and a touched key, which commands forget the
//! watches, and blocked readers served only at the end of EXEC, from what the keys then hold.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests and their helpers fail by panicking"
)]

mod common;

use common::{PROTOCOLS, Pair, XREAD_S, hello, wait_blocked};

/// Commands, each a command line.
type Script<'a> = &'a [&'a [&'a str]];

/// `WATCH k`, then `change` from this connection or another, then `MULTI; PING; EXEC` on both servers.
async fn watch_then(pair: &mut Pair, setup: Script<'_>, change: Script<'_>, from_other: bool) {
    pair.script(setup).await;
    pair.check(&["WATCH", "k"]).await;
    if from_other {
        let (mut bus_other, mut redis_other) = pair.connect().await;
        for args in change {
            let expected = redis_other.cmd(args).await;
            assert_eq!(
                String::from_utf8_lossy(&bus_other.cmd(args).await),
                String::from_utf8_lossy(&expected),
                "{args:?} from another client"
            );
        }
    } else {
        pair.script(change).await;
    }
    pair.script(&[&["MULTI"], &["PING"], &["EXEC"], &["FLUSHALL"]]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_aborts_when_a_watched_key_was_touched() {
    let Some(mut pair) = Pair::start("exec_aborts_when_touched").await else {
        return;
    };
    let string: Script = &[&["SET", "k", "v"]];
    let stream: Script = &[&["XADD", "k", "1-1", "f", "v"]];
    let cases: &[(Script, Script)] = &[
        (&[], &[]),
        (string, &[&["GET", "k"]]),
        (string, &[&["SET", "k", "w"]]),
        (string, &[&["SET", "k", "w", "NX"]]),
        (string, &[&["INCR", "k"]]),
        (string, &[&["APPEND", "k", ""]]),
        (string, &[&["DEL", "k"]]),
        (&[], &[&["DEL", "k"]]),
        (&[], &[&["SET", "k", "v"], &["DEL", "k"]]),
        (string, &[&["EXPIRE", "k", "100"]]),
        (string, &[&["EXPIRE", "k", "100", "XX"]]),
        (string, &[&["PERSIST", "k"]]),
        (string, &[&["RENAME", "k", "other"]]),
        (&[&["SET", "other", "v"]], &[&["RENAME", "other", "k"]]),
        (string, &[&["FLUSHALL"]]),
        (&[], &[&["FLUSHALL"]]),
        (string, &[&["FLUSHDB"]]),
        (string, &[&["SELECT", "1"], &["SET", "k", "x"], &["SELECT", "0"]]),
        (stream, &[&["XADD", "k", "2-1", "f", "v"]]),
        (stream, &[&["XADD", "k", "1-1", "f", "v"]]),
        (stream, &[&["XDEL", "k", "9-9"]]),
        (stream, &[&["XTRIM", "k", "MAXLEN", "0"]]),
        (stream, &[&["XRANGE", "k", "-", "+"]]),
        (&[&["LPUSH", "k", "a"]], &[&["LPOP", "k", "0"]]),
        (&[&["LPUSH", "k", "a"]], &[&["RPOP", "k"]]),
        (&[&["SADD", "k", "a"]], &[&["SADD", "k", "a"]]),
        (&[&["HSET", "k", "f", "v"]], &[&["HSET", "k", "f", "v"]]),
    ];
    for protocol in PROTOCOLS {
        hello(&mut pair, protocol).await;
        for (setup, change) in cases {
            for from_other in [false, true] {
                watch_then(&mut pair, setup, change, from_other).await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_rules_and_what_forgets_watches() {
    let Some(mut pair) = Pair::start("watch_rules").await else {
        return;
    };
    pair.script(&[
        &["WATCH"],
        // WATCH inside MULTI is refused (and does not spoil the transaction).
        &["MULTI"],
        &["WATCH", "k"],
        &["SET", "k", "1"],
        &["EXEC"],
        // The transaction's own writes do not abort it.
        &["WATCH", "k", "k", "nokey"],
        &["MULTI"],
        &["SET", "k", "2"],
        &["EXEC"],
        &["GET", "k"],
        // EXECABORT wins over a touched key.
        &["WATCH", "k"],
        &["SET", "k", "3"],
        &["MULTI"],
        &["NOSUCH"],
        &["EXEC"],
        // ... and forgets the watch.
        &["MULTI"],
        &["EXEC"],
        // UNWATCH forgets.
        &["WATCH", "k"],
        &["SET", "k", "4"],
        &["UNWATCH"],
        &["MULTI"],
        &["GET", "k"],
        &["EXEC"],
        // DISCARD forgets.
        &["WATCH", "k"],
        &["MULTI"],
        &["DISCARD"],
        &["SET", "k", "5"],
        &["MULTI"],
        &["EXEC"],
        // EXEC without MULTI keeps the watch.
        &["WATCH", "k"],
        &["EXEC"],
        &["SET", "k", "6"],
        &["MULTI"],
        &["EXEC"],
        // A key watched in another database.
        &["SELECT", "3"],
        &["WATCH", "k"],
        &["SELECT", "0"],
        &["SET", "k", "7"],
        &["MULTI"],
        &["EXEC"],
        &["SELECT", "3"],
        &["WATCH", "k"],
        &["SET", "k", "8"],
        &["SELECT", "0"],
        &["MULTI"],
        &["EXEC"],
        // UNWATCH queued in a transaction.
        &["MULTI"],
        &["UNWATCH"],
        &["EXEC"],
        &["FLUSHALL"],
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocked_readers_see_what_exec_left() {
    let Some(mut pair) = Pair::start("blocked_readers_see_what_exec_left").await else {
        return;
    };
    let (mut bus_reader, mut redis_reader) = pair.connect().await;
    let transactions: &[Script] = &[
        // Both entries at once, not the first alone.
        &[&["XADD", "s", "1-1", "f", "a"], &["XADD", "s", "2-1", "f", "b"]],
        // Appended then deleted: the reader is not woken, and is served by the next append.
        &[&["XADD", "s", "3-1", "f", "c"], &["DEL", "s"]],
    ];
    for transaction in transactions {
        pair.block_both(&mut bus_reader, &mut redis_reader, XREAD_S).await;
        pair.check(&["MULTI"]).await;
        pair.script(transaction).await;
        pair.check(&["EXEC"]).await;
    }
    // The second transaction left the reader blocked on both servers.
    wait_blocked(&mut pair.bus_conn, 1).await;
    wait_blocked(&mut pair.redis_conn, 1).await;
    let first = redis_reader.reply().await;
    assert_eq!(
        String::from_utf8_lossy(&bus_reader.reply().await),
        String::from_utf8_lossy(&first)
    );
    pair.check(&["XADD", "s", "5-1", "f", "e"]).await;
    let second = redis_reader.reply().await;
    assert_eq!(
        String::from_utf8_lossy(&bus_reader.reply().await),
        String::from_utf8_lossy(&second)
    );
    assert!(String::from_utf8_lossy(&second).contains("5-1"));
}
