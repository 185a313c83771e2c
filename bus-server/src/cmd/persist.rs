//! `PERSIST key`: removes a key's time to live; 1 if it had one, 0 for a missing key or one without.

use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, KeySpec, doc, existing_topic, handler};
use crate::resp::Reply;

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "persist",
    2,
    &["write", "fast"],
    &["@keyspace", "@write", "@fast"],
    doc("Removes the time to live of a key.", "2.2.0", "generic", "O(1)"),
    handler!(run),
)
.keys((1, 1, 1), &[KeySpec::first(&["RW", "update"])]);

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let removed = existing_topic(&args[1]).is_some_and(|topic| client.db().persist(&topic));
    Ok(Reply::Integer(i64::from(removed)))
}
