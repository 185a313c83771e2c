//! Keyspace commands against a real Redis: DEL, UNLINK, EXISTS, TYPE, EXPIRE, PEXPIRE, TTL, PTTL, PERSIST, KEYS,
//! SCAN, DBSIZE, FLUSHDB, FLUSHALL.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests and their helpers fail by panicking"
)]

mod common;

use std::collections::BTreeSet;

use common::{PROTOCOLS, Pair, bulk_set as sorted, hello};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn del_exists_type_dbsize() {
    let Some(mut pair) = Pair::start("del_exists_type_dbsize").await else {
        return;
    };
    for protocol in PROTOCOLS {
        hello(&mut pair, protocol).await;
        pair.script(&[
            &["XADD", "a", "1-1", "f", "v"],
            &["XADD", "b", "1-1", "f", "v"],
            &["XADD", "c", "1-1", "f", "v"],
            &["DBSIZE"],
            &["EXISTS", "a", "a", "nokey", "b"],
            &["TYPE", "a"],
            &["TYPE", "nokey"],
            &["DEL", "a", "nokey", "a"],
            &["UNLINK", "b", "c"],
            &["EXISTS", "a", "b", "c"],
            &["DBSIZE"],
            &["DEL"],
            &["EXISTS"],
            &["TYPE"],
            &["DBSIZE", "x"],
        ])
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expire_options_and_errors() {
    let Some(mut pair) = Pair::start("expire_options_and_errors").await else {
        return;
    };
    pair.script(&[
        &["EXPIRE", "nokey", "100"],
        &["XADD", "s", "1-1", "f", "v"],
        &["TTL", "s"],
        &["PTTL", "s"],
        &["EXPIRE", "s", "100", "XX"],
        &["EXPIRE", "s", "100", "GT"],
        &["EXPIRE", "s", "100", "LT"],
        &["TTL", "s"],
        &["EXPIRE", "s", "200", "NX"],
        &["EXPIRE", "s", "50", "GT"],
        &["EXPIRE", "s", "500", "GT"],
        &["TTL", "s"],
        &["EXPIRE", "s", "1000", "LT"],
        &["EXPIRE", "s", "300", "lt"],
        &["TTL", "s"],
        &["EXPIRE", "s", "100", "NX", "XX"],
        &["EXPIRE", "s", "100", "GT", "LT"],
        &["EXPIRE", "s", "100", "NX", "GT"],
        &["EXPIRE", "s", "100", "ZZ"],
        &["EXPIRE", "s", "abc"],
        &["EXPIRE", "s", "abc", "ZZ"],
        &["EXPIRE", "s", "9223372036854775807"],
        &["PEXPIRE", "s", "9223372036854775807"],
        &["EXPIRE", "s", "9223372036854770"],
        &["EXPIRE", "s"],
        &["PERSIST", "nokey"],
        &["TTL", "nokey"],
        &["PTTL", "nokey"],
        &["XADD", "p", "1-1", "f", "v"],
        &["PERSIST", "p"],
        &["TTL", "p"],
        &["PEXPIRE", "p", "0"],
        &["EXISTS", "p"],
        &["XADD", "p", "1-1", "f", "v"],
        &["EXPIRE", "p", "-5"],
        &["EXISTS", "p"],
        &["XADD", "p", "1-1", "f", "v"],
        &["PEXPIRE", "p", "-9223372036854775808"],
        &["TYPE", "p"],
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absolute_deadlines_expireat_and_expiretime() {
    let Some(mut pair) = Pair::start("absolute_deadlines").await else {
        return;
    };
    pair.script(&[
        &["EXPIREAT", "nokey", "99999999999"],
        &["EXPIRETIME", "nokey"],
        &["PEXPIRETIME", "nokey"],
        &["SET", "k", "v"],
        &["EXPIRETIME", "k"],
        &["PEXPIRETIME", "k"],
        &["PEXPIREAT", "k", "99999999999500"],
        &["PEXPIRETIME", "k"],
        &["EXPIRETIME", "k"],
        &["EXPIREAT", "k", "99999999998", "GT"],
        &["EXPIREAT", "k", "99999999998", "LT"],
        &["EXPIRETIME", "k"],
        &["PEXPIREAT", "k", "99999999999000", "NX"],
        &["PEXPIREAT", "k", "99999999999000", "XX"],
        &["PEXPIRETIME", "k"],
        &["EXPIREAT", "k", "9223372036854775807"],
        &["EXPIREAT", "k", "-9223372036854775808"],
        &["PEXPIREAT", "k", "9223372036854775807"],
        &["PEXPIRETIME", "k"],
        &["EXPIREAT", "k", "x"],
        &["EXPIREAT", "k", "1", "ZZ"],
        &["EXPIREAT", "k", "1", "NX", "XX"],
        &["EXPIREAT", "k"],
        &["EXPIRETIME"],
        &["PEXPIRETIME", "k", "x"],
        &["PEXPIREAT", "k", "1"],
        &["EXISTS", "k"],
        &["XADD", "s", "1-1", "f", "v"],
        &["EXPIREAT", "s", "0"],
        &["TYPE", "s"],
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deadline_deletes_the_key() {
    let Some(mut pair) = Pair::start("a_deadline_deletes_the_key").await else {
        return;
    };
    pair.script(&[&["XADD", "s", "1-1", "f", "v"], &["PEXPIRE", "s", "50"]])
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    pair.script(&[&["EXISTS", "s"], &["TTL", "s"], &["DBSIZE"], &["KEYS", "*"]])
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_patterns() {
    let Some(mut pair) = Pair::start("keys_patterns").await else {
        return;
    };
    for key in ["user:1", "user:2", "user:10", "order:1", "Hello", "hallo", "h*llo"] {
        pair.check(&["XADD", key, "1-1", "f", "v"]).await;
    }
    for pattern in [
        "user:?", "user:*", "h[ae]llo", "h[^e]llo", "H*", "*1*", "h\\*llo", "[a-z]*", "nomatch*",
    ] {
        let expected = sorted(pair.redis_conn.cmd(&["KEYS", pattern]).await);
        let actual = sorted(pair.bus_conn.cmd(&["KEYS", pattern]).await);
        assert_eq!(actual, expected, "KEYS {pattern}");
    }
    pair.script(&[&["KEYS"], &["KEYS", "a", "b"]]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_errors_as_redis() {
    let Some(mut pair) = Pair::start("scan_errors_as_redis").await else {
        return;
    };
    pair.script(&[
        &["SCAN", "0"],
        &["SCAN", "x"],
        &["SCAN", " 1"],
        &["SCAN", "18446744073709551616"],
        &["SCAN", "0", "COUNT", "0"],
        &["SCAN", "0", "COUNT", "-1"],
        &["SCAN", "0", "COUNT", "x"],
        &["SCAN", "0", "MATCH"],
        &["SCAN", "0", "FOO", "bar"],
        &["SCAN", "0", "TYPE"],
        &["SCAN"],
        &["XADD", "s", "1-1", "f", "v"],
        &["SCAN", "0", "TYPE", "string"],
        &["SCAN", "0", "TYPE", "foo"],
        &["SCAN", "0", "TYPE", "stream"],
        &["SCAN", "0", "MATCH", "s", "COUNT", "5", "TYPE", "STREAM"],
    ])
    .await;
}

/// Every key SCAN returns from cursor 0 to 0, and the number of calls.
async fn scan_all(conn: &mut common::Raw, extra: &[&str]) -> (BTreeSet<String>, usize) {
    let (mut cursor, mut keys, mut calls) = ("0".to_owned(), BTreeSet::new(), 0);
    loop {
        let mut args = vec!["SCAN", cursor.as_str()];
        args.extend_from_slice(extra);
        let text = String::from_utf8(conn.cmd(&args).await).unwrap();
        calls += 1;
        let lines: Vec<&str> = text.split("\r\n").collect();
        // *2, $n, cursor, *k, then $len/key pairs.
        let next = lines[2].to_owned();
        keys.extend(sorted(lines[3..].join("\r\n").into_bytes()));
        if next == "0" {
            return (keys, calls);
        }
        cursor = next;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_visits_every_key_once_across_calls() {
    let Some(mut pair) = Pair::start("scan_visits_every_key").await else {
        return;
    };
    let all: BTreeSet<String> = (0..57).map(|i| format!("key:{i}")).collect();
    for key in &all {
        pair.check(&["XADD", key, "1-1", "f", "v"]).await;
    }
    let (bus_keys, bus_calls) = scan_all(&mut pair.bus_conn, &["COUNT", "10"]).await;
    let (redis_keys, _) = scan_all(&mut pair.redis_conn, &["COUNT", "10"]).await;
    assert_eq!(bus_keys, all);
    assert_eq!(redis_keys, all);
    assert!(
        bus_calls >= 6,
        "COUNT 10 over 57 keys takes several calls, took {bus_calls}"
    );
    let (matched, _) = scan_all(&mut pair.bus_conn, &["MATCH", "key:1*", "COUNT", "7"]).await;
    let expected: BTreeSet<String> = all.iter().filter(|k| k.starts_with("key:1")).cloned().collect();
    assert_eq!(matched, expected);
    let (none, _) = scan_all(&mut pair.bus_conn, &["TYPE", "string"]).await;
    assert!(none.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flushdb_and_flushall() {
    let Some(mut pair) = Pair::start("flushdb_and_flushall").await else {
        return;
    };
    pair.script(&[
        &["XADD", "a", "1-1", "f", "v"],
        &["SELECT", "5"],
        &["XADD", "b", "1-1", "f", "v"],
        &["FLUSHDB", "x"],
        &["FLUSHDB", "async", "x"],
        &["FLUSHDB", "SYNC"],
        &["DBSIZE"],
        &["SELECT", "0"],
        &["DBSIZE"],
        &["XADD", "b", "1-1", "f", "v"],
        &["FLUSHALL", "x"],
        &["FLUSHALL", "ASYNC"],
        &["DBSIZE"],
        &["XADD", "a", "1-1", "f", "v"],
        &["FLUSHALL"],
        &["EXISTS", "a"],
    ])
    .await;
}
