//! `DBSIZE`: the number of keys in the selected database.

use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, doc, handler};
use crate::keyspace;

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "dbsize",
    1,
    &["readonly", "fast"],
    &["@keyspace", "@read", "@fast"],
    doc("Counts the keys of the selected database.", "1.0.0", "server", "O(1)"),
    handler!(run),
)
.tips(&["request_policy:all_shards", "response_policy:agg_sum"]);

async fn run(client: &mut Client, _args: &[Bytes]) -> CmdResult {
    Ok(keyspace::count(client.db().dbsize()))
}
