//! `HGET key field`: a hash field's value, null when the field or the key is missing.

use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, KeySpec, doc, handler};
use crate::keyspace;

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "hget",
    3,
    &["readonly", "fast"],
    &["@read", "@hash", "@fast"],
    doc("Answers the value of a hash field.", "2.0.0", "hash", "O(1)"),
    handler!(run),
)
.keys((1, 1, 1), &[KeySpec::first(&["RO", "access"])]);

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let value = keyspace::read_key(client, &args[1], None, |db, key| db.hget(key, &args[2]))?;
    Ok(keyspace::bulk_or_null(value))
}
