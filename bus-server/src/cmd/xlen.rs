//! `XLEN key`: the number of entries of a stream (0 for a missing key).

use bus_core::Backend;
use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, KeySpec, doc, existing_topic, handler};
use crate::resp::Reply;

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "xlen",
    2,
    &["readonly", "fast"],
    &["@read", "@stream", "@fast"],
    doc("Counts the entries of a stream.", "5.0.0", "stream", "O(1)"),
    handler!(run),
)
.keys((1, 1, 1), &[KeySpec::first(&["RO"])]);

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let Some(topic) = existing_topic(&args[1]) else {
        return Ok(Reply::Integer(0));
    };
    let len = client.db().len(&topic).await?;
    Ok(Reply::Integer(i64::try_from(len).unwrap_or(i64::MAX)))
}
