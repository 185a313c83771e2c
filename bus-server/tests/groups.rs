//! Consumer-group commands against a real Redis: XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM, XSETID
//! and XINFO, each with its valid forms and its invalid ones (Redis's order of checks and error texts), in
//! RESP2 and RESP3. Replies that carry times (idle, seen-time, delivery time) are compared only where they do
//! not show them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests and their helpers fail by panicking"
)]

mod common;

use common::{PROTOCOLS, Pair, hello};

/// A stream `s` with entries 1-1 … 5-1 and a group `g` at 0.
const SETUP: &[&[&str]] = &[
    &["DEL", "s", "t", "missing"],
    &["XADD", "s", "1-1", "f", "1"],
    &["XADD", "s", "2-1", "f", "2"],
    &["XADD", "s", "3-1", "f", "3"],
    &["XADD", "s", "4-1", "f", "4"],
    &["XADD", "s", "5-1", "f", "5"],
    &["XGROUP", "CREATE", "s", "g", "0"],
];

async fn start(test: &str) -> Option<Pair> {
    Pair::start(test).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xgroup_subcommands_and_errors() {
    let Some(mut pair) = start("xgroup_subcommands_and_errors").await else {
        return;
    };
    for protocol in PROTOCOLS {
        hello(&mut pair, protocol).await;
        pair.script(SETUP).await;
        pair.script(&[
            &["XGROUP", "CREATE", "s", "g", "0"],
            &["XGROUP", "CREATE", "s", "g2", "$"],
            &["XGROUP", "CREATE", "s", "g3", "abc"],
            &["XGROUP", "CREATE", "s", "g3", "-"],
            &["XGROUP", "CREATE", "s", "g3", "3", "ENTRIESREAD", "2"],
            &["XGROUP", "CREATE", "s", "g4", "3", "ENTRIESREAD", "-1"],
            &["XGROUP", "CREATE", "s", "g5", "3", "ENTRIESREAD", "-2"],
            &["XGROUP", "CREATE", "s", "g5", "3", "ENTRIESREAD", "x"],
            &["XGROUP", "CREATE", "s", "g5", "3", "ENTRIESREAD"],
            &["XGROUP", "CREATE", "s", "g5", "3", "BOGUS"],
            &[
                "XGROUP", "CREATE", "s", "g5", "3", "MKSTREAM", "MKSTREAM", "MKSTREAM", "MKSTREAM",
            ],
            &["XGROUP", "CREATE", "missing", "g", "$"],
            &["XGROUP", "CREATE", "missing", "g", "abc", "MKSTREAM"],
            &["EXISTS", "missing"],
            &["XGROUP", "CREATE", "missing", "g", "$", "MKSTREAM"],
            &["XGROUP", "CREATE", "mystream{t}", "g", "$", "MKSTREAM"],
            &["XGROUP", "CREATE", "with space", "g", "0", "MKSTREAM"],
            &["XINFO", "GROUPS", "with space"],
            &["XINFO", "GROUPS", "s"],
            &["XGROUP", "SETID", "s", "g", "2-1"],
            &["XGROUP", "SETID", "s", "g", "$", "ENTRIESREAD", "3"],
            &["XGROUP", "SETID", "s", "g", "-"],
            &["XGROUP", "SETID", "s", "g", "abc"],
            &["XGROUP", "SETID", "s", "g", "1", "ENTRIESREAD"],
            &["XGROUP", "SETID", "s", "g", "1", "MKSTREAM"],
            &["XGROUP", "SETID", "s", "nogroup", "1"],
            &["XGROUP", "SETID", "missing2", "g", "1"],
            &["XGROUP", "SETID", "s", "g", "1", "ENTRIESREAD", "1", "x"],
            &["XGROUP", "SETID", "s", "g"],
            &["XGROUP", "CREATECONSUMER", "s", "g", "alice"],
            &["XGROUP", "CREATECONSUMER", "s", "g", "alice"],
            &["XGROUP", "CREATECONSUMER", "s", "nogroup", "alice"],
            &["XGROUP", "CREATECONSUMER", "missing2", "g", "alice"],
            &["XGROUP", "DELCONSUMER", "s", "g", "alice"],
            &["XGROUP", "DELCONSUMER", "s", "g", "bob"],
            &["XGROUP", "DELCONSUMER", "s", "nogroup", "bob"],
            &["XGROUP", "DESTROY", "s", "g2"],
            &["XGROUP", "DESTROY", "s", "g2"],
            &["XGROUP", "DESTROY", "missing2", "g2"],
            &["XGROUP", "DESTROY", "s"],
            &["XGROUP", "DESTROY", "s", "g", "x"],
            &["XGROUP", "HELP"],
            &["XGROUP", "HELP", "x"],
            &["XGROUP", "BOGUS", "s", "g"],
            &["XGROUP"],
            &["XGROUP", "CREATE", "s"],
        ])
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xreadgroup_xack_and_xpending() {
    let Some(mut pair) = start("xreadgroup_xack_and_xpending").await else {
        return;
    };
    for protocol in PROTOCOLS {
        hello(&mut pair, protocol).await;
        pair.script(SETUP).await;
        pair.script(&[
            &["XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">"],
            &["XREADGROUP", "GROUP", "g", "bob", "COUNT", "1", "STREAMS", "s", ">"],
            &["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"],
            &["XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", "1-1"],
            &["XREADGROUP", "GROUP", "g", "carol", "STREAMS", "s", "0"],
            &[
                "XREADGROUP",
                "GROUP",
                "g",
                "bob",
                "NOACK",
                "COUNT",
                "-3",
                "STREAMS",
                "s",
                ">",
            ],
            &["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"],
            &["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", "$"],
            &["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", "abc"],
            &["XREADGROUP", "GROUP", "nogroup", "bob", "STREAMS", "s", ">"],
            &["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "missing", ">"],
            &["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", "missing", ">"],
            &["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", "missing", ">", ">"],
            &["XREADGROUP", "COUNT", "1", "STREAMS", "s", ">"],
            &["XREADGROUP", "GROUP", "g", "bob", "COUNT", "x", "STREAMS", "s", ">"],
            &["XREADGROUP", "GROUP", "g", "bob", "BLOCK", "-1", "STREAMS", "s", ">"],
            &["XREADGROUP", "GROUP", "g", "bob", "BOGUS", "STREAMS", "s", ">"],
            &["XREADGROUP", "GROUP", "g", "bob", "s", ">"],
            &["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s"],
            &["XREAD", "GROUP", "g", "bob", "STREAMS", "s", ">"],
            &["XREAD", "NOACK", "STREAMS", "s", "0"],
            &["XREAD", "STREAMS", "s", ">"],
            &["XPENDING", "s", "g"],
            &["XPENDING", "s", "g", "-", "+", "0"],
            &["XPENDING", "s", "g", "-", "+", "-5"],
            &["XPENDING", "s", "g", "-", "+", "10", "nobody"],
            &["XPENDING", "s", "g", "-", "+", "x"],
            &["XPENDING", "s", "g", "abc", "+", "10"],
            &[
                "XPENDING",
                "s",
                "g",
                "(18446744073709551615-18446744073709551615",
                "+",
                "10",
            ],
            &["XPENDING", "s", "g", "-", "(0-0", "10"],
            &["XPENDING", "s", "g", "IDLE", "x", "-", "+", "10"],
            &["XPENDING", "s", "g", "IDLE", "10", "-", "+"],
            &["XPENDING", "s", "g", "-", "+"],
            &["XPENDING", "s", "g", "-"],
            &["XPENDING", "s", "nogroup"],
            &["XPENDING", "missing", "g", "-", "+", "10"],
            &["XPENDING", "s"],
            &["XACK", "s", "g", "1-1", "1-1", "9-9"],
            &["XACK", "s", "g", "abc"],
            &["XACK", "missing", "g", "abc"],
            &["XACK", "s", "nogroup", "abc"],
            &["XACK", "s", "g"],
            &["XPENDING", "s", "g"],
            &["XINFO", "GROUPS", "s"],
            &["XINFO", "STREAM", "s"],
        ])
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xclaim_and_xautoclaim() {
    let Some(mut pair) = start("xclaim_and_xautoclaim").await else {
        return;
    };
    for protocol in PROTOCOLS {
        hello(&mut pair, protocol).await;
        pair.script(SETUP).await;
        pair.script(&[
            &["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"],
            &["XDEL", "s", "3-1"],
            &["XCLAIM", "s", "g", "bob", "0", "1-1", "2-1"],
            &["XCLAIM", "s", "g", "bob", "0", "1-1", "JUSTID"],
            &[
                "XCLAIM",
                "s",
                "g",
                "bob",
                "0",
                "3-1",
                "4-1",
                "JUSTID",
                "RETRYCOUNT",
                "7",
            ],
            &["XCLAIM", "s", "g", "bob", "3600000", "4-1", "JUSTID"],
            &["XCLAIM", "s", "g", "bob", "0", "9-9", "FORCE", "JUSTID"],
            &[
                "XCLAIM", "s", "g", "carol", "0", "5-1", "IDLE", "-5", "TIME", "-1", "JUSTID", "LASTID", "9-0",
            ],
            &["XCLAIM", "s", "g", "bob", "0", "1-1", "2-1", "BOGUS"],
            &["XCLAIM", "s", "g", "bob", "0", "1-1", "FORCE", "2-1"],
            &["XCLAIM", "s", "g", "bob", "0", "abc"],
            &["XCLAIM", "s", "g", "bob", "x", "1-1"],
            &["XCLAIM", "s", "g", "bob", "0", "1-1", "IDLE", "x"],
            &["XCLAIM", "s", "g", "bob", "0", "1-1", "TIME", "x"],
            &["XCLAIM", "s", "g", "bob", "0", "1-1", "RETRYCOUNT", "x"],
            &["XCLAIM", "s", "g", "bob", "0", "1-1", "LASTID", "x"],
            &["XCLAIM", "s", "g", "bob", "0", "1-1", "IDLE"],
            &["XCLAIM", "s", "nogroup", "bob", "x", "1-1"],
            &["XCLAIM", "missing", "g", "bob", "x", "1-1"],
            &["XCLAIM", "s", "g", "bob", "0"],
            &["XPENDING", "s", "g"],
            &["XINFO", "GROUPS", "s"],
            &["XAUTOCLAIM", "s", "g", "dave", "0", "0", "COUNT", "1"],
            &["XAUTOCLAIM", "s", "g", "dave", "0", "0", "COUNT", "2", "JUSTID"],
            &["XAUTOCLAIM", "s", "g", "dave", "0", "(1-1", "JUSTID"],
            &["XAUTOCLAIM", "s", "g", "dave", "3600000", "-", "JUSTID"],
            &["XAUTOCLAIM", "s", "g", "dave", "0", "0", "COUNT", "0"],
            &["XAUTOCLAIM", "s", "g", "dave", "0", "0", "COUNT", "x"],
            &["XAUTOCLAIM", "s", "g", "dave", "0", "0", "COUNT", "576460752303423488"],
            &["XAUTOCLAIM", "s", "g", "dave", "0", "0", "COUNT"],
            &["XAUTOCLAIM", "s", "g", "dave", "0", "0", "BOGUS"],
            &["XAUTOCLAIM", "s", "g", "dave", "x", "0"],
            &["XAUTOCLAIM", "s", "g", "dave", "0", "abc"],
            &[
                "XAUTOCLAIM",
                "s",
                "g",
                "dave",
                "0",
                "(18446744073709551615-18446744073709551615",
            ],
            &["XAUTOCLAIM", "s", "nogroup", "dave", "0", "0"],
            &["XAUTOCLAIM", "missing", "g", "dave", "0", "0"],
            &["XAUTOCLAIM", "s", "g", "dave", "0"],
            &["XPENDING", "s", "g"],
        ])
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xsetid_and_xinfo() {
    let Some(mut pair) = start("xsetid_and_xinfo").await else {
        return;
    };
    for protocol in PROTOCOLS {
        hello(&mut pair, protocol).await;
        pair.script(SETUP).await;
        pair.script(&[
            &["XSETID", "s", "9-9"],
            &["XSETID", "s", "9-9", "ENTRIESADDED", "12", "MAXDELETEDID", "8-0"],
            &["XSETID", "s", "1-0"],
            &["XSETID", "s", "9-9", "ENTRIESADDED", "2"],
            &["XSETID", "s", "9-9", "ENTRIESADDED", "-1"],
            &["XSETID", "s", "9-9", "ENTRIESADDED", "x"],
            &["XSETID", "s", "9-9", "MAXDELETEDID", "10-0"],
            &["XSETID", "s", "9-9", "MAXDELETEDID", "abc"],
            &["XSETID", "s", "9-9", "BOGUS", "1"],
            &["XSETID", "s", "9-9", "ENTRIESADDED"],
            &["XSETID", "s", "abc"],
            &["XSETID", "missing", "9-9"],
            &["XSETID", "missing", "abc"],
            &["XSETID", "s"],
            &["XINFO", "STREAM", "s"],
            &["XINFO", "STREAM", "s", "FULL"],
            &["XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", ">"],
            &["XINFO", "GROUPS", "s"],
            &["XGROUP", "CREATE", "s", "ahead", "0", "ENTRIESREAD", "30"],
            &[
                "XGROUP",
                "CREATE",
                "s",
                "max",
                "0",
                "ENTRIESREAD",
                "9223372036854775807",
            ],
            &["XREADGROUP", "GROUP", "max", "m", "COUNT", "1", "STREAMS", "s", ">"],
            &["XINFO", "GROUPS", "s"],
            &["XINFO", "STREAM", "s", "FULL", "COUNT", "x"],
            &["XINFO", "STREAM", "s", "FULL", "BOGUS", "1"],
            &["XINFO", "STREAM", "s", "BOGUS"],
            &["XINFO", "STREAM", "s", "FULL", "COUNT"],
            &["XINFO", "STREAM", "missing"],
            &["XINFO", "STREAM", "missing", "FULL"],
            &["XINFO", "GROUPS", "missing"],
            &["XINFO", "CONSUMERS", "s", "nogroup"],
            &["XINFO", "CONSUMERS", "missing", "g"],
            &["XINFO", "CONSUMERS", "s"],
            &["XINFO", "HELP"],
            &["XINFO", "HELP", "x"],
            &["XINFO", "BOGUS", "s"],
            &["XINFO"],
            &["XADD", "empty", "1-1", "f", "v"],
            &["XDEL", "empty", "1-1"],
            &["XINFO", "STREAM", "empty"],
            &["XINFO", "STREAM", "empty", "FULL", "COUNT", "-1"],
        ])
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn command_info_of_the_group_commands() {
    let Some(mut pair) = start("command_info_of_the_group_commands").await else {
        return;
    };
    for protocol in PROTOCOLS {
        hello(&mut pair, protocol).await;
        // A container lists its subcommands in the order of a hash table Redis seeds at random: each is
        // compared alone.
        for command in [
            "xgroup|create",
            "xgroup|setid",
            "xgroup|destroy",
            "xgroup|createconsumer",
            "xgroup|delconsumer",
            "xgroup|help",
            "xinfo|stream",
            "xinfo|groups",
            "xinfo|consumers",
            "xinfo|help",
            "xreadgroup",
            "xack",
            "xpending",
            "xclaim",
            "xautoclaim",
            "xsetid",
            "xread",
            "set",
            "lpush",
            "sadd",
            "rename",
        ] {
            pair.check(&["COMMAND", "INFO", command]).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_stream_command_on_another_type_is_wrongtype() {
    let Some(mut pair) = start("every_stream_command_on_another_type").await else {
        return;
    };
    pair.script(&[
        &["SET", "str", "x"],
        &["LPUSH", "list", "a"],
        &["SADD", "set", "m"],
        &["XADD", "str", "*", "f", "v"],
        &["XADD", "list", "NOMKSTREAM", "*", "f", "v"],
        &["XLEN", "set"],
        &["XRANGE", "str", "-", "+"],
        &["XRANGE", "str", "-", "+", "COUNT", "0"],
        &["XREVRANGE", "list", "+", "-"],
        &["XDEL", "str", "1-1"],
        &["XTRIM", "str", "MAXLEN", "1"],
        &["XREAD", "STREAMS", "str", "0"],
        &["XREAD", "STREAMS", "nokey", "str", "0", "$"],
        &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "str", ">"],
        &["XACK", "str", "g", "1-1"],
        &["XACK", "str", "g", "abc"],
        &["XPENDING", "str", "g"],
        &["XCLAIM", "str", "g", "c", "0", "1-1"],
        &["XAUTOCLAIM", "str", "g", "c", "0", "0"],
        &["XAUTOCLAIM", "str", "g", "c", "x", "0"],
        &["XSETID", "str", "1-1"],
        &["XGROUP", "CREATE", "str", "g", "$"],
        &["XGROUP", "CREATE", "str", "g", "$", "MKSTREAM"],
        &["XGROUP", "DESTROY", "list", "g"],
        &["XINFO", "STREAM", "str"],
        &["XINFO", "GROUPS", "list"],
        &["XINFO", "CONSUMERS", "set", "g"],
        &["LPUSH", "str", "a"],
        &["SADD", "list", "m"],
        &["RENAME", "nokey", "other"],
        &["RENAME", "str", "moved"],
        &["XLEN", "moved"],
    ])
    .await;
}
