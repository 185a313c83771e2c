//! `TTL key` and `PTTL key`: the time a key has left, in seconds (rounded) or milliseconds; -1 without a
//! deadline, -2 for a missing key.

use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, KeySpec, doc, existing_topic, handler};
use crate::keyspace;
use crate::resp::Reply;

const KEYS: &[KeySpec] = &[KeySpec::first(&["RO", "access"])];
const TIPS: &[&str] = &["nondeterministic_output"];

pub(crate) const TTL: CommandSpec = CommandSpec::new(
    "ttl",
    2,
    &["readonly", "fast"],
    &["@keyspace", "@read", "@fast"],
    doc("Answers a key's time to live in seconds.", "1.0.0", "generic", "O(1)"),
    handler!(ttl),
)
.keys((1, 1, 1), KEYS)
.tips(TIPS);

pub(crate) const PTTL: CommandSpec = CommandSpec::new(
    "pttl",
    2,
    &["readonly", "fast"],
    &["@keyspace", "@read", "@fast"],
    doc(
        "Answers a key's time to live in milliseconds.",
        "2.6.0",
        "generic",
        "O(1)",
    ),
    handler!(pttl),
)
.keys((1, 1, 1), KEYS)
.tips(TIPS);

async fn ttl(client: &mut Client, args: &[Bytes]) -> CmdResult {
    // Redis rounds to the nearest second.
    time_left(client, &args[1], |ms| (ms + 500) / 1000).await
}

async fn pttl(client: &mut Client, args: &[Bytes]) -> CmdResult {
    time_left(client, &args[1], |ms| ms).await
}

async fn time_left(client: &mut Client, key: &[u8], scale: fn(i64) -> i64) -> CmdResult {
    let Some(topic) = existing_topic(key) else {
        return Ok(Reply::Integer(-2));
    };
    let db = client.db();
    if !keyspace::exists(db, &topic).await {
        return Ok(Reply::Integer(-2));
    }
    Ok(Reply::Integer(match keyspace::ttl(db, &topic).await {
        Some(left) => scale(i64::try_from(left.as_millis()).unwrap_or(i64::MAX)),
        None => -1,
    }))
}
