//! `TTL key` and `PTTL key`: the time a key has left, in seconds (rounded) or milliseconds; `EXPIRETIME key` and
//! `PEXPIRETIME key`: its deadline, as a Unix time in seconds (rounded) or milliseconds; all -1 without a
//! deadline, -2 for a missing key (seconds rounded to the nearest, as Redis rounds them).

use bus_memory::{KeyDeadline, KeyTtl};
use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, KeySpec, doc, existing_topic, handler};
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
    Ok(Reply::Integer(time_left(client, &args[1]).ttl_reply()))
}

async fn pttl(client: &mut Client, args: &[Bytes]) -> CmdResult {
    Ok(Reply::Integer(time_left(client, &args[1]).pttl_reply()))
}

pub(crate) const EXPIRETIME: CommandSpec = CommandSpec::new(
    "expiretime",
    2,
    &["readonly", "fast"],
    &["@keyspace", "@read", "@fast"],
    doc(
        "Answers a key's deadline as a Unix time in seconds.",
        "7.0.0",
        "generic",
        "O(1)",
    ),
    handler!(expiretime),
)
.keys((1, 1, 1), KEYS);

pub(crate) const PEXPIRETIME: CommandSpec = CommandSpec::new(
    "pexpiretime",
    2,
    &["readonly", "fast"],
    &["@keyspace", "@read", "@fast"],
    doc(
        "Answers a key's deadline as a Unix time in milliseconds.",
        "7.0.0",
        "generic",
        "O(1)",
    ),
    handler!(pexpiretime),
)
.keys((1, 1, 1), KEYS);

async fn expiretime(client: &mut Client, args: &[Bytes]) -> CmdResult {
    Ok(Reply::Integer(deadline(client, &args[1]).expiretime_reply()))
}

async fn pexpiretime(client: &mut Client, args: &[Bytes]) -> CmdResult {
    Ok(Reply::Integer(deadline(client, &args[1]).pexpiretime_reply()))
}

fn deadline(client: &Client, key: &[u8]) -> KeyDeadline {
    existing_topic(key).map_or(KeyDeadline::Missing, |topic| client.db().deadline(&topic))
}

fn time_left(client: &Client, key: &[u8]) -> KeyTtl {
    existing_topic(key).map_or(KeyTtl::Missing, |topic| client.db().pttl(&topic))
}
