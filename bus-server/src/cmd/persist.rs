//! `PERSIST key`: removes a key's time to live. bus-memory cannot clear a deadline yet, so a key that has one
//! gets an error saying so; a missing key or one without a deadline gets Redis's 0.

use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, KeySpec, doc, existing_topic, handler};
use crate::keyspace;
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
    let Some(topic) = existing_topic(&args[1]) else {
        return Ok(Reply::Integer(0));
    };
    if keyspace::ttl(client.db(), &topic).await.is_none() {
        return Ok(Reply::Integer(0));
    }
    Err(Reply::error(
        "ERR PERSIST of a key with a time to live is not supported by bus serve yet",
    ))
}
