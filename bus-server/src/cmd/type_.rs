//! `TYPE key`: `string`, `list`, `set`, `hash` or `stream`, or `none` for a missing key.

use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, KeySpec, doc, existing_topic, handler};
use crate::resp::Reply;

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "type",
    2,
    &["readonly", "fast"],
    &["@keyspace", "@read", "@fast"],
    doc("Answers the type of a key.", "1.0.0", "generic", "O(1)"),
    handler!(run),
)
.keys((1, 1, 1), &[KeySpec::first(&["RO"])]);

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let kind = existing_topic(&args[1]).and_then(|topic| client.db().key_type(&topic));
    Ok(Reply::simple(kind.map_or("none", |kind| kind.as_str())))
}
