//! Strings, lists, sets and hashes against a real Redis: each command's valid and invalid forms, WRONGTYPE in
//! both directions (stream commands on other types, other types' commands on a stream), SET replacing a stream,
//! TYPE, SCAN TYPE, RENAME and RENAMENX across types.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests and their helpers fail by panicking"
)]

mod common;

use common::{PROTOCOLS, Pair, bulk_set as bulks, hello};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strings_set_get_incr_append() {
    let Some(mut pair) = Pair::start("strings_set_get_incr_append").await else {
        return;
    };
    for protocol in PROTOCOLS {
        hello(&mut pair, protocol).await;
        pair.script(&[
            &["GET", "k"],
            &["SET", "k", "v"],
            &["GET", "k"],
            &["SET", "k", "w", "NX"],
            &["SET", "k", "w", "XX"],
            &["SET", "k", "x", "NX", "GET"],
            &["SET", "k", "y", "XX", "GET"],
            &["SET", "new", "y", "XX", "GET"],
            &["SET", "new", "y", "XX"],
            &["SET", "k", "1", "EX", "100"],
            &["TTL", "k"],
            &["SET", "k", "2", "KEEPTTL"],
            &["TTL", "k"],
            &["SET", "k", "3"],
            &["TTL", "k"],
            &["SET", "k", "4", "PX", "100000", "GET"],
            &["TTL", "k"],
            &["SET", "k", "5", "ex", "10", "EX", "100"],
            &["TTL", "k"],
            &["SET", "k", "6", "EXAT", "99999999999"],
            &["TTL", "k"],
            &["SET", "k", "7", "PXAT", "1"],
            &["EXISTS", "k"],
            &["SET", "k", "v", "NX", "XX"],
            &["SET", "k", "v", "XX", "NX"],
            &["SET", "k", "v", "EX", "10", "PX", "100"],
            &["SET", "k", "v", "KEEPTTL", "EX", "10"],
            &["SET", "k", "v", "EX", "10", "KEEPTTL"],
            &["SET", "k", "v", "EX"],
            &["SET", "k", "v", "EX", "x"],
            &["SET", "k", "v", "EX", "0"],
            &["SET", "k", "v", "PX", "-1"],
            &["SET", "k", "v", "EX", "9223372036854775"],
            &["SET", "k", "v", "PX", "9223372036854775807"],
            &["SET", "k", "v", "FOO"],
            &["SET", "k"],
            &["GET"],
            &["GET", "k", "x"],
            &["INCR", "n"],
            &["INCR", "n"],
            &["SET", "n", "9223372036854775807"],
            &["INCR", "n"],
            &["SET", "n", "007"],
            &["INCR", "n"],
            &["SET", "n", " 1"],
            &["INCR", "n"],
            &["SET", "n", "-5"],
            &["INCR", "n"],
            &["INCR"],
            &["APPEND", "a", "xy"],
            &["APPEND", "a", "z"],
            &["APPEND", "e", ""],
            &["EXISTS", "e"],
            &["GET", "a"],
            &["APPEND", "a"],
            &["TYPE", "a"],
            // Deadlines on any type: set, kept by INCR and APPEND, dropped by SET and PERSIST.
            &["EXPIRE", "a", "100"],
            &["APPEND", "a", "!"],
            &["TTL", "a"],
            &["PERSIST", "a"],
            &["PERSIST", "a"],
            &["TTL", "a"],
            &["SET", "n", "1", "EX", "100"],
            &["INCR", "n"],
            &["TTL", "n"],
            &["SET", "n", "1"],
            &["TTL", "n"],
            &["RPUSH", "l", "x"],
            &["PEXPIRE", "l", "100000", "NX"],
            &["TTL", "l"],
            &["EXPIRE", "l", "50", "GT"],
            &["EXPIRE", "l", "50", "LT"],
            &["TTL", "l"],
            &["PEXPIRE", "l", "-1"],
            &["EXISTS", "l"],
            &["SETEX", "x", "100", "v"],
            &["TTL", "x"],
            &["PSETEX", "x", "100000", "w"],
            &["TTL", "x"],
            &["GET", "x"],
            &["SETEX", "x", "0", "v"],
            &["PSETEX", "x", "-5", "v"],
            &["SETEX", "x", "y", "v"],
            &["SETEX", "x", "9223372036854775", "v"],
            &["PSETEX", "x", "9223372036854775807", "v"],
            &["SETEX", "x", "10"],
            &["PSETEX", "x", "10", "v", "w"],
            &["LPUSH", "list", "a"],
            &["SETEX", "list", "10", "v"],
            &["TYPE", "list"],
            &["FLUSHALL"],
        ])
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_push_pop_range_len() {
    let Some(mut pair) = Pair::start("lists_push_pop_range_len").await else {
        return;
    };
    for protocol in PROTOCOLS {
        hello(&mut pair, protocol).await;
        pair.script(&[
            &["LPUSH", "l", "a", "b", "c"],
            &["RPUSH", "l", "d"],
            &["LRANGE", "l", "0", "-1"],
            &["LRANGE", "l", "1", "2"],
            &["LRANGE", "l", "-2", "100"],
            &["LRANGE", "l", "5", "10"],
            &["LRANGE", "l", "a", "1"],
            &["LRANGE", "nokey", "a", "1"],
            &["LRANGE", "nokey", "0", "-1"],
            &["LLEN", "l"],
            &["LLEN", "nokey"],
            &["LPOP", "l"],
            &["RPOP", "l"],
            &["LPOP", "l", "0"],
            &["LPOP", "l", "-1"],
            &["LPOP", "l", "x"],
            &["LPOP", "l", "1", "2"],
            &["RPOP", "l", "5"],
            &["EXISTS", "l"],
            &["LPOP", "l"],
            &["LPOP", "l", "2"],
            &["RPOP", "nokey", "0"],
            &["TYPE", "l"],
            &["LPUSH", "l"],
            &["RPUSH", "l", "x"],
            &["TYPE", "l"],
            &["LLEN"],
            &["LRANGE", "l", "0"],
            &["FLUSHALL"],
        ])
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sets_and_hashes() {
    let Some(mut pair) = Pair::start("sets_and_hashes").await else {
        return;
    };
    for protocol in PROTOCOLS {
        hello(&mut pair, protocol).await;
        pair.script(&[
            &["SADD", "ints", "10", "9", "10", "-3"],
            &["SMEMBERS", "ints"],
            &["SCARD", "ints"],
            &["SISMEMBER", "ints", "9"],
            &["SISMEMBER", "ints", "8"],
            &["SISMEMBER", "nokey", "8"],
            &["SREM", "ints", "9", "8"],
            &["SREM", "ints", "10", "-3"],
            &["EXISTS", "ints"],
            &["SMEMBERS", "nokey"],
            &["SCARD", "nokey"],
            &["SADD", "one", "x"],
            &["SMEMBERS", "one"],
            &["TYPE", "one"],
            &["SADD", "one"],
            &["SISMEMBER", "one"],
            &["HSET", "h", "a", "1", "b", "2", "a", "3"],
            &["HGET", "h", "a"],
            &["HGET", "h", "zz"],
            &["HGET", "nokey", "zz"],
            &["HGETALL", "h"],
            &["HGETALL", "nokey"],
            &["HLEN", "h"],
            &["HLEN", "nokey"],
            &["HDEL", "h", "a", "zz"],
            &["HDEL", "h", "b"],
            &["EXISTS", "h"],
            &["HSET", "h", "a"],
            &["HSET", "h", "a", "1", "b"],
            &["HSET", "h", "f", "v"],
            &["TYPE", "h"],
            &["HDEL", "h"],
            &["FLUSHALL"],
        ])
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrongtype_in_every_direction() {
    let Some(mut pair) = Pair::start("wrongtype_in_every_direction").await else {
        return;
    };
    pair.script(&[
        &["SET", "str", "v"],
        &["LPUSH", "list", "a"],
        &["SADD", "set", "a"],
        &["HSET", "hash", "f", "v"],
        &["XADD", "stream", "1-1", "f", "v"],
    ])
    .await;
    let others: &[&[&str]] = &[
        &["GET", "$"],
        &["INCR", "$"],
        &["APPEND", "$", "x"],
        &["SET", "$", "x", "GET"],
        &["LPUSH", "$", "x"],
        &["RPUSH", "$", "x"],
        &["LPOP", "$"],
        &["RPOP", "$", "2"],
        &["LRANGE", "$", "0", "-1"],
        &["LLEN", "$"],
        &["SADD", "$", "x"],
        &["SREM", "$", "x"],
        &["SMEMBERS", "$"],
        &["SCARD", "$"],
        &["SISMEMBER", "$", "x"],
        &["HSET", "$", "f", "x"],
        &["HGET", "$", "f"],
        &["HGETALL", "$"],
        &["HLEN", "$"],
        &["HDEL", "$", "f"],
        &["XADD", "$", "5-1", "f", "v"],
        &["XLEN", "$"],
        &["XRANGE", "$", "-", "+"],
        &["XREVRANGE", "$", "+", "-"],
        &["XDEL", "$", "1-1"],
        &["XTRIM", "$", "MAXLEN", "0"],
        &["XREAD", "STREAMS", "$", "0"],
    ];
    for key in ["str", "list", "set", "hash", "stream"] {
        pair.check(&["TYPE", key]).await;
        for command in others {
            let args: Vec<&str> = command.iter().map(|arg| if *arg == "$" { key } else { arg }).collect();
            pair.check(&args).await;
        }
    }
    // The keys changed type on the way (an emptied list is deleted, then SADD makes a set, …); SCAN and KEYS
    // list them in hash order on Redis, so the names are compared as sets.
    for kind in ["string", "list", "set", "hash", "stream", "zset", "STRING"] {
        let args = ["SCAN", "0", "TYPE", kind, "COUNT", "100"];
        let expected = bulks(pair.redis_conn.cmd(&args).await);
        assert_eq!(bulks(pair.bus_conn.cmd(&args).await), expected, "{args:?}");
    }
    let expected = bulks(pair.redis_conn.cmd(&["KEYS", "s*"]).await);
    assert_eq!(bulks(pair.bus_conn.cmd(&["KEYS", "s*"]).await), expected);
    pair.check(&["DBSIZE"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_replaces_a_stream_and_rename_moves_any_type() {
    let Some(mut pair) = Pair::start("set_replaces_a_stream_and_rename").await else {
        return;
    };
    pair.script(&[
        &["XADD", "s", "1-1", "f", "v"],
        &["SET", "s", "text"],
        &["TYPE", "s"],
        &["XLEN", "s"],
        &["RENAME", "nokey", "x"],
        &["RENAME", "nokey", "nokey"],
        &["RENAMENX", "nokey", "x"],
        &["RENAME", "s", "s"],
        &["RENAMENX", "s", "s"],
        &["PEXPIRE", "s", "100000"],
        &["RENAME", "s", "t"],
        &["EXISTS", "s"],
        &["GET", "t"],
        &["TTL", "t"],
        &["XADD", "u", "1-1", "f", "v"],
        &["RENAMENX", "t", "u"],
        &["RENAME", "t", "u"],
        &["TYPE", "u"],
        &["TTL", "u"],
        &["LPUSH", "l", "a"],
        &["RENAMENX", "l", "fresh"],
        &["LRANGE", "fresh", "0", "-1"],
        &["HSET", "h", "f", "v"],
        &["RENAME", "h", "fresh"],
        &["TYPE", "fresh"],
        &["DBSIZE"],
        &["RENAME", "fresh"],
        &["RENAME", "fresh", "a", "b"],
        &["RENAMENX", "fresh"],
    ])
    .await;
}
