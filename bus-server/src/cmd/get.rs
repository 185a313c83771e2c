//! `GET key`: the string a key holds, null for a missing key, WRONGTYPE for another type.

use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, KeySpec, doc, handler};
use crate::keyspace;

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "get",
    2,
    &["readonly", "fast"],
    &["@read", "@string", "@fast"],
    doc("Answers the string value of a key.", "1.0.0", "string", "O(1)"),
    handler!(run),
)
.keys((1, 1, 1), &[KeySpec::first(&["RO", "access"])]);

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let value = keyspace::read_key(client, &args[1], None, |db, key| db.get(key))?;
    Ok(keyspace::bulk_or_null(value))
}
