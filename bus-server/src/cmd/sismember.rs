//! `SISMEMBER key member`: 1 if the member is in the set, 0 otherwise (or for a missing key).

use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, KeySpec, doc, handler};
use crate::keyspace;
use crate::resp::Reply;

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "sismember",
    3,
    &["readonly", "fast"],
    &["@read", "@set", "@fast"],
    doc("Tells whether a member is in a set.", "1.0.0", "set", "O(1)"),
    handler!(run),
)
.keys((1, 1, 1), &[KeySpec::first(&["RO"])]);

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let found = keyspace::read_key(client, &args[1], false, |db, key| db.sismember(key, &args[2]))?;
    Ok(Reply::Integer(i64::from(found)))
}
