//! `SADD key member [member …]`: adds members to a set (creating it), answering how many were new.

use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, KeySpec, doc, handler, topic};
use crate::keyspace;

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "sadd",
    -3,
    &["write", "denyoom", "fast"],
    &["@write", "@set", "@fast"],
    doc(
        "Adds members to a set.",
        "1.0.0",
        "set",
        "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
    ),
    handler!(run),
)
.keys((1, 1, 1), &[KeySpec::first(&["RW", "insert"])]);

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let key = topic(&args[1])?;
    Ok(keyspace::count(client.db().sadd(&key, args[2..].to_vec())?))
}
