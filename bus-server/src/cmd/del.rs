//! `DEL key [key …]` and `UNLINK key [key …]`: delete keys of any type, answering how many existed (a key named
//! twice counts once). Blocked group readers of a deleted stream are released with `UNBLOCKED`, plain readers
//! keep waiting for the key to hold a stream again, as Redis does.

use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, KeySpec, doc, handler};
use crate::keyspace;

const KEYS: &[KeySpec] = &[KeySpec::all(&["RM", "delete"])];
const TIPS: &[&str] = &["request_policy:multi_shard", "response_policy:agg_sum"];

pub(crate) const DEL: CommandSpec = CommandSpec::new(
    "del",
    -2,
    &["write"],
    &["@keyspace", "@write", "@slow"],
    doc(
        "Deletes keys.",
        "1.0.0",
        "generic",
        "O(N) where N is the number of keys that will be removed.",
    ),
    handler!(run),
)
.keys((1, -1, 1), KEYS)
.tips(TIPS);

pub(crate) const UNLINK: CommandSpec = CommandSpec::new(
    "unlink",
    -2,
    &["write", "fast"],
    &["@keyspace", "@write", "@fast"],
    doc(
        "Deletes keys (Redis frees their memory in the background).",
        "4.0.0",
        "generic",
        "O(1) for each key removed regardless of its size.",
    ),
    handler!(run),
)
.keys((1, -1, 1), KEYS)
.tips(TIPS);

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let deleted = client.db().del(&keyspace::existing_topics(&args[1..]));
    Ok(keyspace::count(deleted))
}
