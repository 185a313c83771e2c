//! `TYPE key`: `stream`, or `none` for a missing key (streams are the only type bus-memory holds yet).

use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, KeySpec, doc, existing_topic, handler};
use crate::keyspace;
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
    let exists = match existing_topic(&args[1]) {
        Some(topic) => keyspace::exists(client.db(), &topic).await,
        None => false,
    };
    Ok(Reply::simple(if exists { "stream" } else { "none" }))
}
