//! RESTORE of a stream against a real Redis: a DUMP payload of Redis's (type 19, with groups, pending entries
//! of trimmed entries, deleted entries and integer-encoded values) restored on both servers and compared, and
//! RESTORE's invalid forms in Redis's order.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests and their helpers fail by panicking"
)]

mod common;

use common::{PROTOCOLS, Pair, hello};

/// The payload of `DUMP key` on the real server (a bulk reply, unwrapped).
fn bulk_body(reply: &[u8]) -> Vec<u8> {
    let header_end = reply.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
    reply[header_end..reply.len() - 2].to_vec()
}

/// Sends the same command, with a binary argument, to both servers and compares the replies.
async fn check_binary(pair: &mut Pair, args: &[&[u8]]) {
    pair.redis_conn.send_command(args).await;
    let expected = pair.redis_conn.reply().await;
    pair.bus_conn.send_command(args).await;
    let actual = pair.bus_conn.reply().await;
    assert_eq!(
        String::from_utf8_lossy(&actual),
        String::from_utf8_lossy(&expected),
        "reply to RESTORE {:?} differs",
        String::from_utf8_lossy(args[1])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dumped_stream_is_restored_like_redis() {
    let Some(mut pair) = Pair::start("a_dumped_stream_is_restored_like_redis").await else {
        return;
    };
    // Built on the real server only: its DUMP is the payload both servers restore.
    for args in [
        &["XADD", "src", "1-1", "f", "1", "name", "a"][..],
        &["XADD", "src", "2-1", "f", "22", "name", "b"],
        &["XADD", "src", "3-1", "other", "x"],
        &[
            "XADD",
            "src",
            "4-1",
            "f",
            "-7",
            "name",
            "a long value of more than sixty-three bytes, for the 12-bit length",
        ],
        &["XADD", "src", "5-1", "f", "5", "name", "e"],
        &["XGROUP", "CREATE", "src", "g1", "0"],
        &["XGROUP", "CREATE", "src", "g2", "0", "ENTRIESREAD", "12"],
        &[
            "XREADGROUP",
            "GROUP",
            "g1",
            "alice",
            "COUNT",
            "3",
            "STREAMS",
            "src",
            ">",
        ],
        &["XREADGROUP", "GROUP", "g1", "bob", "COUNT", "1", "STREAMS", "src", ">"],
        &["XGROUP", "CREATECONSUMER", "src", "g1", "idle"],
        &["XDEL", "src", "3-1"],
        &["XTRIM", "src", "MINID", "2"],
    ] {
        pair.redis_conn.cmd(args).await;
    }
    let payload = bulk_body(&pair.redis_conn.cmd(&["DUMP", "src"]).await);
    let mut corrupt = payload.clone();
    corrupt[3] ^= 0xff;
    let empty = {
        pair.redis_conn
            .cmd(&["XGROUP", "CREATE", "none", "g", "$", "MKSTREAM"])
            .await;
        pair.redis_conn.cmd(&["XGROUP", "DESTROY", "none", "g"]).await;
        bulk_body(&pair.redis_conn.cmd(&["DUMP", "none"]).await)
    };
    for protocol in PROTOCOLS {
        hello(&mut pair, protocol).await;
        pair.check(&["DEL", "s", "e"]).await;
        check_binary(&mut pair, &[b"RESTORE", b"s", b"0", &payload]).await;
        check_binary(&mut pair, &[b"RESTORE", b"s", b"0", &payload]).await;
        check_binary(
            &mut pair,
            &[b"RESTORE", b"s", b"0", &payload, b"REPLACE", b"IDLETIME", b"5"],
        )
        .await;
        check_binary(&mut pair, &[b"RESTORE", b"e", b"0", &empty]).await;
        pair.script(&[
            &["XRANGE", "s", "-", "+"],
            &["XINFO", "STREAM", "s", "FULL"],
            &["XINFO", "GROUPS", "s"],
            &["XPENDING", "s", "g1"],
            &["XINFO", "STREAM", "e"],
            &["SET", "str", "x"],
        ])
        .await;
        for args in [
            &[&b"RESTORE"[..], b"s2", b"-1", &payload][..],
            &[b"RESTORE", b"s2", b"x", &payload],
            &[b"RESTORE", b"str", b"-1", &payload],
            &[b"RESTORE", b"s2", b"0", &corrupt],
            &[b"RESTORE", b"s2", b"0", b"short"],
            &[b"RESTORE", b"s2", b"0", &payload, b"BOGUS"],
            &[b"RESTORE", b"s2", b"0", &payload, b"IDLETIME", b"-1"],
            &[b"RESTORE", b"s2", b"0", &payload, b"FREQ", b"256"],
            &[b"RESTORE", b"s2", b"0", &payload, b"IDLETIME", b"1", b"FREQ", b"1"],
            &[b"RESTORE", b"s2", b"0"],
        ] {
            check_binary(&mut pair, args).await;
        }
        pair.script(&[&["EXISTS", "s2"], &["DEL", "str"]]).await;
    }
}
