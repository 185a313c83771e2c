//! `HLEN key`: a hash's number of fields, 0 for a missing key.

use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, KeySpec, doc, handler};
use crate::keyspace;

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "hlen",
    2,
    &["readonly", "fast"],
    &["@read", "@hash", "@fast"],
    doc("Counts the fields of a hash.", "2.0.0", "hash", "O(1)"),
    handler!(run),
)
.keys((1, 1, 1), &[KeySpec::first(&["RO"])]);

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let fields = keyspace::read_key(client, &args[1], 0, |db, key| db.hlen(key))?;
    Ok(keyspace::count(fields))
}
