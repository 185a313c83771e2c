//! Stream commands against a real Redis: XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM, with their argument
//! parsing and error texts, in RESP2 and RESP3.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests and their helpers fail by panicking"
)]

mod common;

use common::{PROTOCOLS, Pair, hello};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xadd_ids_options_and_errors() {
    let Some(mut pair) = Pair::start("xadd_ids_options_and_errors").await else {
        return;
    };
    for protocol in PROTOCOLS {
        hello(&mut pair, protocol).await;
        pair.script(&[
            &["DEL", "s"],
            &["XADD", "s", "1-1", "f", "v"],
            &["XADD", "s", "1-1", "f", "v"],
            &["XADD", "s", "1-*", "f", "v"],
            &["XADD", "s", "5", "f", "v", "g", "w"],
            &["XADD", "s", "0", "f", "v"],
            &["XADD", "s", "0-0", "f", "v"],
            &["XADD", "fresh", "0-*", "f", "v"],
            &["XADD", "s", "abc", "f", "v"],
            &["XADD", "s", "-", "f", "v"],
            &["XADD", "s", "+", "f", "v"],
            &["XADD", "s", "6-1", "f"],
            &["XADD", "s", "6-1", "f", "v", "g"],
            &["XADD", "s", "6-1"],
            &["XADD", "s", "NOMKSTREAM", "6-1", "f", "v"],
            &["XADD", "missing", "NOMKSTREAM", "*", "f", "v"],
            &["EXISTS", "missing"],
            &["XADD", "s", "MAXLEN", "2", "7-1", "f", "v"],
            &["XLEN", "s"],
            &["XADD", "s", "MAXLEN", "=", "1", "8-1", "f", "v"],
            &["XADD", "s", "MAXLEN", "~", "1", "9-1", "f", "v"],
            &["XADD", "s", "MINID", "9", "10-1", "f", "v"],
            &["XRANGE", "s", "-", "+"],
            &["XADD", "s", "MAXLEN", "-1", "*", "f", "v"],
            &["XADD", "s", "MAXLEN", "x", "*", "f", "v"],
            &["XADD", "s", "MAXLEN", "1", "MINID", "1", "*", "f", "v"],
            &["XADD", "s", "MINID", "abc", "*", "f", "v"],
            &["XADD", "s", "LIMIT", "5", "*", "f", "v"],
            &["XADD", "s", "MAXLEN", "1", "LIMIT", "5", "*", "f", "v"],
            &["XADD", "s", "MAXLEN", "~", "1", "LIMIT", "-1", "*", "f", "v"],
            &["XADD", "s", "MAXLEN", "~", "1", "LIMIT", "x", "*", "f", "v"],
            &["XADD", "s", "MAXLEN", "~", "5", "LIMIT", "0", "11-1", "f", "v"],
            &["XADD", "s", "NOMKSTREAM"],
            &["XADD", "s", "MAXLEN"],
            &["XADD", "s", "MAXLEN", "1", "f", "v"],
            &["XADD", "s", "18446744073709551615-18446744073709551615", "f", "v"],
            &["XADD", "s", "*", "f", "v"],
            &["XADD", "s", "18446744073709551615-*", "f", "v"],
            &["XLEN", "s"],
            &["XLEN", "nokey"],
            &["XLEN"],
            &["XLEN", "a", "b"],
        ])
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xrange_and_xrevrange() {
    let Some(mut pair) = Pair::start("xrange_and_xrevrange").await else {
        return;
    };
    for id in ["1-1", "1-2", "2-1", "3-0", "3-5"] {
        pair.check(&["XADD", "s", id, "field", id, "other", "x"]).await;
    }
    for protocol in PROTOCOLS {
        hello(&mut pair, protocol).await;
        pair.script(&[
            &["XRANGE", "s", "-", "+"],
            &["XRANGE", "s", "1", "2"],
            &["XRANGE", "s", "(1-1", "(3-5"],
            &["XRANGE", "s", "(1", "+"],
            &["XRANGE", "s", "-", "+", "COUNT", "2"],
            &["XRANGE", "s", "-", "+", "count", "2", "COUNT", "3"],
            &["XRANGE", "s", "-", "+", "COUNT", "0"],
            &["XRANGE", "s", "-", "+", "COUNT", "-1"],
            &["XRANGE", "nokey", "-", "+", "COUNT", "0"],
            &["XRANGE", "nokey", "-", "+"],
            &["XRANGE", "s", "3", "1"],
            &["XRANGE", "s", "-", "+", "COUNT"],
            &["XRANGE", "s", "-", "+", "COUNT", "x"],
            &["XRANGE", "nokey", "-", "+", "COUNT", "x"],
            &["XRANGE", "s", "-", "+", "FOO", "1"],
            &["XRANGE", "s", "abc", "+"],
            &["XRANGE", "s", "-", "abc"],
            &["XRANGE", "s", "(", "+"],
            &["XRANGE", "s", "(-", "+"],
            &["XRANGE", "s", "(18446744073709551615-18446744073709551615", "+"],
            &["XRANGE", "s", "-", "(0-0"],
            &["XRANGE", "s", "abc", "(0-0"],
            &["XRANGE", "s", "+007-01", "+"],
            &["XREVRANGE", "s", "+", "-"],
            &["XREVRANGE", "s", "+", "-", "COUNT", "2"],
            &["XREVRANGE", "s", "(3-5", "(1-1"],
            &["XREVRANGE", "s", "-", "+"],
            &["XREVRANGE", "s", "+", "-", "COUNT", "0"],
            &["XREVRANGE", "s", "abc", "-"],
            &["XREVRANGE", "s", "+", "(18446744073709551615-18446744073709551615"],
            &["XRANGE", "s", "-"],
        ])
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xdel_checks_the_key_before_the_ids() {
    let Some(mut pair) = Pair::start("xdel_checks_the_key").await else {
        return;
    };
    pair.script(&[
        &["XDEL", "nokey", "abc"],
        &["XDEL", "nokey", "1-1"],
        &["XADD", "s", "1-1", "f", "v"],
        &["XADD", "s", "2-1", "f", "v"],
        &["XADD", "s", "3-1", "f", "v"],
        &["XDEL", "s", "2-1", "abc"],
        &["XLEN", "s"],
        &["XDEL", "s", "2-1", "2-1", "9-9"],
        &["XDEL", "s", "-"],
        &["XDEL", "s", "1"],
        &["XRANGE", "s", "-", "+"],
        &["XDEL", "s"],
        &["XADD", "s", "2-1", "f", "v"],
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xtrim_parses_before_the_key() {
    let Some(mut pair) = Pair::start("xtrim_parses_before_the_key").await else {
        return;
    };
    pair.script(&[
        &["XTRIM", "nokey", "MAXLEN", "abc"],
        &["XTRIM", "nokey", "MAXLEN", "1"],
        &["XTRIM", "nokey", "FOO", "1"],
        &["XTRIM", "s"],
        &["XTRIM", "s", "MAXLEN"],
    ])
    .await;
    for i in 1..=250 {
        let id = format!("{i}-0");
        pair.check(&["XADD", "s", &id, "f", "v"]).await;
    }
    pair.script(&[
        &["XTRIM", "s", "LIMIT", "10"],
        &["XTRIM", "s", "MAXLEN", "1", "LIMIT", "10"],
        &["XTRIM", "s", "MAXLEN", "-1"],
        &["XTRIM", "s", "MAXLEN", "1", "MINID", "2"],
        &["XTRIM", "s", "MAXLEN", "~"],
        &["XTRIM", "s", "MAXLEN", "=", "1", "x"],
        &["XTRIM", "s", "MINID", "abc"],
        &["XTRIM", "s", "MINID", "+"],
        &["XTRIM", "s", "MAXLEN", "~", "120", "LIMIT", "-1"],
        &["XTRIM", "s", "MAXLEN", "~", "120", "LIMIT", "50"],
        &["XLEN", "s"],
        &["XTRIM", "s", "MAXLEN", "~", "120"],
        &["XLEN", "s"],
        &["XTRIM", "s", "MAXLEN", "=", "120"],
        &["XTRIM", "s", "MINID", "~", "160"],
        &["XLEN", "s"],
        &["XTRIM", "s", "MINID", "200"],
        &["XTRIM", "s", "maxlen", "10"],
        &["XRANGE", "s", "-", "+", "COUNT", "1"],
        &["XLEN", "s"],
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_fields_round_trip() {
    let Some(mut pair) = Pair::start("binary_fields_round_trip").await else {
        return;
    };
    let value: Vec<u8> = (0u8..=255).collect();
    for conn in [&mut pair.bus_conn, &mut pair.redis_conn] {
        conn.send_command(&[b"XADD", b"s", b"1-1", b"\x00\r\n", &value]).await;
        assert_eq!(conn.reply().await, b"$3\r\n1-1\r\n");
    }
    pair.check(&["XRANGE", "s", "-", "+"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_utf8_key_and_the_node_layout_setting() {
    let Some(mut pair) = Pair::start("any_utf8_key_and_the_node_layout_setting").await else {
        return;
    };
    pair.script(&[
        // Keys Topic::new refuses are keys like any other.
        &["XADD", "mystream{t}", "1-1", "f", "v"],
        &["XADD", "with space", "1-1", "f", "v"],
        &["XADD", "", "1-1", "f", "v"],
        &["XRANGE", "mystream{t}", "-", "+"],
        &["XLEN", "with space"],
        &["XREAD", "STREAMS", "", "0"],
        &["DEL", "mystream{t}", "with space", ""],
        // Two entries per node from now on: an approximate trim then removes whole nodes of two.
        &["CONFIG", "SET", "stream-node-max-entries", "2"],
        &["XADD", "s", "1-1", "f", "v"],
        &["XADD", "s", "2-1", "f", "v"],
        &["XADD", "s", "3-1", "f", "v"],
        &["XADD", "s", "4-1", "f", "v"],
        &["XADD", "s", "5-1", "f", "v"],
        &["XINFO", "STREAM", "s"],
        &["XTRIM", "s", "MAXLEN", "~", "1"],
        &["XLEN", "s"],
        &["CONFIG", "SET", "stream-node-max-entries", "100"],
    ])
    .await;
}
