//! Blocked XREAD readers and the keyspace commands, against a real Redis: RENAME onto a reader's key serves it
//! from the stream it now holds; RENAME, DEL, a type change (SET, RENAME of a string) or FLUSHALL away from
//! under it leaves it waiting, to be served by the next append. (Group readers are the stream commands'.)

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests and their helpers fail by panicking"
)]

mod common;

use common::{Pair, Raw, wait_blocked};

/// `XREAD BLOCK 0 STREAMS <key> $` on a reader of each server, then `action`, then `after` (if the reader is
/// still blocked), comparing what each reader finally gets.
async fn blocked_then(pair: &mut Pair, key: &str, action: &[&[&str]], after: &[&[&str]]) {
    let (mut bus_reader, mut redis_reader): (Raw, Raw) = pair.connect().await;
    let read: [&[u8]; 6] = [b"XREAD", b"BLOCK", b"0", b"STREAMS", key.as_bytes(), b"$"];
    pair.block_both(&mut bus_reader, &mut redis_reader, &read).await;
    pair.script(action).await;
    if !after.is_empty() {
        wait_blocked(&mut pair.bus_conn, 1).await;
        wait_blocked(&mut pair.redis_conn, 1).await;
        pair.script(after).await;
    }
    let expected = redis_reader.reply().await;
    assert_eq!(
        String::from_utf8_lossy(&bus_reader.reply().await),
        String::from_utf8_lossy(&expected),
        "reader of {key} after {action:?}"
    );
    pair.check(&["FLUSHALL"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rename_onto_a_blocked_key_serves_its_reader() {
    let Some(mut pair) = Pair::start("rename_onto_a_blocked_key").await else {
        return;
    };
    let fill: &[&str] = &["XADD", "src", "5-1", "f", "v"];
    // Onto a missing key: the reader's `$` was 0-0, the renamed stream serves it.
    blocked_then(&mut pair, "dst", &[fill, &["RENAME", "src", "dst"]], &[]).await;
    // Onto an existing stream, replaced by one with later entries.
    let old: &[&str] = &["XADD", "dst", "1-1", "f", "old"];
    blocked_then(
        &mut pair,
        "dst",
        &[old, fill, &["RENAMENX", "src", "dst"], &["RENAME", "src", "dst"]],
        &[],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_whose_key_goes_away_keeps_waiting() {
    let Some(mut pair) = Pair::start("a_reader_whose_key_goes_away").await else {
        return;
    };
    let stream: &[&str] = &["XADD", "s", "1-1", "f", "v"];
    let append: &[&[&str]] = &[&["XADD", "s", "7-1", "f", "late"]];
    for action in [
        &[&["RENAME", "s", "elsewhere"][..]][..],
        &[&["DEL", "s"]],
        &[&["FLUSHALL"]],
        &[&["SET", "s", "text"], &["DEL", "s"]],
        &[&["SET", "str", "x"], &["RENAME", "str", "s"], &["DEL", "s"]],
        &[&["PEXPIRE", "s", "0"]],
    ] {
        let mut script: Vec<&[&str]> = vec![stream];
        script.extend_from_slice(action);
        // The reader blocked after `1-1` existed, so it is served by 7-1 only.
        pair.script(&script[..1]).await;
        blocked_then(&mut pair, "s", &script[1..], append).await;
    }
}
