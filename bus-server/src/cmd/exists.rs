//! `EXISTS key [key …]`: how many of the keys exist (a key named twice counts twice).

use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, KeySpec, doc, handler};
use crate::keyspace;

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "exists",
    -2,
    &["readonly", "fast"],
    &["@keyspace", "@read", "@fast"],
    doc(
        "Counts the keys that exist.",
        "1.0.0",
        "generic",
        "O(N) where N is the number of keys to check.",
    ),
    handler!(run),
)
.keys((1, -1, 1), &[KeySpec::all(&["RO"])])
.tips(&["request_policy:multi_shard", "response_policy:agg_sum"]);

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let found = client.db().exists(&keyspace::existing_topics(&args[1..]));
    Ok(keyspace::count(found))
}
