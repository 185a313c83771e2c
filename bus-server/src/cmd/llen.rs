//! `LLEN key`: a list's length, 0 for a missing key, WRONGTYPE for another type.

use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, KeySpec, doc, handler};
use crate::keyspace;

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "llen",
    2,
    &["readonly", "fast"],
    &["@read", "@list", "@fast"],
    doc("Answers the length of a list.", "1.0.0", "list", "O(1)"),
    handler!(run),
)
.keys((1, 1, 1), &[KeySpec::first(&["RO"])]);

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let length = keyspace::read_key(client, &args[1], 0, |db, key| db.llen(key))?;
    Ok(keyspace::count(length))
}
